package attr

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Value is one DynamoDB AttributeValue: exactly one member is set. Its JSON
// form is the wire form ({"S":"x"}, {"N":"1"}, {"L":[]}, ...).
type Value struct {
	S    *string
	N    *string // canonical decimal text once validated by the engine
	B    []byte
	BOOL *bool
	NULL bool
	M    map[string]Value
	L    []Value
	SS   []string
	NS   []string
	BS   [][]byte
	// set records which member is present, so empty L/M/B are kept.
	set string
	// bad is a fault found while decoding, reported by Validate.
	bad string
}

// Item is one item: attribute name -> value.
type Item map[string]Value

// Type names.
const (
	TypeS    = "S"
	TypeN    = "N"
	TypeB    = "B"
	TypeBOOL = "BOOL"
	TypeNULL = "NULL"
	TypeM    = "M"
	TypeL    = "L"
	TypeSS   = "SS"
	TypeNS   = "NS"
	TypeBS   = "BS"
)

// Error is a validation failure; Message is DynamoDB's wording.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

func errorf(format string, a ...any) error { return &Error{Message: fmt.Sprintf(format, a...)} }

// Constructors.

func S(s string) Value    { return Value{S: &s, set: TypeS} }
func B(b []byte) Value    { return Value{B: append([]byte{}, b...), set: TypeB} }
func Bool(b bool) Value   { return Value{BOOL: &b, set: TypeBOOL} }
func Null() Value         { return Value{NULL: true, set: TypeNULL} }
func L(vs ...Value) Value { return Value{L: append([]Value{}, vs...), set: TypeL} }
func M(m map[string]Value) Value {
	if m == nil {
		m = map[string]Value{}
	}
	return Value{M: m, set: TypeM}
}
func SS(ss ...string) Value { return Value{SS: ss, set: TypeSS} }
func NS(ns ...string) Value { return Value{NS: ns, set: TypeNS} }
func BS(bs ...[]byte) Value { return Value{BS: bs, set: TypeBS} }

// N is a number value; text is kept as given until Validate canonicalises.
func N(text string) Value { return Value{N: &text, set: TypeN} }

// NumValue is a number value from a Num.
func NumValue(n Num) Value { return N(n.String()) }

// Int is a number value of an integer.
func Int(i int64) Value { return N(fmt.Sprint(i)) }

// Type returns the member that is set ("" for none).
func (v Value) Type() string {
	if v.set != "" {
		return v.set
	}
	switch {
	case v.S != nil:
		return TypeS
	case v.N != nil:
		return TypeN
	case v.B != nil:
		return TypeB
	case v.BOOL != nil:
		return TypeBOOL
	case v.NULL:
		return TypeNULL
	case v.M != nil:
		return TypeM
	case v.L != nil:
		return TypeL
	case v.SS != nil:
		return TypeSS
	case v.NS != nil:
		return TypeNS
	case v.BS != nil:
		return TypeBS
	}
	return ""
}

// IsZero reports a value with no member (a missing attribute).
func (v Value) IsZero() bool { return v.Type() == "" && v.bad == "" }

// members counts the members set, for the exactly-one rule.
func (v Value) members() int {
	n := 0
	for _, b := range []bool{v.S != nil, v.N != nil, v.B != nil, v.BOOL != nil, v.NULL, v.M != nil, v.L != nil, v.SS != nil, v.NS != nil, v.BS != nil} {
		if b {
			n++
		}
	}
	return n
}

