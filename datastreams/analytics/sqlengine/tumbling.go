package sqlengine

import (
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// tumblingSpec is a streaming GROUP BY: keys[timeKey] is the monotonic
// term (STEP or FLOOR of ROWTIME, or of a MONOTONIC expression), the
// other keys are ordinary. Output rows are the keys, then the
// aggregates.
type tumblingSpec struct {
	keys    []evalFn
	timeKey int
	// windowEnd maps the monotonic term's value to the ROWTIME at which
	// its window closes; nil when the term is not ROWTIME-based (the
	// window then closes when a row with another value arrives).
	windowEnd func(start sqltypes.Value) int64
	aggs      []aggSpec
}

type group struct {
	keys    []sqltypes.Value
	acc     []accum
	lastRow int64 // the ROWTIME of its last row
}

type tumbleWindow struct {
	start  sqltypes.Value
	end    int64
	groups map[string]*group
	order  []*group // first-seen order: the order of the emitted rows
}

type tumblingNode struct {
	*tumblingSpec
	pump    string
	next    node
	windows []*tumbleWindow
	scratch []byte
	argBuf  []sqltypes.Value
}

func (s *tumblingSpec) build(b *builder, next node) node {
	return &tumblingNode{tumblingSpec: s, pump: b.pump, next: next}
}

func (n *tumblingNode) push(rt *runtime, r sqltypes.Row) {
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
	start := keys[n.timeKey]
	if start.Null {
		return // a NULL bucket belongs to no window
	}
	w := n.window(rt, start)
	n.scratch = appendKey(n.scratch[:0], keys)
	g := w.groups[string(n.scratch)]
	if g == nil {
		g = &group{keys: keys, acc: make([]accum, len(n.aggs))}
		w.groups[string(n.scratch)] = g
		w.order = append(w.order, g)
	}
	g.lastRow = r.Rowtime
	for i := range n.aggs {
		g.acc[i].add(&n.aggs[i], args[i])
	}
}

// window finds or opens the window of a bucket value. Without a
// ROWTIME-based term, a new value closes the windows before it.
func (n *tumblingNode) window(rt *runtime, start sqltypes.Value) *tumbleWindow {
	for i := len(n.windows) - 1; i >= 0; i-- {
		if w := n.windows[i]; compareValues(w.start, start) == 0 {
			return w
		}
	}
	if n.windowEnd == nil {
		old := n.windows
		n.windows = nil
		for _, w := range old {
			n.emit(rt, w, w.lastRowtime())
		}
	}
	w := &tumbleWindow{start: start, groups: map[string]*group{}}
	if n.windowEnd != nil {
		w.end = n.windowEnd(start)
	}
	// keep windows ordered by end (rows come in ROWTIME order, so this
	// is nearly always an append)
	i := len(n.windows)
	for i > 0 && n.windows[i-1].end > w.end {
		i--
	}
	n.windows = append(n.windows, nil)
	copy(n.windows[i+1:], n.windows[i:])
	n.windows[i] = w
	return w
}

func (w *tumbleWindow) lastRowtime() int64 {
	var t int64
	for _, g := range w.order {
		t = max(t, g.lastRow)
	}
	return t
}

func (n *tumblingNode) deadline() (int64, bool) {
	if n.windowEnd == nil || len(n.windows) == 0 {
		return 0, false
	}
	return n.windows[0].end, true
}

func (n *tumblingNode) advance(rt *runtime, bound int64) {
	if n.windowEnd == nil {
		return
	}
	k := 0
	for k < len(n.windows) && n.windows[k].end <= bound {
		k++
	}
	if k == 0 {
		return
	}
	closed := n.windows[:k:k]
	n.windows = append([]*tumbleWindow(nil), n.windows[k:]...)
	for _, w := range closed {
		n.emit(rt, w, w.end)
	}
}

// emit writes one row per group of a closed window.
func (n *tumblingNode) emit(rt *runtime, w *tumbleWindow, rowtime int64) {
	var startMs int64
	if !w.start.Null {
		startMs = w.start.I
		if w.start.K == sqltypes.Decimal || w.start.K == sqltypes.Real || w.start.K == sqltypes.Double {
			startMs = int64(w.start.F * 1000)
		}
	}
	for _, g := range w.order {
		vals := make([]sqltypes.Value, 0, len(g.keys)+len(n.aggs))
		vals = append(vals, g.keys...)
		for i := range n.aggs {
			vals = append(vals, g.acc[i].result(&n.aggs[i]))
		}
		n.scratch = appendKey(n.scratch[:0], g.keys)
		id := groupID(&rt.h, tagGroup, startMs, n.scratch)
		n.next.push(rt, sqltypes.Row{Rowtime: rowtime, ID: id, Values: vals})
	}
}

func (n *tumblingNode) save(e *enc) {
	e.uint(uint64(len(n.windows)))
	for _, w := range n.windows {
		e.value(w.start)
		e.int(w.end)
		e.uint(uint64(len(w.order)))
		for _, g := range w.order {
			e.values(g.keys)
			e.int(g.lastRow)
			for i := range g.acc {
				g.acc[i].save(e)
			}
		}
	}
}

func (n *tumblingNode) load(d *dec) {
	n.windows = nil
	nw := d.count()
	for range nw {
		w := &tumbleWindow{start: d.value(), end: d.int(), groups: map[string]*group{}}
		ng := d.count()
		for range ng {
			g := &group{keys: d.values(), lastRow: d.int(), acc: make([]accum, len(n.aggs))}
			if len(g.keys) != len(n.keys) {
				d.fail()
				return
			}
			for i := range g.acc {
				g.acc[i].load(d)
			}
			if d.err != nil {
				return
			}
			w.groups[string(appendKey(nil, g.keys))] = g
			w.order = append(w.order, g)
		}
		n.windows = append(n.windows, w)
	}
}
