package sqlengine

import (
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// staggerSpec is WINDOWED BY STAGGER (PARTITION BY keys RANGE length):
// a window per key tuple opens with the first row of that tuple and
// closes length later, emitting one row (the keys, then the aggregates)
// with ROWTIME = open + length.
type staggerSpec struct {
	keys   []evalFn
	length int64
	aggs   []aggSpec
}

type staggerWin struct {
	open int64
	key  string
	g    group
}

type staggerNode struct {
	*staggerSpec
	pump    string
	next    node
	open    map[string]*staggerWin
	order   []*staggerWin // by open time (rows come in ROWTIME order)
	scratch []byte
	argBuf  []sqltypes.Value
}

func (s *staggerSpec) build(b *builder, next node) node {
	return &staggerNode{staggerSpec: s, pump: b.pump, next: next, open: map[string]*staggerWin{}}
}

func (n *staggerNode) push(rt *runtime, r sqltypes.Row) {
	keys := make([]sqltypes.Value, len(n.keys))
	for i, k := range n.keys {
		v, err := k(&r)
		if err != nil {
			rt.fail(n.pump, &r, err)
			return
		}
		keys[i] = v
	}
	args, err := evalAggArgs(n.aggs, &r, n.argBuf)
	n.argBuf = args
	if err != nil {
		rt.fail(n.pump, &r, err)
		return
	}
	n.scratch = appendKey(n.scratch[:0], keys)
	w := n.open[string(n.scratch)]
	if w == nil {
		w = &staggerWin{open: r.Rowtime, key: string(n.scratch), g: group{keys: keys, acc: make([]accum, len(n.aggs))}}
		n.open[w.key] = w
		n.order = append(n.order, w)
	}
	w.g.lastRow = r.Rowtime
	for i := range n.aggs {
		w.g.acc[i].add(&n.aggs[i], args[i])
	}
}

func (n *staggerNode) deadline() (int64, bool) {
	if len(n.order) == 0 {
		return 0, false
	}
	return n.order[0].open + n.length, true
}

func (n *staggerNode) advance(rt *runtime, bound int64) {
	k := 0
	for k < len(n.order) && n.order[k].open+n.length <= bound {
		k++
	}
	if k == 0 {
		return
	}
	closed := n.order[:k:k]
	n.order = append([]*staggerWin(nil), n.order[k:]...)
	for _, w := range closed {
		delete(n.open, w.key)
		vals := make([]sqltypes.Value, 0, len(w.g.keys)+len(n.aggs))
		vals = append(vals, w.g.keys...)
		for i := range n.aggs {
			vals = append(vals, w.g.acc[i].result(&n.aggs[i]))
		}
		id := groupID(&rt.h, tagStagger, w.open, []byte(w.key))
		n.next.push(rt, sqltypes.Row{Rowtime: w.open + n.length, ID: id, Values: vals})
	}
}

func (n *staggerNode) save(e *enc) {
	e.uint(uint64(len(n.order)))
	for _, w := range n.order {
		e.int(w.open)
		e.values(w.g.keys)
		e.int(w.g.lastRow)
		for i := range w.g.acc {
			w.g.acc[i].save(e)
		}
	}
}

func (n *staggerNode) load(d *dec) {
	n.open, n.order = map[string]*staggerWin{}, nil
	c := d.count()
	for range c {
		w := &staggerWin{open: d.int()}
		if w.g.keys = d.values(); len(w.g.keys) != len(n.keys) {
			d.fail()
			return
		}
		w.g.lastRow = d.int()
		w.g.acc = make([]accum, len(n.aggs))
		for i := range w.g.acc {
			w.g.acc[i].load(d)
		}
		if d.err != nil {
			return
		}
		w.key = string(appendKey(nil, w.g.keys))
		n.open[w.key] = w
		n.order = append(n.order, w)
	}
}
