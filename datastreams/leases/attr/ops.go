package attr

import (
	"bytes"
	"strings"
)

// Num returns the number of an N value (false for other types).
func (v Value) Num() (Num, bool) {
	if v.Type() != TypeN {
		return Num{}, false
	}
	n, ok := parseNum(*v.N)
	return n, ok
}

// Equal reports DynamoDB equality: same type and same content; numbers
// numerically, sets regardless of order.
func Equal(a, b Value) bool {
	t := a.Type()
	if t != b.Type() {
		return false
	}
	switch t {
	case TypeS:
		return *a.S == *b.S
	case TypeN:
		x, _ := a.Num()
		y, _ := b.Num()
		return x.Cmp(y) == 0
	case TypeB:
		return bytes.Equal(a.B, b.B)
	case TypeBOOL:
		return *a.BOOL == *b.BOOL
	case TypeNULL:
		return true
	case TypeM:
		if len(a.M) != len(b.M) {
			return false
		}
		for k, x := range a.M {
			y, ok := b.M[k]
			if !ok || !Equal(x, y) {
				return false
			}
		}
		return true
	case TypeL:
		if len(a.L) != len(b.L) {
			return false
		}
		for i := range a.L {
			if !Equal(a.L[i], b.L[i]) {
				return false
			}
		}
		return true
	case TypeSS, TypeNS, TypeBS:
		x, y := a.SetMembers(), b.SetMembers()
		if len(x) != len(y) {
			return false
		}
		for _, e := range x {
			if !ContainsMember(b, e) {
				return false
			}
		}
		return true
	}
	return false
}

// Compare orders two values of the same scalar type (S, N, B); ok is false
// for other types or a type mismatch.
func Compare(a, b Value) (c int, ok bool) {
	t := a.Type()
	if t != b.Type() {
		return 0, false
	}
	switch t {
	case TypeS:
		return strings.Compare(*a.S, *b.S), true
	case TypeN:
		x, _ := a.Num()
		y, _ := b.Num()
		return x.Cmp(y), true
	case TypeB:
		return bytes.Compare(a.B, b.B), true
	}
	return 0, false
}

// SetMembers returns a set's members as single values (nil for non-sets).
func (v Value) SetMembers() []Value {
	var out []Value
	switch v.Type() {
	case TypeSS:
		for _, s := range v.SS {
			out = append(out, S(s))
		}
	case TypeNS:
		for _, s := range v.NS {
			out = append(out, N(s))
		}
	case TypeBS:
		for _, b := range v.BS {
			out = append(out, B(b))
		}
	}
	return out
}

// ContainsMember reports whether set holds e (of the set's element type).
func ContainsMember(set, e Value) bool {
	for _, m := range set.SetMembers() {
		if Equal(m, e) {
			return true
		}
	}
	return false
}

// ElemType is the scalar type of a set's members ("" for non-sets).
func ElemType(setType string) string {
	switch setType {
	case TypeSS:
		return TypeS
	case TypeNS:
		return TypeN
	case TypeBS:
		return TypeB
	}
	return ""
}

// MakeSet builds a set of type t from members (which must be of its
// element type); an empty result is the zero Value.
func MakeSet(t string, members []Value) Value {
	if len(members) == 0 {
		return Value{}
	}
	switch t {
	case TypeSS:
		ss := make([]string, len(members))
		for i, m := range members {
			ss[i] = *m.S
		}
		return SS(ss...)
	case TypeNS:
		ns := make([]string, len(members))
		for i, m := range members {
			ns[i] = *m.N
		}
		return NS(ns...)
	case TypeBS:
		bs := make([][]byte, len(members))
		for i, m := range members {
			bs[i] = m.B
		}
		return BS(bs...)
	}
	return Value{}
}

// Clone returns a deep copy.
func (v Value) Clone() Value {
	switch v.Type() {
	case TypeM:
		m := make(map[string]Value, len(v.M))
		for k, e := range v.M {
			m[k] = e.Clone()
		}
		return M(m)
	case TypeL:
		l := make([]Value, len(v.L))
		for i, e := range v.L {
			l[i] = e.Clone()
		}
		return L(l...)
	case TypeSS:
		return SS(append([]string{}, v.SS...)...)
	case TypeNS:
		return NS(append([]string{}, v.NS...)...)
	case TypeBS:
		return BS(append([][]byte{}, v.BS...)...)
	case TypeB:
		return B(v.B)
	}
	return v
}

// Clone returns a deep copy of an item (nil stays nil).
func (it Item) Clone() Item {
	if it == nil {
		return nil
	}
	out := make(Item, len(it))
	for k, v := range it {
		out[k] = v.Clone()
	}
	return out
}
