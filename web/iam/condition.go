package iam

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// family is the kind of value a condition operator compares.
type family uint8

const (
	famString family = iota
	famNumeric
	famDate
	famBool
	famIP
	famARN
	famNull
)

// comparison is how a request value is held against a policy value.
type comparison uint8

const (
	cmpEqual comparison = iota // equal (String, Numeric, Date, Bool); contained (IP); matched (ARN)
	cmpLike                    // a wildcard match (StringLike)
	cmpLess
	cmpLessEqual
	cmpGreater
	cmpGreaterEqual
)

// setQualifier is a ForAnyValue: or ForAllValues: prefix.
type setQualifier uint8

const (
	setNone setQualifier = iota
	setAnyValue
	setAllValues
)

// operator describes one base condition operator.
type operator struct {
	fam        family
	cmp        comparison
	negated    bool
	ignoreCase bool
}

// operatorNames lists the base operator names (no prefix, no IfExists).
func operatorNames() []string {
	return []string{
		"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase",
		"StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
		"NumericEquals", "NumericNotEquals", "NumericLessThan",
		"NumericLessThanEquals", "NumericGreaterThan",
		"NumericGreaterThanEquals", "DateEquals", "DateNotEquals",
		"DateLessThan", "DateLessThanEquals", "DateGreaterThan",
		"DateGreaterThanEquals", "Bool", "IpAddress", "NotIpAddress",
		"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
	}
}

// operatorNamed returns what the base operator name does.
func operatorNamed(name string) (operator, bool) {
	switch name {
	case "StringEquals":
		return operator{famString, cmpEqual, false, false}, true
	case "StringNotEquals":
		return operator{famString, cmpEqual, true, false}, true
	case "StringEqualsIgnoreCase":
		return operator{famString, cmpEqual, false, true}, true
	case "StringNotEqualsIgnoreCase":
		return operator{famString, cmpEqual, true, true}, true
	case "StringLike":
		return operator{famString, cmpLike, false, false}, true
	case "StringNotLike":
		return operator{famString, cmpLike, true, false}, true
	case "NumericEquals":
		return operator{famNumeric, cmpEqual, false, false}, true
	case "NumericNotEquals":
		return operator{famNumeric, cmpEqual, true, false}, true
	case "NumericLessThan":
		return operator{famNumeric, cmpLess, false, false}, true
	case "NumericLessThanEquals":
		return operator{famNumeric, cmpLessEqual, false, false}, true
	case "NumericGreaterThan":
		return operator{famNumeric, cmpGreater, false, false}, true
	case "NumericGreaterThanEquals":
		return operator{famNumeric, cmpGreaterEqual, false, false}, true
	case "DateEquals":
		return operator{famDate, cmpEqual, false, false}, true
	case "DateNotEquals":
		return operator{famDate, cmpEqual, true, false}, true
	case "DateLessThan":
		return operator{famDate, cmpLess, false, false}, true
	case "DateLessThanEquals":
		return operator{famDate, cmpLessEqual, false, false}, true
	case "DateGreaterThan":
		return operator{famDate, cmpGreater, false, false}, true
	case "DateGreaterThanEquals":
		return operator{famDate, cmpGreaterEqual, false, false}, true
	case "Bool":
		return operator{famBool, cmpEqual, false, false}, true
	case "IpAddress":
		return operator{famIP, cmpEqual, false, false}, true
	case "NotIpAddress":
		return operator{famIP, cmpEqual, true, false}, true
	case "ArnEquals":
		return operator{famARN, cmpLike, false, false}, true
	case "ArnLike":
		return operator{famARN, cmpLike, false, false}, true
	case "ArnNotEquals":
		return operator{famARN, cmpLike, true, false}, true
	case "ArnNotLike":
		return operator{famARN, cmpLike, true, false}, true
	case "Null":
		return operator{famNull, cmpEqual, false, false}, true
	}
	return operator{}, false
}

