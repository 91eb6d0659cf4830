package sqlengine

import (
	"github.com/shardcast/shardcast/datastreams/analytics/sqlparse"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// planFrom compiles one FROM item.
func (p *planner) planFrom(f sqlparse.From, _ *scope) (*fromPlan, error) {
	switch f := f.(type) {
	case *sqlparse.TableRef:
		name := f.Name[len(f.Name)-1]
		rel := p.rels[name.Name]
		if rel == nil {
			if p.errorStreamName(name) {
				return nil, sqlparse.Errorf(name.Pos, "%s cannot be read by the application", ErrorStream)
			}
			return nil, sqlparse.Errorf(name.Pos, "stream or table %s does not exist", name.Name)
		}
		quals := []string{name.Name}
		qual := name.Name
		if f.Alias != nil {
			qual = f.Alias.Name
			quals = append(quals, qual)
		}
		cols, err := renameCols(f.Pos, rel.cols, f.Columns)
		if err != nil {
			return nil, err
		}
		fp := &fromPlan{sc: relScope(cols, qual, quals, 0), over: f.Over, pos: f.Pos}
		if rel.kind == relTable {
			fp.table = rel
			return fp, nil
		}
		fp.src = streamSource{name: rel.name}
		p.reads = append(p.reads, rel.name)
		return fp, nil
	case *sqlparse.SubqueryRef:
		q, err := p.subQuery(f.Query)
		if err != nil {
			return nil, err
		}
		cols, err := renameCols(f.Pos, q.cols, f.Columns)
		if err != nil {
			return nil, err
		}
		var quals []string
		qual := ""
		if f.Alias != nil {
			qual = f.Alias.Name
			quals = []string{qual}
		}
		sc := relScope(cols, qual, quals, 0)
		for i := range sc.cols {
			sc.cols[i].mono = i < len(q.mono) && q.mono[i]
		}
		return &fromPlan{src: q, sc: sc, pos: f.Pos}, nil
	case *sqlparse.TableFunc:
		return p.planTableFunc(f)
	case *sqlparse.Join:
		return p.planJoin(f)
	}
	return nil, sqlparse.Errorf(f.Position(), "unsupported FROM item")
}

func renameCols(pos sqlparse.Pos, cols []sqltypes.Column, names []sqlparse.Ident) ([]sqltypes.Column, error) {
	if len(names) == 0 {
		return cols, nil
	}
	if len(names) != len(cols) {
		return nil, sqlparse.Errorf(pos, "%d column names for %d columns", len(names), len(cols))
	}
	out := append([]sqltypes.Column(nil), cols...)
	for i, n := range names {
		out[i].Name = n.Name
	}
	return out, nil
}

// relScope is the scope of one relation's columns, from position off in
// the row.
func relScope(cols []sqltypes.Column, qual string, quals []string, off int) *scope {
	sc := &scope{quals: quals}
	for i, c := range cols {
		sc.cols = append(sc.cols, scopeCol{qual: qual, name: c.Name, typ: c.Type, idx: off + i})
	}
	return sc
}

// joinScope is two scopes side by side (the right one's columns after
// the left's).
func joinScope(l, r *scope) *scope {
	sc := &scope{quals: append(append([]string(nil), l.quals...), r.quals...)}
	sc.cols = append(sc.cols, l.cols...)
	off := len(l.cols)
	for _, c := range r.cols {
		c.idx += off
		sc.cols = append(sc.cols, c)
	}
	return sc
}
