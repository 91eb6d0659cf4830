package expr

import (
	"strconv"
	"strings"

	"github.com/shardcast/shardcast/datastreams/leases/attr"
)

// PathElem is one step of a document path: a name or a list index.
type PathElem struct {
	Name    string
	Index   int
	IsIndex bool
}

// Path is a document path such as a.b[0].c, placeholders resolved.
type Path []PathElem

func (p Path) String() string {
	var b strings.Builder
	for i, e := range p {
		switch {
		case e.IsIndex:
			b.WriteString("[" + strconv.Itoa(e.Index) + "]")
		case i > 0:
			b.WriteString("." + e.Name)
		default:
			b.WriteString(e.Name)
		}
	}
	return b.String()
}

// Top is the path's top-level attribute name.
func (p Path) Top() string { return p[0].Name }

// Get resolves the path in an item.
func (p Path) Get(it attr.Item) (attr.Value, bool) {
	v, ok := it[p[0].Name]
	if !ok {
		return attr.Value{}, false
	}
	for _, e := range p[1:] {
		switch {
		case e.IsIndex && v.Type() == attr.TypeL && e.Index < len(v.L):
			v = v.L[e.Index]
		case !e.IsIndex && v.Type() == attr.TypeM:
			var ok bool
			if v, ok = v.M[e.Name]; !ok {
				return attr.Value{}, false
			}
		default:
			return attr.Value{}, false
		}
	}
	return v, true
}

// overlaps reports whether one path is a prefix of the other.
func overlaps(a, b Path) bool {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var errBadPath = errorf("The document path provided in the update expression is invalid for update")

// set writes val at path rest inside v (v may be absent when rest is empty).
func setIn(v attr.Value, rest Path, val attr.Value) (attr.Value, error) {
	if len(rest) == 0 {
		return val, nil
	}
	e := rest[0]
	switch {
	case e.IsIndex && v.Type() == attr.TypeL:
		l := append([]attr.Value{}, v.L...)
		if e.Index >= len(l) {
			if len(rest) > 1 {
				return v, errBadPath
			}
			return attr.L(append(l, val)...), nil
		}
		c, err := setIn(l[e.Index], rest[1:], val)
		if err != nil {
			return v, err
		}
		l[e.Index] = c
		return attr.L(l...), nil
	case !e.IsIndex && v.Type() == attr.TypeM:
		m := make(map[string]attr.Value, len(v.M)+1)
		for k, x := range v.M {
			m[k] = x
		}
		cur, ok := m[e.Name]
		if !ok && len(rest) > 1 {
			return v, errBadPath
		}
		c, err := setIn(cur, rest[1:], val)
		if err != nil {
			return v, err
		}
		m[e.Name] = c
		return attr.M(m), nil
	}
	return v, errBadPath
}

// removeIn deletes path rest inside v; a missing element is no error.
func removeIn(v attr.Value, rest Path) attr.Value {
	e := rest[0]
	switch {
	case e.IsIndex && v.Type() == attr.TypeL:
		if e.Index >= len(v.L) {
			return v
		}
		l := append([]attr.Value{}, v.L...)
		if len(rest) == 1 {
			return attr.L(append(l[:e.Index], l[e.Index+1:]...)...)
		}
		l[e.Index] = removeIn(l[e.Index], rest[1:])
		return attr.L(l...)
	case !e.IsIndex && v.Type() == attr.TypeM:
		cur, ok := v.M[e.Name]
		if !ok {
			return v
		}
		m := make(map[string]attr.Value, len(v.M))
		for k, x := range v.M {
			m[k] = x
		}
		if len(rest) == 1 {
			delete(m, e.Name)
		} else {
			m[e.Name] = removeIn(cur, rest[1:])
		}
		return attr.M(m)
	}
	return v
}

// Set writes val at p in it (which it modifies).
func (p Path) Set(it attr.Item, val attr.Value) error {
	if len(p) == 1 {
		it[p[0].Name] = val
		return nil
	}
	cur, ok := it[p[0].Name]
	if !ok {
		return errBadPath
	}
	nv, err := setIn(cur, p[1:], val)
	if err != nil {
		return err
	}
	it[p[0].Name] = nv
	return nil
}

// Remove deletes p from it (which it modifies).
func (p Path) Remove(it attr.Item) {
	if len(p) == 1 {
		delete(it, p[0].Name)
		return
	}
	if cur, ok := it[p[0].Name]; ok {
		it[p[0].Name] = removeIn(cur, p[1:])
	}
}

// Project returns the parts of it named by paths (nil paths = all of it).
func Project(it attr.Item, paths []Path) attr.Item {
	if it == nil {
		return nil
	}
	if paths == nil {
		return it
	}
	out := attr.Item{}
	for _, p := range paths {
		v, ok := p.Get(it)
		if !ok {
			continue
		}
		if len(p) == 1 {
			out[p[0].Name] = v
			continue
		}
		// Build the containers along the path: names make maps, indices
		// append to lists (DynamoDB compacts projected list elements).
		root, had := out[p[0].Name]
		if !had {
			root = container(p[1])
		}
		out[p[0].Name] = projectInto(root, p[1:], v)
	}
	return out
}

func container(e PathElem) attr.Value {
	if e.IsIndex {
		return attr.L()
	}
	return attr.M(nil)
}

func projectInto(c attr.Value, rest Path, v attr.Value) attr.Value {
	e := rest[0]
	if e.IsIndex {
		if c.Type() != attr.TypeL {
			return c
		}
		if len(rest) == 1 {
			return attr.L(append(append([]attr.Value{}, c.L...), v)...)
		}
		return attr.L(append(append([]attr.Value{}, c.L...), projectInto(container(rest[1]), rest[1:], v))...)
	}
	if c.Type() != attr.TypeM {
		return c
	}
	m := make(map[string]attr.Value, len(c.M)+1)
	for k, x := range c.M {
		m[k] = x
	}
	if len(rest) == 1 {
		m[e.Name] = v
	} else {
		sub, ok := m[e.Name]
		if !ok {
			sub = container(rest[1])
		}
		m[e.Name] = projectInto(sub, rest[1:], v)
	}
	return attr.M(m)
}
