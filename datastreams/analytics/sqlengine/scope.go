package sqlengine

import (
	"strings"

	"github.com/shardcast/shardcast/datastreams/analytics/sqlparse"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// scopeCol is a column a query's expressions can name: the relation it
// comes from (a stream, table, alias) and where it is in the row.
type scopeCol struct {
	qual string
	name string
	typ  sqltypes.Type
	idx  int
	// mono marks a column that a sub-query computed as a monotonic
	// expression of ROWTIME (ROWTIME itself, STEP or FLOOR of it,
	// MONOTONIC(...)): the outer query may group on it.
	mono bool
}

// scope is what names resolve to in one operator's input rows.
type scope struct {
	cols []scopeCol
	// quals are the relation names and aliases in scope (for s.ROWTIME
	// and s.*).
	quals []string
	// hook, when set, sees every expression before it is compiled:
	// grouped and windowed queries use it to replace group keys and
	// aggregate calls by the columns that hold them.
	hook func(e sqlparse.Expr) (cexpr, bool, error)
	// noColumns is the message for a column named where columns cannot
	// be (a grouped query's ungrouped column); "" when columns resolve.
	noColumns string
	// looseQual lets a relation's qualifier name a column that carries
	// none (a query's result columns in its ORDER BY).
	looseQual bool
}

func (s *scope) hasQual(q string) bool {
	for _, x := range s.quals {
		if x == q {
			return true
		}
	}
	return false
}

// resolved is what a name refers to: a column (idx), ROWTIME, or a field
// of a row-valued column.
type resolved struct {
	rowtime bool
	col     *scopeCol
	field   []int // field positions inside a ROW value, outermost first
	typ     sqltypes.Type
}

func identPath(parts []sqlparse.Ident) string {
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = p.Name
	}
	return strings.Join(s, ".")
}

// resolve finds a (possibly qualified) name.
func (s *scope) resolve(n *sqlparse.Name) (resolved, error) {
	parts := n.Parts
	if len(parts) == 0 {
		return resolved{}, sqlparse.Errorf(n.Pos, "empty name")
	}
	// qualifier.ROWTIME or ROWTIME
	last := parts[len(parts)-1]
	if strings.EqualFold(last.Name, "ROWTIME") && !last.Quoted || last.Name == "ROWTIME" {
		if len(parts) == 1 || len(parts) == 2 && s.hasQual(parts[0].Name) {
			return resolved{rowtime: true, typ: sqltypes.Type{Kind: sqltypes.Timestamp, NotNull: true}}, nil
		}
	}
	try := func(qual string, name string, rest []sqlparse.Ident) (resolved, bool, error) {
		var found *scopeCol
		for i := range s.cols {
			c := &s.cols[i]
			if c.name == name && (qual == "" || c.qual == qual) {
				if found != nil && found.idx != c.idx {
					return resolved{}, true, sqlparse.Errorf(n.Pos, "column %s is ambiguous", name)
				}
				found = c
			}
		}
		if found == nil {
			return resolved{}, false, nil
		}
		r := resolved{col: found, typ: found.typ}
		for _, f := range rest {
			if r.typ.Kind != sqltypes.RowKind {
				return resolved{}, true, sqlparse.Errorf(f.Pos, "%s is not a row value", identPath(parts))
			}
			k := -1
			for i, fc := range r.typ.Fields {
				if fc.Name == f.Name || !f.Quoted && strings.EqualFold(fc.Name, f.Name) {
					k = i
					break
				}
			}
			if k < 0 {
				return resolved{}, true, sqlparse.Errorf(f.Pos, "row value %s has no field %s", identPath(parts), f.Name)
			}
			r.field = append(r.field, k)
			r.typ = r.typ.Fields[k].Type
		}
		return r, true, nil
	}
	if len(parts) >= 2 && s.hasQual(parts[0].Name) {
		if r, ok, err := try(parts[0].Name, parts[1].Name, parts[2:]); ok || err != nil {
			return r, err
		}
	}
	if r, ok, err := try("", parts[0].Name, parts[1:]); ok || err != nil {
		return r, err
	}
	if s.looseQual && len(parts) >= 2 && s.hasQual(parts[0].Name) {
		if r, ok, err := try("", parts[1].Name, parts[2:]); ok || err != nil {
			return r, err
		}
	}
	return resolved{}, sqlparse.Errorf(n.Pos, "column %s not found", identPath(parts))
}

// sameName reports whether two names resolve to the same column.
func (s *scope) sameName(a, b *sqlparse.Name) bool {
	ra, err1 := s.resolve(a)
	rb, err2 := s.resolve(b)
	if err1 != nil || err2 != nil {
		return false
	}
	if ra.rowtime || rb.rowtime {
		return ra.rowtime && rb.rowtime
	}
	if ra.col.idx != rb.col.idx || len(ra.field) != len(rb.field) {
		return false
	}
	for i := range ra.field {
		if ra.field[i] != rb.field[i] {
			return false
		}
	}
	return true
}
