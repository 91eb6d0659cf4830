package leases

import (
	"sort"
	"strings"

	"github.com/shardcast/shardcast/datastreams/leases/attr"
	"github.com/shardcast/shardcast/datastreams/leases/expr"
)

// checkFamilies refuses a request mixing legacy and expression members,
// and placeholders sent without any expression.
func checkFamilies(legacy, exprs map[string]bool, names map[string]string, values attr.Item) error {
	l, x := setNames(legacy), setNames(exprs)
	if len(l) > 0 && len(x) > 0 {
		return validationf("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {%s} Expression parameters: {%s}", strings.Join(l, ", "), strings.Join(x, ", "))
	}
	if len(x) == 0 && names != nil {
		return validationf("ExpressionAttributeNames can only be specified when using expressions")
	}
	if len(x) == 0 && values != nil {
		return validationf("ExpressionAttributeValues can only be specified when using expressions")
	}
	if names != nil && len(names) == 0 {
		return validationf("ExpressionAttributeNames must not be empty")
	}
	if values != nil && len(values) == 0 {
		return validationf("ExpressionAttributeValues must not be empty")
	}
	for k := range names {
		if len(k) < 2 || k[0] != '#' {
			return validationf("ExpressionAttributeNames contains invalid key: Syntax error; key: %q", k)
		}
	}
	for k := range values {
		if len(k) < 2 || k[0] != ':' {
			return validationf("ExpressionAttributeValues contains invalid key: Syntax error; key: %q", k)
		}
	}
	return nil
}

