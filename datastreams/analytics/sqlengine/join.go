package sqlengine

import (
	"github.com/shardcast/shardcast/datastreams/analytics/sqlparse"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// tableJoinSpec joins each stream row with the rows of a reference
// table that satisfy on (inner, or left: a miss keeps the stream row
// with NULLs). Rows are the stream's columns then the table's, or the
// table's first when it is written on the left.
type tableJoinSpec struct {
	table      string
	on         evalFn // nil: every pair
	outer      bool
	tableFirst bool
	tableNulls []sqltypes.Value
	// streamKey and tableKey, when set, are the two sides of an
	// equality in ON (over the stream's and the table's own columns):
	// the table is then looked up through an index instead of scanned.
	streamKey, tableKey evalFn
}

type tableJoinNode struct {
	*tableJoinSpec
	pump    string
	next    node
	index   map[string][]int
	indexOf *tableRT
	version int
	scratch []byte
}

// candidates are the table rows that may match r: those with an equal
// key when there is an index, else all.
func (n *tableJoinNode) candidates(t *tableRT, r *sqltypes.Row) ([]int, bool, error) {
	if n.streamKey == nil {
		return nil, false, nil
	}
	if n.indexOf != t || n.version != t.version {
		n.index, n.indexOf, n.version = map[string][]int{}, t, t.version
		for i, row := range t.rows {
			v, err := n.tableKey(&sqltypes.Row{Values: row})
			if err != nil || v.Null {
				continue
			}
			k := string(appendKey(nil, []sqltypes.Value{v}))
			n.index[k] = append(n.index[k], i)
		}
	}
	v, err := n.streamKey(r)
	if err != nil || v.Null {
		return nil, true, err
	}
	n.scratch = appendKey(n.scratch[:0], []sqltypes.Value{v})
	return n.index[string(n.scratch)], true, nil
}

func (s *tableJoinSpec) build(b *builder, next node) node {
	return &tableJoinNode{tableJoinSpec: s, pump: b.pump, next: next}
}

func (n *tableJoinNode) combine(stream, table []sqltypes.Value) []sqltypes.Value {
	out := make([]sqltypes.Value, 0, len(stream)+len(table))
	if n.tableFirst {
		return append(append(out, table...), stream...)
	}
	return append(append(out, stream...), table...)
}

func (n *tableJoinNode) push(rt *runtime, r sqltypes.Row) {
	t := rt.tables[n.table]
	matched := false
	if t != nil {
		idx, indexed, err := n.candidates(t, &r)
		if err != nil {
			rt.fail(n.pump, &r, err)
			return
		}
		count := len(t.rows)
		if indexed {
			count = len(idx)
		}
		for j := range count {
			i := j
			if indexed {
				i = idx[j]
			}
			trow := t.rows[i]
			row := sqltypes.Row{Rowtime: r.Rowtime, Values: n.combine(r.Values, trow)}
			if n.on != nil {
				v, err := n.on(&row)
				if err != nil {
					rt.fail(n.pump, &r, err)
					return
				}
				if !v.Truth() {
					continue
				}
			}
			matched = true
			row.ID = derivedID(&rt.h, tagTable, r.ID, int64(i))
			n.next.push(rt, row)
		}
	}
	if !matched && n.outer {
		n.next.push(rt, sqltypes.Row{Rowtime: r.Rowtime, ID: derivedID(&rt.h, tagTable, r.ID, -1),
			Values: n.combine(r.Values, n.tableNulls)})
	}
}

// joinSide is one stream of a stream-stream join: its window (none,
// RANGE ms, or ROWS n PRECEDING), whether its unmatched rows are kept
// (outer), and the NULLs that stand for it in the other side's outer
// rows.
type joinSide struct {
	windowed bool
	rangeMs  int64
	rows     int
	outer    bool
	nulls    []sqltypes.Value
}

// streamJoinSpec joins two streams over their windows. A row that
// arrives is matched with the rows in the other side's window; a side
// without a window contributes its current row only.
type streamJoinSpec struct {
	on    evalFn
	sides [2]joinSide
}

type joinEntry struct {
	row     sqltypes.Row
	matched bool
}

type streamJoinNode struct {
	*streamJoinSpec
	pump string
	next node
	win  [2][]*joinEntry
}

// joinPort is one input of a stream join.
type joinPort struct {
	j    *streamJoinNode
	side int
}

func (p joinPort) push(rt *runtime, r sqltypes.Row) { p.j.arrive(rt, p.side, r) }

func (s *streamJoinSpec) build(b *builder, next node) node {
	return &streamJoinNode{streamJoinSpec: s, pump: b.pump, next: next}
}

// push is not used: rows come through the ports.
func (n *streamJoinNode) push(rt *runtime, r sqltypes.Row) { n.arrive(rt, 0, r) }

func (n *streamJoinNode) pair(side int, mine, other []sqltypes.Value) []sqltypes.Value {
	out := make([]sqltypes.Value, 0, len(mine)+len(other))
	if side == 0 {
		return append(append(out, mine...), other...)
	}
	return append(append(out, other...), mine...)
}

func (n *streamJoinNode) arrive(rt *runtime, side int, r sqltypes.Row) {
	other := 1 - side
	me := &joinEntry{row: cloneRow(r)}
	for _, o := range n.win[other] {
		row := sqltypes.Row{Rowtime: r.Rowtime, Values: n.pair(side, r.Values, o.row.Values)}
		if n.on != nil {
			v, err := n.on(&row)
			if err != nil {
				rt.fail(n.pump, &r, err)
				return
			}
			if !v.Truth() {
				continue
			}
		}
		o.matched, me.matched = true, true
		if side == 0 {
			row.ID = pairID(&rt.h, r.ID, o.row.ID)
		} else {
			row.ID = pairID(&rt.h, o.row.ID, r.ID)
		}
		n.next.push(rt, row)
	}
	s := &n.sides[side]
	if !s.windowed {
		if s.outer && !me.matched {
			n.emitOuter(rt, side, me, r.Rowtime)
		}
		return
	}
	n.win[side] = append(n.win[side], me)
	if s.rangeMs == 0 && len(n.win[side]) > s.rows+1 {
		old := n.win[side][0]
		n.win[side] = n.win[side][1:]
		if s.outer && !old.matched {
			n.emitOuter(rt, side, old, r.Rowtime)
		}
	}
}

func (n *streamJoinNode) emitOuter(rt *runtime, side int, e *joinEntry, rowtime int64) {
	vals := n.pair(side, e.row.Values, n.sides[1-side].nulls)
	n.next.push(rt, sqltypes.Row{Rowtime: rowtime, ID: derivedID(&rt.h, tagOuter, e.row.ID, int64(side)), Values: vals})
}

func (n *streamJoinNode) deadline() (int64, bool) {
	d, ok := int64(0), false
	for side := range 2 {
		s := &n.sides[side]
		if s.outer && s.rangeMs > 0 && len(n.win[side]) > 0 {
			if e := n.win[side][0].row.Rowtime + s.rangeMs; !ok || e < d {
				d, ok = e, true
			}
		}
	}
	return d, ok
}

// advance drops the rows that left their RANGE windows; unmatched rows
// of an outer side come out then, at the end of their window, in ROWTIME
// order across both sides.
func (n *streamJoinNode) advance(rt *runtime, bound int64) {
	for {
		best, bestEnd := -1, int64(0)
		for side := range 2 {
			s := &n.sides[side]
			if !s.windowed || s.rangeMs == 0 || len(n.win[side]) == 0 {
				continue
			}
			end := n.win[side][0].row.Rowtime + s.rangeMs
			if end <= bound && (best < 0 || end < bestEnd) {
				best, bestEnd = side, end
			}
		}
		if best < 0 {
			return
		}
		e := n.win[best][0]
		n.win[best] = n.win[best][1:]
		if n.sides[best].outer && !e.matched {
			n.emitOuter(rt, best, e, bestEnd)
		}
	}
}

func (n *streamJoinNode) save(e *enc) {
	for side := range 2 {
		e.uint(uint64(len(n.win[side])))
		for _, x := range n.win[side] {
			e.row(&x.row)
			e.bool(x.matched)
		}
	}
}

func (n *streamJoinNode) load(d *dec) {
	for side := range 2 {
		n.win[side] = nil
		c := d.count()
		for range c {
			e := &joinEntry{row: d.row(), matched: d.bool()}
			if len(e.row.Values) != len(n.sides[side].nulls) {
				d.fail()
				return
			}
			n.win[side] = append(n.win[side], e)
		}
	}
}

// streamJoinSource connects both sides of a stream join to the join
// node, which then feeds the query's first operator.
type streamJoinSource struct {
	spec        *streamJoinSpec
	left, right *fromPlan
}

func (s streamJoinSource) attach(b *builder, first node) {
	j := b.add(s.spec.build(b, first)).(*streamJoinNode)
	for side, fp := range []*fromPlan{s.left, s.right} {
		q := &queryPlan{src: fp.src, ops: fp.ops}
		q.attach(b, joinPort{j: j, side: side})
	}
}

func nullsOf(cols []scopeCol) []sqltypes.Value {
	out := make([]sqltypes.Value, len(cols))
	for i, c := range cols {
		out[i] = sqltypes.NullOf(c.typ.Kind)
	}
	return out
}

// planJoin compiles a join of a stream with a reference table, or of two
// streams over windows.
func (p *planner) planJoin(j *sqlparse.Join) (*fromPlan, error) {
	l, err := p.planFrom(j.Left, nil)
	if err != nil {
		return nil, err
	}
	r, err := p.planFrom(j.Right, nil)
	if err != nil {
		return nil, err
	}
	if j.Natural || len(j.Using) > 0 {
		return nil, sqlparse.Errorf(j.Pos, "NATURAL and USING joins are not supported: write ON")
	}
	sc := joinScope(l.sc, r.sc)
	var on evalFn
	if j.On != nil {
		x, err := p.compile(j.On, sc)
		if err != nil {
			return nil, err
		}
		if x.t.Kind != sqltypes.Boolean && x.t.Kind != sqltypes.Null {
			return nil, sqlparse.Errorf(j.On.Position(), "ON needs a BOOLEAN, not %s", x.t)
		}
		on = x.eval
	} else if j.Kind != sqlparse.CrossJoin && j.Kind != sqlparse.CommaJoin {
		return nil, sqlparse.Errorf(j.Pos, "%s needs ON", j.Kind)
	}
	switch {
	case l.table != nil && r.table != nil:
		return nil, sqlparse.Errorf(j.Pos, "a join needs a stream on one side")
	case l.table != nil || r.table != nil:
		stream, table, tableFirst := l, r, false
		if l.table != nil {
			stream, table, tableFirst = r, l, true
		}
		outer := j.Kind == sqlparse.LeftJoin && !tableFirst || j.Kind == sqlparse.RightJoin && tableFirst
		if j.Kind == sqlparse.FullJoin || j.Kind == sqlparse.LeftJoin && tableFirst || j.Kind == sqlparse.RightJoin && !tableFirst {
			return nil, sqlparse.Errorf(j.Pos, "an outer join of a stream with a table keeps the stream's rows only")
		}
		if stream.over != nil || table.over != nil {
			return nil, sqlparse.Errorf(j.Pos, "a join with a reference table takes no window")
		}
		spec := &tableJoinSpec{table: table.table.name, on: on, outer: outer, tableFirst: tableFirst,
			tableNulls: nullsOf(table.sc.cols)}
		spec.streamKey, spec.tableKey = p.equiKeys(j.On, stream.sc, table.sc)
		return &fromPlan{src: stream.src, ops: append(append([]opSpec(nil), stream.ops...), spec), sc: sc, pos: j.Pos}, nil
	}
	spec := &streamJoinSpec{on: on}
	for side, fp := range []*fromPlan{l, r} {
		s := &spec.sides[side]
		s.nulls = nullsOf(fp.sc.cols)
		if fp.over != nil {
			def, err := p.joinWindow(fp.over)
			if err != nil {
				return nil, err
			}
			s.windowed, s.rangeMs, s.rows = true, def.rangeMs, def.rows
		}
	}
	if !spec.sides[0].windowed && !spec.sides[1].windowed {
		return nil, sqlparse.Errorf(j.Pos, "a join of two streams needs a window (OVER (RANGE INTERVAL ... PRECEDING) or OVER (ROWS n PRECEDING)) on at least one side")
	}
	switch j.Kind {
	case sqlparse.LeftJoin:
		spec.sides[0].outer = true
	case sqlparse.RightJoin:
		spec.sides[1].outer = true
	case sqlparse.FullJoin:
		spec.sides[0].outer, spec.sides[1].outer = true, true
	}
	return &fromPlan{src: streamJoinSource{spec: spec, left: l, right: r}, sc: sc, pos: j.Pos}, nil
}

// joinWindow checks a join side's window: not partitioned, no ORDER BY,
// RANGE or ROWS PRECEDING up to the current row.
func (p *planner) joinWindow(w *sqlparse.WindowSpec) (windowDef, error) {
	if len(w.PartitionBy) > 0 {
		return windowDef{}, sqlparse.Errorf(w.PartitionBy[0].Position(), "a join window may not be partitioned")
	}
	return p.windowDef(w, nil, &scope{})
}

// equiKeys finds, in an ON condition (or one of its AND terms), an
// equality between an expression of the stream's columns and one of the
// table's, of the same family (strings, integers, datetimes), so that
// equal values have equal keys.
func (p *planner) equiKeys(on sqlparse.Expr, stream, table *scope) (evalFn, evalFn) {
	b, ok := on.(*sqlparse.Binary)
	if !ok {
		return nil, nil
	}
	if b.Op == "AND" {
		if s, t := p.equiKeys(b.L, stream, table); s != nil {
			return s, t
		}
		return p.equiKeys(b.R, stream, table)
	}
	if b.Op != "=" {
		return nil, nil
	}
	family := func(k sqltypes.Kind) int {
		switch {
		case k.IsString():
			return 1
		case k.IsInteger():
			return 2
		case k.IsDatetime():
			return 3 + int(k)
		}
		return 0
	}
	for _, sides := range [2][2]sqlparse.Expr{{b.L, b.R}, {b.R, b.L}} {
		s, err1 := p.compile(sides[0], stream)
		t, err2 := p.compile(sides[1], table)
		if err1 != nil || err2 != nil || s.konst != nil || t.konst != nil {
			continue
		}
		if f := family(s.t.Kind); f != 0 && f == family(t.t.Kind) {
			return s.eval, t.eval
		}
	}
	return nil, nil
}