// MarshalJSON writes the wire form.
func (v Value) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := v.encode(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (v Value) encode(b *bytes.Buffer) error {
	put := func(name string, x any) error {
		j, err := json.Marshal(x)
		if err != nil {
			return err
		}
		b.WriteString(`{"` + name + `":`)
		b.Write(j)
		b.WriteByte('}')
		return nil
	}
	switch v.Type() {
	case TypeS:
		return put("S", *v.S)
	case TypeN:
		return put("N", *v.N)
	case TypeB:
		return put("B", base64.StdEncoding.EncodeToString(v.B))
	case TypeBOOL:
		return put("BOOL", *v.BOOL)
	case TypeNULL:
		b.WriteString(`{"NULL":true}`)
		return nil
	case TypeM:
		b.WriteString(`{"M":{`)
		keys := make([]string, 0, len(v.M))
		for k := range v.M {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			j, _ := json.Marshal(k)
			b.Write(j)
			b.WriteByte(':')
			if err := v.M[k].encode(b); err != nil {
				return err
			}
		}
		b.WriteString("}}")
		return nil
	case TypeL:
		b.WriteString(`{"L":[`)
		for i, e := range v.L {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := e.encode(b); err != nil {
				return err
			}
		}
		b.WriteString("]}")
		return nil
	case TypeSS:
		return put("SS", v.SS)
	case TypeNS:
		return put("NS", v.NS)
	case TypeBS:
		enc := make([]string, len(v.BS))
		for i, x := range v.BS {
			enc[i] = base64.StdEncoding.EncodeToString(x)
		}
		return put("BS", enc)
	}
	return fmt.Errorf("attr: value with no member")
}

// UnmarshalJSON reads the wire form. Semantic faults (no member, two
// members, a NULL of false) do not fail decoding; Validate reports them.
func (v *Value) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*v = Value{}
	if raw == nil {
		v.bad = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
		return nil
	}
	for k, r := range raw {
		var err error
		switch k {
		case "S":
			var s string
			err = json.Unmarshal(r, &s)
			v.S = &s
		case "N":
			var s string
			err = json.Unmarshal(r, &s)
			v.N = &s
		case "B":
			var s string
			if err = json.Unmarshal(r, &s); err == nil {
				v.B, err = base64.StdEncoding.DecodeString(s)
				if v.B == nil {
					v.B = []byte{}
				}
			}
		case "BOOL":
			var x bool
			err = json.Unmarshal(r, &x)
			v.BOOL = &x
		case "NULL":
			var x bool
			err = json.Unmarshal(r, &x)
			if err == nil && !x {
				v.bad = "One or more parameter values were invalid: Null attribute value types must have the value of true"
			}
			v.NULL = true
		case "M":
			var m map[string]Value
			err = json.Unmarshal(r, &m)
			if m == nil {
				m = map[string]Value{}
			}
			v.M = m
		case "L":
			var l []Value
			err = json.Unmarshal(r, &l)
			if l == nil {
				l = []Value{}
			}
			v.L = l
		case "SS":
			err = json.Unmarshal(r, &v.SS)
			if v.SS == nil {
				v.SS = []string{}
			}
		case "NS":
			err = json.Unmarshal(r, &v.NS)
			if v.NS == nil {
				v.NS = []string{}
			}
		case "BS":
			var ss []string
			if err = json.Unmarshal(r, &ss); err == nil {
				v.BS = make([][]byte, len(ss))
				for i, s := range ss {
					if v.BS[i], err = base64.StdEncoding.DecodeString(s); err != nil {
						break
					}
				}
			}
		default:
			v.bad = fmt.Sprintf("Supplied AttributeValue has an unknown datatype %q", k)
			continue
		}
		if err != nil {
			return fmt.Errorf("attr: member %s: %w", k, err)
		}
		v.set = k
	}
	switch n := v.members(); {
	case n == 0 && v.bad == "":
		v.bad = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
	case n > 1:
		v.bad = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
	}
	return nil
}

// Validate checks a value entering the engine and canonicalises numbers
// in place (the returned value is the one to store).
func (v Value) Validate() (Value, error) {
	if v.bad != "" {
		return v, errorf("%s", v.bad)
	}
	switch v.members() {
	case 0:
		return v, errorf("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	case 1:
	default:
		return v, errorf("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
	}
	switch v.Type() {
	case TypeS:
		if !utf8.ValidString(*v.S) {
			return v, errorf("One or more parameter values were invalid: string is not valid UTF-8")
		}
	case TypeN:
		n, err := ParseNum(*v.N)
		if err != nil {
			return v, err
		}
		return NumValue(n), nil
	case TypeM:
		m := make(map[string]Value, len(v.M))
		for k, e := range v.M {
			c, err := e.Validate()
			if err != nil {
				return v, err
			}
			m[k] = c
		}
		return M(m), nil
	case TypeL:
		l := make([]Value, len(v.L))
		for i, e := range v.L {
			c, err := e.Validate()
			if err != nil {
				return v, err
			}
			l[i] = c
		}
		return L(l...), nil
	case TypeSS:
		if len(v.SS) == 0 {
			return v, errorf("One or more parameter values were invalid: An string set  may not be empty")
		}
		if d := dup(v.SS); d {
			return v, errorf("One or more parameter values were invalid: Input collection [%s] contains duplicates.", strings.Join(v.SS, ", "))
		}
	case TypeNS:
		if len(v.NS) == 0 {
			return v, errorf("One or more parameter values were invalid: An number set  may not be empty")
		}
		out := make([]string, len(v.NS))
		for i, s := range v.NS {
			n, err := ParseNum(s)
			if err != nil {
				return v, err
			}
			out[i] = n.String()
		}
		if dup(out) {
			return v, errorf("One or more parameter values were invalid: Input collection [%s] contains duplicates.", strings.Join(v.NS, ", "))
		}
		return NS(out...), nil
	case TypeBS:
		if len(v.BS) == 0 {
			return v, errorf("One or more parameter values were invalid: Binary sets should not be empty")
		}
		ss := make([]string, len(v.BS))
		for i, b := range v.BS {
			ss[i] = string(b)
		}
		if dup(ss) {
			return v, errorf("One or more parameter values were invalid: Input collection contains duplicates.")
		}
	}
	return v, nil
}

func dup(ss []string) bool {
	seen := make(map[string]bool, len(ss))
	for _, s := range ss {
		if seen[s] {
			return true
		}
		seen[s] = true
	}
	return false
}

// ValidateItem validates every attribute of an item and returns the
// canonical copy.
func ValidateItem(it Item) (Item, error) {
	out := make(Item, len(it))
	for k, v := range it {
		if k == "" {
			return nil, errorf("One or more parameter values were invalid: An AttributeValue may not contain an empty attribute name")
		}
		c, err := v.Validate()
		if err != nil {
			return nil, err
		}
		out[k] = c
	}
	return out, nil
}
