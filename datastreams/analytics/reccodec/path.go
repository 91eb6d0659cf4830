package reccodec

import (
	"fmt"
	"strconv"
	"strings"
)

// step is one step of a JSONPath: a member name, an array index, or
// every element of an array ([0:] or [*]).
type step struct {
	name  string
	index int // >= 0: an index; -1: a member; -2: every element
}

const (
	stepMember = -1
	stepAll    = -2
)

// Path is a parsed JSONPath of the subset that schemas use.
type Path []step

// ParsePath reads a JSONPath: "$" followed by .name, ['name'], ["name"],
// [n], [0:] or [*] steps.
func ParsePath(s string) (Path, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("JSONPath %q must start with $", s)
	}
	var p Path
	i := 1
	for i < len(s) {
		switch s[i] {
		case '.':
			j := i + 1
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			if j == i+1 {
				return nil, fmt.Errorf("JSONPath %q: empty member name at offset %d", s, i)
			}
			p = append(p, step{name: s[i+1 : j], index: stepMember})
			i = j
		case '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("JSONPath %q: unclosed [ at offset %d", s, i)
			}
			inner := strings.TrimSpace(s[i+1 : i+end])
			switch {
			case inner == "*" || inner == "0:":
				p = append(p, step{index: stepAll})
			case len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0]:
				p = append(p, step{name: inner[1 : len(inner)-1], index: stepMember})
			default:
				n, err := strconv.Atoi(inner)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("JSONPath %q: %q is not an index, a quoted name, 0: or *", s, inner)
				}
				p = append(p, step{index: n})
			}
			i += end + 1
		default:
			return nil, fmt.Errorf("JSONPath %q: unexpected %q at offset %d", s, s[i], i)
		}
	}
	return p, nil
}

// all returns the position of the path's [0:] step, or -1.
func (p Path) all() int {
	for i, st := range p {
		if st.index == stepAll {
			return i
		}
	}
	return -1
}

// Lookup follows the path from a decoded JSON value (stopping at a [0:]
// step, where it returns the array); ok is false when a step finds
// nothing.
func (p Path) Lookup(v any) (any, bool) { return p.eval(v) }

// eval follows the path from v; ok is false when a step finds nothing.
// It does not pass a [0:] step (callers split there).
func (p Path) eval(v any) (any, bool) {
	for _, st := range p {
		switch st.index {
		case stepMember:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[st.name]; !ok {
				return nil, false
			}
		case stepAll:
			return v, true
		default:
			a, ok := v.([]any)
			if !ok || st.index >= len(a) {
				return nil, false
			}
			v = a[st.index]
		}
	}
	return v, true
}

// hasPrefix reports whether q starts with the steps of p.
func (p Path) hasPrefix(q Path) bool {
	if len(q) > len(p) {
		return false
	}
	for i := range q {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}
