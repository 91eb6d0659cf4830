package sqlengine

import (
	"strings"

	"github.com/shardcast/shardcast/datastreams/analytics/sqlfunc"
	"github.com/shardcast/shardcast/datastreams/analytics/sqlparse"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// relKind is what a name in FROM is.
type relKind uint8

const (
	relInput relKind = iota
	relStream
	relTable
)

type relation struct {
	kind   relKind
	name   string
	cols   []sqltypes.Column
	pumped bool // a pump writes into it
}

// planner compiles one application code.
type planner struct {
	exprCompiler
	env     Env
	rels    map[string]*relation
	streams []string // created streams in order
	pumps   []*pumpSpec
	reads   []string // the streams the pump being planned reads
}

func (p *planner) errorStreamName(id sqlparse.Ident) bool {
	return strings.EqualFold(id.Name, ErrorStream)
}

func (p *planner) plan(script *sqlparse.Script) error {
	for _, st := range script.Statements {
		var err error
		switch st := st.(type) {
		case *sqlparse.CreateStream:
			err = p.createStream(st)
		case *sqlparse.CreatePump:
			err = p.createPump(st.Pos, st.OrReplace, st.Name, st.Target, st.Columns, st.Query)
		case *sqlparse.CreateView:
			err = p.createView(st)
		case *sqlparse.CreateFunction:
			if p.udfs[st.Name.Name] != nil && !st.OrReplace {
				err = sqlparse.Errorf(st.Name.Pos, "function %s already exists (use CREATE OR REPLACE)", st.Name.Name)
			} else {
				p.udfs[st.Name.Name] = st
			}
		default:
			err = sqlparse.Errorf(st.Position(), "unsupported statement")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (p *planner) createStream(st *sqlparse.CreateStream) error {
	name := st.Name.Name
	if p.errorStreamName(st.Name) {
		return sqlparse.Errorf(st.Name.Pos, "%s is reserved", ErrorStream)
	}
	if old := p.rels[name]; old != nil {
		switch {
		case old.kind != relStream:
			return sqlparse.Errorf(st.Name.Pos, "%s already exists as an input or a table", name)
		case !st.OrReplace:
			return sqlparse.Errorf(st.Name.Pos, "stream %s already exists (use CREATE OR REPLACE)", name)
		case old.pumped:
			return sqlparse.Errorf(st.Name.Pos, "stream %s has a pump and cannot be redefined", name)
		}
	} else {
		p.streams = append(p.streams, name)
	}
	if len(st.Columns) == 0 {
		return sqlparse.Errorf(st.Pos, "stream %s has no columns", name)
	}
	cols := make([]sqltypes.Column, len(st.Columns))
	seen := map[string]bool{}
	for i, c := range st.Columns {
		if seen[c.Name.Name] {
			return sqlparse.Errorf(c.Name.Pos, "column %s appears twice", c.Name.Name)
		}
		if strings.EqualFold(c.Name.Name, "ROWTIME") {
			return sqlparse.Errorf(c.Name.Pos, "ROWTIME is a system column")
		}
		seen[c.Name.Name] = true
		cols[i] = sqltypes.Column{Name: c.Name.Name, Type: c.Type}
	}
	p.rels[name] = &relation{kind: relStream, name: name, cols: cols}
	return nil
}

func (p *planner) createView(st *sqlparse.CreateView) error {
	if p.errorStreamName(st.Name) {
		return sqlparse.Errorf(st.Name.Pos, "%s is reserved", ErrorStream)
	}
	if old := p.rels[st.Name.Name]; old != nil && (!st.OrReplace || old.kind != relStream || old.pumped) {
		return sqlparse.Errorf(st.Name.Pos, "%s already exists", st.Name.Name)
	}
	p.reads = nil
	q, err := p.planQuery(st.Query)
	if err != nil {
		return err
	}
	cols := append([]sqltypes.Column(nil), q.cols...)
	if len(st.Columns) > 0 {
		if len(st.Columns) != len(cols) {
			return sqlparse.Errorf(st.Pos, "view %s names %d columns, its query has %d", st.Name.Name, len(st.Columns), len(cols))
		}
		for i, c := range st.Columns {
			cols[i].Name = c.Name
		}
	}
	for i := range cols {
		cols[i].Type.NotNull = false
	}
	if p.rels[st.Name.Name] == nil {
		p.streams = append(p.streams, st.Name.Name)
	}
	p.rels[st.Name.Name] = &relation{kind: relStream, name: st.Name.Name, cols: cols}
	return p.addPump(st.Name.Name, st.Name.Name, q, nil, st.Pos)
}

func (p *planner) createPump(pos sqlparse.Pos, orReplace bool, name, target sqlparse.Ident, columns []sqlparse.Ident, query sqlparse.Query) error {
	for i, old := range p.pumps {
		if old.name == name.Name {
			if !orReplace {
				return sqlparse.Errorf(name.Pos, "pump %s already exists (use CREATE OR REPLACE)", name.Name)
			}
			p.pumps = append(p.pumps[:i], p.pumps[i+1:]...)
			break
		}
	}
	if p.errorStreamName(target) {
		return sqlparse.Errorf(target.Pos, "%s is reserved: pumps cannot write into it", ErrorStream)
	}
	rel := p.rels[target.Name]
	if rel == nil {
		return sqlparse.Errorf(target.Pos, "stream %s does not exist", target.Name)
	}
	if rel.kind != relStream {
		return sqlparse.Errorf(target.Pos, "%s is not an in-application stream created by the code", target.Name)
	}
	p.reads = nil
	q, err := p.planQuery(query)
	if err != nil {
		return err
	}
	return p.addPump(name.Name, target.Name, q, columns, pos)
}

// addPump matches a query's columns with the target's (by the INSERT
// column list, else by position) and adds the pump.
func (p *planner) addPump(name, target string, q *queryPlan, columns []sqlparse.Ident, pos sqlparse.Pos) error {
	rel := p.rels[target]
	sink := &sinkSpec{stream: target, src: make([]int, len(rel.cols)), cast: make([]castFn, len(rel.cols)),
		nulls: make([]sqltypes.Value, len(rel.cols))}
	for i := range sink.src {
		sink.src[i] = -1
		sink.nulls[i] = sqltypes.NullOf(rel.cols[i].Type.Kind)
	}
	var targets []int
	if len(columns) > 0 {
		for _, c := range columns {
			k := -1
			for i, rc := range rel.cols {
				if rc.Name == c.Name {
					k = i
				}
			}
			if k < 0 {
				return sqlparse.Errorf(c.Pos, "stream %s has no column %s", target, c.Name)
			}
			for _, t := range targets {
				if t == k {
					return sqlparse.Errorf(c.Pos, "column %s is named twice", c.Name)
				}
			}
			targets = append(targets, k)
		}
	} else {
		for i := range rel.cols {
			targets = append(targets, i)
		}
	}
	// a selected ROWTIME goes with the row, not into a column
	from := make([]int, 0, len(q.cols))
	for j, c := range q.cols {
		if c.Name == "ROWTIME" && len(q.cols) == len(targets)+1 {
			continue
		}
		from = append(from, j)
	}
	if len(targets) != len(from) {
		return sqlparse.Errorf(pos, "INSERT INTO %s: %d target columns, the query gives %d", target, len(targets), len(q.cols))
	}
	for jj, k := range targets {
		j := from[jj]
		from, to := q.cols[j].Type, rel.cols[k].Type
		if from.Kind != sqltypes.Null && !sqlfunc.CanCast(from, to) {
			return sqlparse.Errorf(pos, "INSERT INTO %s: column %s is %s, the query gives %s (%s)", target, rel.cols[k].Name, to, from, q.cols[j].Name)
		}
		sink.src[k] = j
		if !sameType(from, to) {
			t := to
			sink.cast[k] = func(v sqltypes.Value) (sqltypes.Value, error) { return sqlfunc.Cast(v, t) }
		}
	}
	rel.pumped = true
	p.pumps = append(p.pumps, &pumpSpec{name: name, query: q, sink: sink, reads: p.reads})
	p.reads = nil
	return nil
}

// sameType reports when a value of type a needs no conversion to b.
func sameType(a, b sqltypes.Type) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case sqltypes.Char, sqltypes.Varchar, sqltypes.Binary, sqltypes.Varbinary:
		return b.Len == 0 || a.Len != 0 && a.Len <= b.Len && a.Kind != sqltypes.Char
	case sqltypes.Decimal:
		return a.Scale == b.Scale && a.Precision <= b.Precision
	}
	return true
}

// orderPumps puts a pump after the pumps that write the streams it
// reads (code order otherwise), so that windows close upstream first.
func orderPumps(pumps []*pumpSpec) []*pumpSpec {
	writes := map[string][]int{}
	for i, pm := range pumps {
		writes[pm.sink.stream] = append(writes[pm.sink.stream], i)
	}
	state := make([]uint8, len(pumps))
	var out []*pumpSpec
	var visit func(i int)
	visit = func(i int) {
		if state[i] != 0 {
			return
		}
		state[i] = 1
		for _, s := range pumps[i].reads {
			for _, j := range writes[s] {
				visit(j)
			}
		}
		state[i] = 2
		out = append(out, pumps[i])
	}
	for i := range pumps {
		visit(i)
	}
	return out
}
