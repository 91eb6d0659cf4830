package sqlengine

import (
	"sort"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// windowDef is one sliding window: PARTITION BY keys, and RANGE (ms) or
// ROWS n PRECEDING, always ending at the current row.
type windowDef struct {
	partition []evalFn
	rangeMs   int64 // > 0: RANGE INTERVAL ... PRECEDING
	rows      int   // ROWS rows PRECEDING when rangeMs == 0
}

// slidingSpec computes aggregates OVER sliding windows: each input row
// comes out once, followed by its aggregates (aggs[i] over
// windows[aggWin[i]]).
type slidingSpec struct {
	windows []windowDef
	aggs    []aggSpec
	aggWin  []int
}

type slideRow struct {
	seq     int64
	rowtime int64
	args    []sqltypes.Value // the arguments of the window's aggregates
}

type partition struct {
	keys []sqltypes.Value
	rows []slideRow // oldest first
	inc  []incAgg   // per aggregate of the window, kept as rows come and go
}

// incAgg is an aggregate kept incrementally over a sliding window:
// counts and sums add and subtract, MIN and MAX keep a monotonic queue
// of the rows that can still be the extreme.
type incAgg struct {
	n  int64
	i  int64
	f  float64
	dq []dqEntry
}

type dqEntry struct {
	seq int64
	v   sqltypes.Value
}

// incremental reports the aggregates kept by incAgg; the others are
// computed from the window's rows when asked.
func incremental(k aggKind) bool {
	switch k {
	case aggCountStar, aggCount, aggSum, aggAvg, aggMin, aggMax:
		return true
	}
	return false
}

func (a *incAgg) add(s *aggSpec, seq int64, v sqltypes.Value) {
	if s.kind == aggCountStar {
		a.n++
		return
	}
	if v.Null {
		return
	}
	switch s.kind {
	case aggCount:
		a.n++
	case aggSum, aggAvg:
		a.n++
		if s.in.IsInteger() {
			a.i += v.I
		} else {
			a.f += v.AsFloat()
		}
	case aggMin, aggMax:
		sign := 1
		if s.kind == aggMax {
			sign = -1
		}
		for len(a.dq) > 0 && sign*compareValues(a.dq[len(a.dq)-1].v, v) >= 0 {
			a.dq = a.dq[:len(a.dq)-1]
		}
		a.dq = append(a.dq, dqEntry{seq: seq, v: v})
	}
}

func (a *incAgg) remove(s *aggSpec, seq int64, v sqltypes.Value) {
	if s.kind == aggCountStar {
		a.n--
		return
	}
	if v.Null {
		return
	}
	switch s.kind {
	case aggCount:
		a.n--
	case aggSum, aggAvg:
		a.n--
		if s.in.IsInteger() {
			a.i -= v.I
		} else {
			a.f -= v.AsFloat()
		}
		if a.n == 0 {
			a.i, a.f = 0, 0 // no drift carried into the next rows
		}
	case aggMin, aggMax:
		if len(a.dq) > 0 && a.dq[0].seq == seq {
			a.dq = a.dq[1:]
		}
	}
}

func (a *incAgg) result(s *aggSpec) sqltypes.Value {
	switch s.kind {
	case aggCountStar, aggCount:
		return sqltypes.BigIntV(a.n)
	case aggMin, aggMax:
		if len(a.dq) == 0 {
			return sqltypes.NullOf(s.out.Kind)
		}
		return a.dq[0].v
	}
	acc := accum{n: a.n, i: a.i, f: a.f}
	return acc.result(s)
}

// dropFront removes a partition's oldest row from its window's
// aggregates and rows.
func (n *slidingNode) dropFront(wi int, p *partition) {
	old := p.rows[0]
	for i, a := range n.winAggs[wi] {
		if incremental(n.aggs[a].kind) {
			p.inc[i].remove(&n.aggs[a], old.seq, old.args[i])
		}
	}
	p.rows[0] = slideRow{}
	p.rows = p.rows[1:]
}

type fifoEntry struct {
	seq int64
	p   *partition
}

type windowState struct {
	parts map[string]*partition
	fifo  []fifoEntry // RANGE windows: every row in arrival order
	seq   int64
}

type slidingNode struct {
	*slidingSpec
	pump    string
	next    node
	states  []windowState
	winAggs [][]int // per window, its aggregates
	scratch []byte
}

func (s *slidingSpec) build(b *builder, next node) node {
	n := &slidingNode{slidingSpec: s, pump: b.pump, next: next, states: make([]windowState, len(s.windows)),
		winAggs: make([][]int, len(s.windows))}
	for i := range n.states {
		n.states[i].parts = map[string]*partition{}
	}
	for a, w := range s.aggWin {
		n.winAggs[w] = append(n.winAggs[w], a)
	}
	return n
}

func (n *slidingNode) push(rt *runtime, r sqltypes.Row) {
	out := make([]sqltypes.Value, len(r.Values), len(r.Values)+len(n.aggs))
	copy(out, r.Values)
	out = out[:len(r.Values)+len(n.aggs)]
	for wi := range n.windows {
		w, st, aggIdx := &n.windows[wi], &n.states[wi], n.winAggs[wi]
		keys := make([]sqltypes.Value, len(w.partition))
		for i, k := range w.partition {
			v, err := k(&r)
			if err != nil {
				rt.fail(n.pump, &r, err)
				return
			}
			keys[i] = v
		}
		args := make([]sqltypes.Value, len(aggIdx))
		for i, a := range aggIdx {
			if f := n.aggs[a].arg; f != nil {
				v, err := f(&r)
				if err != nil {
					rt.fail(n.pump, &r, err)
					return
				}
				args[i] = v
			}
		}
		n.scratch = appendKey(n.scratch[:0], keys)
		p := st.parts[string(n.scratch)]
		if p == nil {
			p = &partition{keys: keys, inc: make([]incAgg, len(aggIdx))}
			st.parts[string(n.scratch)] = p
		}
		st.seq++
		p.rows = append(p.rows, slideRow{seq: st.seq, rowtime: r.Rowtime, args: args})
		for i, a := range aggIdx {
			if incremental(n.aggs[a].kind) {
				p.inc[i].add(&n.aggs[a], st.seq, args[i])
			}
		}
		if w.rangeMs > 0 {
			st.fifo = append(st.fifo, fifoEntry{seq: st.seq, p: p})
			n.expire(wi, r.Rowtime)
		} else {
			for len(p.rows) > w.rows+1 {
				n.dropFront(wi, p)
			}
		}
		for i, a := range aggIdx {
			if incremental(n.aggs[a].kind) {
				out[len(r.Values)+a] = p.inc[i].result(&n.aggs[a])
			} else {
				out[len(r.Values)+a] = windowResult(&n.aggs[a], p.rows, i)
			}
		}
	}
	n.next.push(rt, sqltypes.Row{Rowtime: r.Rowtime, ID: r.ID, Values: out})
}

// windowResult computes one aggregate over a partition's rows (the
// current row last); col is the aggregate's argument column in them.
func windowResult(s *aggSpec, rows []slideRow, col int) sqltypes.Value {
	switch s.kind {
	case aggLag:
		if i := len(rows) - 1 - s.n; i >= 0 {
			return rows[i].args[col]
		}
		return sqltypes.NullOf(s.out.Kind)
	case aggNth:
		if s.n >= 1 && s.n <= len(rows) {
			return rows[s.n-1].args[col]
		}
		return sqltypes.NullOf(s.out.Kind)
	}
	var a accum
	for i := range rows {
		a.add(s, rows[i].args[col])
	}
	return a.result(s)
}

// expire drops the rows of a RANGE window that are range or more older
// than now (a row exactly range old is gone).
func (n *slidingNode) expire(wi int, now int64) {
	st, w := &n.states[wi], &n.windows[wi]
	k := 0
	for k < len(st.fifo) {
		e := st.fifo[k]
		p := e.p
		if len(p.rows) == 0 || p.rows[0].seq != e.seq {
			k++ // already gone
			continue
		}
		if p.rows[0].rowtime > now-w.rangeMs {
			break
		}
		n.dropFront(wi, p)
		if len(p.rows) == 0 {
			delete(st.parts, string(appendKey(n.scratch[:0], p.keys)))
		}
		k++
	}
	if k > 0 {
		st.fifo = append(st.fifo[:0], st.fifo[k:]...)
	}
}

// deadline: expiring rows emits nothing.
func (n *slidingNode) deadline() (int64, bool) { return 0, false }

func (n *slidingNode) advance(rt *runtime, bound int64) {
	for wi := range n.windows {
		if n.windows[wi].rangeMs > 0 {
			n.expire(wi, bound)
		}
	}
}

func (n *slidingNode) save(e *enc) {
	for wi := range n.states {
		st := &n.states[wi]
		e.int(st.seq)
		keys := make([]string, 0, len(st.parts))
		for k := range st.parts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		e.uint(uint64(len(keys)))
		for _, k := range keys {
			p := st.parts[k]
			e.values(p.keys)
			for _, a := range p.inc {
				e.int(a.n)
				e.int(a.i)
				e.f64(a.f)
			}
			e.uint(uint64(len(p.rows)))
			for _, r := range p.rows {
				e.int(r.seq)
				e.int(r.rowtime)
				e.values(r.args)
			}
		}
	}
}

func (n *slidingNode) load(d *dec) {
	for wi := range n.states {
		st := &n.states[wi]
		st.parts, st.fifo = map[string]*partition{}, nil
		st.seq = d.int()
		np := d.count()
		for range np {
			p := &partition{keys: d.values(), inc: make([]incAgg, len(n.winAggs[wi]))}
			if len(p.keys) != len(n.windows[wi].partition) {
				d.fail()
				return
			}
			for i := range p.inc {
				p.inc[i].n, p.inc[i].i, p.inc[i].f = d.int(), d.int(), d.f64()
			}
			nr := d.count()
			for range nr {
				p.rows = append(p.rows, slideRow{seq: d.int(), rowtime: d.int(), args: d.values()})
				last := p.rows[len(p.rows)-1]
				if len(last.args) != len(n.winAggs[wi]) {
					d.fail()
					return
				}
				for i, a := range n.winAggs[wi] {
					if k := n.aggs[a].kind; k == aggMin || k == aggMax {
						p.inc[i].add(&n.aggs[a], last.seq, last.args[i])
					}
				}
				if n.windows[wi].rangeMs > 0 {
					st.fifo = append(st.fifo, fifoEntry{seq: p.rows[len(p.rows)-1].seq, p: p})
				}
			}
			if d.err != nil {
				return
			}
			st.parts[string(appendKey(nil, p.keys))] = p
		}
		sort.Slice(st.fifo, func(i, j int) bool { return st.fifo[i].seq < st.fifo[j].seq })
	}
}