func setNames(m map[string]bool) []string {
	var out []string
	for k, v := range m {
		if v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// newContext validates the values and returns an expression context.
func newContext(names map[string]string, values attr.Item) (*expr.Context, error) {
	var vals attr.Item
	if values != nil {
		var err error
		if vals, err = attr.ValidateItem(values); err != nil {
			return nil, invalid(err)
		}
	}
	return expr.NewContext(names, vals), nil
}

// condition is a parsed write condition (nil = none).
type condition func(attr.Item) bool

// parseCondition builds the condition of a write from either family.
func parseCondition(ctx *expr.Context, ce string, expected map[string]ExpectedAttr, condOp string) (condition, error) {
	if ce != "" {
		c, err := expr.ParseCondition(ctx, expr.KindCondition, ce)
		if err != nil {
			return nil, invalid(err)
		}
		return c.Eval, nil
	}
	if condOp != "" && condOp != "AND" && condOp != "OR" {
		return nil, validationf("1 validation error detected: Value '%s' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]", condOp)
	}
	if len(expected) == 0 {
		return nil, nil
	}
	type check struct {
		name string
		fn   func(v attr.Value, ok bool) bool
	}
	var checks []check
	names := make([]string, 0, len(expected))
	for n := range expected {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fn, err := expectedCheck(n, expected[n])
		if err != nil {
			return nil, err
		}
		checks = append(checks, check{n, fn})
	}
	or := condOp == "OR"
	return func(it attr.Item) bool {
		for _, c := range checks {
			v, ok := it[c.name]
			r := c.fn(v, ok)
			if or && r {
				return true
			}
			if !or && !r {
				return false
			}
		}
		return !or
	}, nil
}

// expectedCheck turns one Expected entry into a test of the attribute.
func expectedCheck(name string, e ExpectedAttr) (func(attr.Value, bool) bool, error) {
	if e.ComparisonOperator != "" || e.AttributeValueList != nil {
		if e.Value != nil || e.Exists != nil {
			return nil, validationf("One or more parameter values were invalid: Value or Exists cannot be used with ComparisonOperator or AttributeValueList for Attribute: %s", name)
		}
		return comparisonCheck(name, e.ComparisonOperator, e.AttributeValueList)
	}
	exists := e.Exists == nil || *e.Exists
	if !exists {
		if e.Value != nil {
			return nil, validationf("One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: %s", name)
		}
		return func(_ attr.Value, ok bool) bool { return !ok }, nil
	}
	if e.Value == nil {
		return nil, validationf("One or more parameter values were invalid: Value must be provided when Exists is %s for Attribute: %s", map[bool]string{true: "true", false: "null"}[e.Exists != nil], name)
	}
	want, err := e.Value.Validate()
	if err != nil {
		return nil, invalid(err)
	}
	return func(v attr.Value, ok bool) bool { return ok && attr.Equal(v, want) }, nil
}

var legacyArgs = map[string][2]int{ // operator -> min, max arguments
	"EQ": {1, 1}, "NE": {1, 1}, "LE": {1, 1}, "LT": {1, 1}, "GE": {1, 1}, "GT": {1, 1},
	"NOT_NULL": {0, 0}, "NULL": {0, 0}, "CONTAINS": {1, 1}, "NOT_CONTAINS": {1, 1},
	"BEGINS_WITH": {1, 1}, "IN": {1, 100}, "BETWEEN": {2, 2},
}

func comparisonCheck(name, op string, list []attr.Value) (func(attr.Value, bool) bool, error) {
	n, ok := legacyArgs[op]
	if !ok {
		return nil, validationf("1 validation error detected: Value '%s' at 'expected.%s.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]", op, name)
	}
	if len(list) < n[0] || len(list) > n[1] {
		return nil, validationf("One or more parameter values were invalid: Invalid number of argument(s) for the %s ComparisonOperator", op)
	}
	args := make([]attr.Value, len(list))
	for i, v := range list {
		c, err := v.Validate()
		if err != nil {
			return nil, invalid(err)
		}
		args[i] = c
	}
	scalar := func(v attr.Value) bool {
		t := v.Type()
		return t == attr.TypeS || t == attr.TypeN || t == attr.TypeB
	}
	switch op {
	case "LE", "LT", "GE", "GT", "BEGINS_WITH", "CONTAINS", "NOT_CONTAINS", "IN":
		for _, a := range args {
			if !scalar(a) {
				return nil, validationf("One or more parameter values were invalid: ComparisonOperator %s is not valid for %s AttributeValue type", op, a.Type())
			}
		}
	case "BETWEEN":
		c, ok := attr.Compare(args[0], args[1])
		if !ok {
			return nil, validationf("One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type")
		}
		if c > 0 {
			return nil, validationf("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound")
		}
	}
	cmp := map[string]string{"LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}
	return func(v attr.Value, ok bool) bool {
		switch op {
		case "NULL":
			return !ok
		case "NOT_NULL":
			return ok
		case "NE":
			return !ok || !attr.Equal(v, args[0])
		}
		if !ok {
			return false
		}
		switch op {
		case "EQ":
			return attr.Equal(v, args[0])
		case "LE", "LT", "GE", "GT":
			return expr.CompareValues(cmp[op], v, args[0])
		case "CONTAINS":
			return expr.Contains(v, args[0])
		case "NOT_CONTAINS":
			return !expr.Contains(v, args[0])
		case "BEGINS_WITH":
			return expr.BeginsWith(v, args[0])
		case "IN":
			for _, a := range args {
				if attr.Equal(v, a) {
					return true
				}
			}
			return false
		case "BETWEEN":
			return expr.CompareValues(">=", v, args[0]) && expr.CompareValues("<=", v, args[1])
		}
		return false
	}, nil
}

// legacyUpdate is a validated AttributeUpdates map.
type legacyUpdate map[string]AttributeUpdate

func checkAttributeUpdates(aus map[string]AttributeUpdate, k keys) (legacyUpdate, error) {
	out := legacyUpdate{}
	for n, u := range aus {
		if n == k.hash || n == k.rng {
			return nil, validationf("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", n)
		}
		if u.Action == "" {
			u.Action = "PUT"
		}
		if u.Value != nil {
			v, err := u.Value.Validate()
			if err != nil {
				return nil, invalid(err)
			}
			u.Value = &v
		}
		switch u.Action {
		case "PUT":
			if u.Value == nil {
				return nil, validationf("One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified")
			}
		case "ADD":
			if u.Value == nil {
				return nil, validationf("One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified")
			}
			if t := u.Value.Type(); t != attr.TypeN && t != attr.TypeL && attr.ElemType(t) == "" {
				return nil, validationf("One or more parameter values were invalid: ADD action is not supported for the type %s", t)
			}
		case "DELETE":
			if u.Value != nil && attr.ElemType(u.Value.Type()) == "" {
				return nil, validationf("One or more parameter values were invalid: DELETE action with value is not supported for the type %s", u.Value.Type())
			}
		default:
			return nil, validationf("1 validation error detected: Value '%s' at 'attributeUpdates.%s.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]", u.Action, n)
		}
		out[n] = u
	}
	return out, nil
}

var errTypeMismatch = validationf("One or more parameter values were invalid: Type mismatch for attribute to update")

// apply applies the updates to it (modified in place).
func (lu legacyUpdate) apply(it attr.Item) error {
	for n, u := range lu {
		cur, ok := it[n]
		switch u.Action {
		case "PUT":
			it[n] = *u.Value
		case "ADD":
			if ok && u.Value.Type() == attr.TypeL {
				if cur.Type() != attr.TypeL {
					return errTypeMismatch
				}
				it[n] = attr.L(append(append([]attr.Value{}, cur.L...), u.Value.L...)...)
				continue
			}
			v, err := expr.AddValues(cur, ok, *u.Value)
			if err != nil {
				return errTypeMismatch
			}
			it[n] = v
		case "DELETE":
			switch {
			case u.Value == nil:
				delete(it, n)
			case !ok:
			default:
				v, err := expr.DeleteFromSet(cur, *u.Value)
				if err != nil {
					return errTypeMismatch
				}
				if v.IsZero() {
					delete(it, n)
				} else {
					it[n] = v
				}
			}
		}
	}
	return nil
}

func (lu legacyUpdate) tops() []string {
	out := make([]string, 0, len(lu))
	for n := range lu {
		out = append(out, n)
	}
	return out
}
