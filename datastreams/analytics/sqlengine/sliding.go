package sqlengine

import (
	"slices"
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
			p = &partition{keys: keys}
			st.parts[string(n.scratch)] = p
		}
		st.seq++
		p.rows = append(p.rows, slideRow{seq: st.seq, rowtime: r.Rowtime, args: args})
		if w.rangeMs > 0 {
			st.fifo = append(st.fifo, fifoEntry{seq: st.seq, p: p})
			n.expire(st, w, r.Rowtime)
		} else if len(p.rows) > w.rows+1 {
			p.rows = slices.Delete(p.rows, 0, len(p.rows)-w.rows-1)
		}
		for i, a := range aggIdx {
			out[len(r.Values)+a] = windowResult(&n.aggs[a], p.rows, i)
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
func (n *slidingNode) expire(st *windowState, w *windowDef, now int64) {
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
		p.rows = p.rows[1:]
		if len(p.rows) == 0 {
			delete(st.parts, string(appendKey(n.scratch[:0], p.keys)))
		}
		k++
	}
	if k > 0 {
		st.fifo = append(st.fifo[:0], st.fifo[k:]...)
	}
}

func (n *slidingNode) advance(rt *runtime, bound int64) {
	for wi := range n.windows {
		if n.windows[wi].rangeMs > 0 {
			n.expire(&n.states[wi], &n.windows[wi], bound)
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
			p := &partition{keys: d.values()}
			nr := d.count()
			for range nr {
				p.rows = append(p.rows, slideRow{seq: d.int(), rowtime: d.int(), args: d.values()})
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