// condition is one operator applied to one key, compiled. Only the value
// slice of the operator's family is set.
type condition struct {
	operator
	name     string // the operator as written, for errors and debugging
	set      setQualifier
	ifExists bool
	key      string // lower-cased

	strs  []pattern   // famString
	arns  [][]pattern // famARN: the six parts of each ARN
	nums  []float64   // famNumeric
	times []time.Time // famDate, in UTC
	bools []bool      // famBool
	nets  []netip.Prefix
	null  bool // famNull: true asks for the key to be absent
}

// parseConditions compiles a Condition element: operators, each with keys,
// each with one value or an array of them.
func parseConditions(raw json.RawMessage, vars bool) ([]condition, error) {
	ops, names, err := members(raw)
	if err != nil {
		return nil, err
	}
	var out []condition
	for _, name := range names {
		base, set, ifExists, err := parseOperatorName(name)
		if err != nil {
			return nil, err
		}
		keys, keyNames, err := members(ops[name])
		if err != nil {
			return nil, fmt.Errorf("%s must be an object mapping condition keys to values, not %s", name, describe(ops[name]))
		}
		if len(keyNames) == 0 {
			return nil, fmt.Errorf("%s names no condition key; remove it or add a key", name)
		}
		seen := map[string]string{}
		for _, key := range keyNames {
			lk := strings.ToLower(key)
			if key == "" {
				return nil, fmt.Errorf("%s has an empty condition key", name)
			}
			if prev, dup := seen[lk]; dup {
				return nil, fmt.Errorf("%s names key %q twice (as %q and %q; keys ignore case)", name, lk, prev, key)
			}
			seen[lk] = key
			values, err := scalarList(keys[key])
			if err != nil {
				return nil, fmt.Errorf("%s %q: %w", name, key, err)
			}
			op, _ := operatorNamed(base)
			c := condition{operator: op, name: name, set: set, ifExists: ifExists, key: lk}
			if err := c.compileValues(values, vars); err != nil {
				return nil, fmt.Errorf("%s %q: %w", name, key, err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// parseOperatorName splits "ForAnyValue:StringLikeIfExists" into its base
// operator, set qualifier and IfExists suffix, refusing what IAM does not
// define.
func parseOperatorName(name string) (string, setQualifier, bool, error) {
	base, set := name, setNone
	if rest, ok := strings.CutPrefix(base, "ForAnyValue:"); ok {
		base, set = rest, setAnyValue
	} else if rest, ok := strings.CutPrefix(base, "ForAllValues:"); ok {
		base, set = rest, setAllValues
	}
	base, ifExists := strings.CutSuffix(base, "IfExists")
	op, ok := operatorNamed(base)
	switch {
	case base == "BinaryEquals":
		return "", 0, false, fmt.Errorf("condition operator %q is not supported by shardcast (no request carries binary condition keys)", name)
	case !ok:
		return "", 0, false, fmt.Errorf("unknown condition operator %q%s; operators are String*, Numeric*, Date*, Bool, IpAddress, NotIpAddress, Arn* and Null, optionally with an IfExists suffix and a ForAnyValue: or ForAllValues: prefix", name, suggest(base, operatorNames()))
	case op.fam == famNull && (ifExists || set != setNone):
		return "", 0, false, fmt.Errorf("condition operator %q: Null takes no IfExists suffix and no ForAnyValue:/ForAllValues: prefix; write \"Null\"", name)
	}
	return base, set, ifExists, nil
}

// compileValues parses the policy's values for c's family.
func (c *condition) compileValues(values []string, vars bool) error {
	for _, v := range values {
		switch c.fam {
		case famString:
			mode := patternMode{wildcards: c.cmp == cmpLike, variables: vars}
			if c.ignoreCase {
				mode.lower = true
			}
			pt, err := compilePattern(v, mode)
			if err != nil {
				return err
			}
			c.strs = append(c.strs, pt)
		case famARN:
			parts := splitARN(v, vars)
			if len(parts) != 6 || parts[0] != "arn" && parts[0] != "*" {
				return fmt.Errorf("value %q is not an ARN (arn:partition:service:region:account:resource, parts may use wildcards)", v)
			}
			arn := make([]pattern, 6)
			for i, part := range parts {
				pt, err := compilePattern(part, patternMode{wildcards: true, variables: vars})
				if err != nil {
					return err
				}
				arn[i] = pt
			}
			c.arns = append(c.arns, arn)
		case famNumeric:
			n, ok := parseNumber(v)
			if !ok {
				return fmt.Errorf("value %q is not a number (numeric conditions take integers or decimals, without policy variables)", v)
			}
			c.nums = append(c.nums, n)
		case famDate:
			t, ok := parseDate(v)
			if !ok {
				return fmt.Errorf("value %q is not a date; write ISO 8601 (\"2026-01-31T12:00:00Z\", \"2026-01-31\") or epoch seconds", v)
			}
			c.times = append(c.times, t)
		case famBool:
			b, ok := parseBool(v)
			if !ok {
				return fmt.Errorf("value %q is neither true nor false", v)
			}
			c.bools = append(c.bools, b)
		case famIP:
			pfx, ok := parsePrefix(v)
			if !ok {
				return fmt.Errorf("value %q is not an IP address range; write CIDR notation (\"203.0.113.0/24\", \"2001:db8::/32\")", v)
			}
			c.nets = append(c.nets, pfx)
		case famNull:
			if len(values) != 1 {
				return fmt.Errorf("%s takes one value, true (the key must be absent) or false (it must be present)", "Null")
			}
			b, ok := parseBool(v)
			if !ok {
				return fmt.Errorf("%s's value %q is neither true (the key must be absent) nor false (it must be present)", "Null", v)
			}
			c.null = b
		}
	}
	return nil
}

// holds reports whether the condition is true for the request's context.
func (c *condition) holds(ctx map[string][]string) bool {
	vals := lookup(ctx, c.key)
	if c.fam == famNull {
		return (len(vals) == 0) == c.null
	}
	if len(vals) == 0 {
		switch {
		case c.ifExists:
			return true
		case c.set == setAllValues:
			return true
		case c.set == setAnyValue:
			return false
		}
		return c.negated
	}
	r := resolver{ctx: ctx, lower: c.ignoreCase}
	switch c.set {
	case setAllValues:
		for _, v := range vals {
			if c.matches(v, &r) == c.negated {
				return false
			}
		}
		return true
	case setAnyValue:
		for _, v := range vals {
			if c.matches(v, &r) != c.negated {
				return true
			}
		}
		return false
	}
	for _, v := range vals {
		if c.matches(v, &r) {
			return !c.negated
		}
	}
	return c.negated
}

// matches reports whether the request value v matches any of the policy's
// values (before negation). A value of the wrong type matches none.
func (c *condition) matches(v string, r *resolver) bool {
	switch c.fam {
	case famString:
		if c.ignoreCase {
			v = strings.ToLower(v)
		}
		for i := range c.strs {
			if c.strs[i].match(v, false, r) {
				return true
			}
		}
	case famARN:
		var parts [6]string
		if !splitRequestARN(v, &parts) {
			return false
		}
	arns:
		for _, arn := range c.arns {
			for i := range arn {
				if !arn[i].match(parts[i], false, r) {
					continue arns
				}
			}
			return true
		}
	case famNumeric:
		n, ok := parseNumber(v)
		if !ok {
			return false
		}
		for _, p := range c.nums {
			if compare(n, p, c.cmp) {
				return true
			}
		}
	case famDate:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for _, p := range c.times {
			if compare(t.Compare(p), 0, c.cmp) {
				return true
			}
		}
	case famBool:
		b, ok := parseBool(v)
		if !ok {
			return false
		}
		for _, p := range c.bools {
			if b == p {
				return true
			}
		}
	case famIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, p := range c.nets {
			if p.Contains(a) {
				return true
			}
		}
	}
	return false
}

// compare holds a against b as cmp asks.
func compare[T int | float64](a, b T, cmp comparison) bool {
	switch cmp {
	case cmpLess:
		return a < b
	case cmpLessEqual:
		return a <= b
	case cmpGreater:
		return a > b
	case cmpGreaterEqual:
		return a >= b
	}
	return a == b
}
