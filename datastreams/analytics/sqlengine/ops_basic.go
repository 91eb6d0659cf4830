package sqlengine

import (
	"github.com/shardcast/shardcast/datastreams/analytics/sqlparse"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// evalFn computes an expression over one row of its operator's input.
type evalFn func(r *sqltypes.Row) (sqltypes.Value, error)

// builder instantiates a program's operators for one runner.
type builder struct {
	rt   *runtime
	pump string
	// advancers of the pump being built, downstream first (the build
	// order); reversed into rt.advancers when the pump is done.
	adv []advancer
}

func (b *builder) add(n node) node {
	if a, ok := n.(advancer); ok {
		b.adv = append(b.adv, a)
	}
	if s, ok := n.(stateful); ok {
		b.rt.states = append(b.rt.states, s)
	}
	return n
}

// opSpec is a compiled operator; build makes its running node.
type opSpec interface {
	build(b *builder, next node) node
}

// sourceSpec is what a query reads: it connects the query's first node
// to its input.
type sourceSpec interface {
	attach(b *builder, first node)
}

// queryPlan is a compiled query: a source, then operators in order.
type queryPlan struct {
	src  sourceSpec
	ops  []opSpec
	cols []sqltypes.Column // the shape of its result rows
	mono []bool            // which columns are monotonic in ROWTIME
	// tsort is the interval of a T-sort ending the query (0: none); the
	// rows it writes lag the watermark by it.
	tsort    int64
	tsortPos sqlparse.Pos
}

// attach builds the query's operators in front of next and connects the
// first to the source; as a sourceSpec a query is a sub-query.
func (q *queryPlan) attach(b *builder, next node) {
	n := next
	for i := len(q.ops) - 1; i >= 0; i-- {
		n = b.add(q.ops[i].build(b, n))
	}
	q.src.attach(b, n)
}

// streamSource reads an in-application stream.
type streamSource struct{ name string }

func (s streamSource) attach(b *builder, first node) {
	st := b.rt.stream(s.name)
	st.consumers = append(st.consumers, first)
}

// filterSpec keeps the rows where cond is TRUE (WHERE, HAVING).
type filterSpec struct{ cond evalFn }

type filterNode struct {
	pump string
	cond evalFn
	next node
}

func (s filterSpec) build(b *builder, next node) node {
	return &filterNode{pump: b.pump, cond: s.cond, next: next}
}

func (n *filterNode) push(rt *runtime, r sqltypes.Row) {
	v, err := n.cond(&r)
	if err != nil {
		rt.fail(n.pump, &r, err)
		return
	}
	if v.Truth() {
		n.next.push(rt, r)
	}
}

// projectSpec computes the select list; the row keeps its ROWTIME and
// ID.
type projectSpec struct{ exprs []evalFn }

type projectNode struct {
	pump  string
	exprs []evalFn
	next  node
}

func (s projectSpec) build(b *builder, next node) node {
	return &projectNode{pump: b.pump, exprs: s.exprs, next: next}
}

func (n *projectNode) push(rt *runtime, r sqltypes.Row) {
	vals := make([]sqltypes.Value, len(n.exprs))
	for i, e := range n.exprs {
		v, err := e(&r)
		if err != nil {
			rt.fail(n.pump, &r, err)
			return
		}
		vals[i] = v
	}
	n.next.push(rt, sqltypes.Row{Rowtime: r.Rowtime, ID: r.ID, Values: vals})
}

// pumpLags sets each pump's lag, pumps in upstream-first order: a
// stream lags the watermark by the most that a pump writing it lags plus
// that pump's T-sort interval, and a pump lags by the most of the
// streams it reads.
func pumpLags(pumps []*pumpSpec) {
	streams := map[string]int64{}
	for _, pm := range pumps {
		pm.lag = 0
		for _, s := range pm.reads {
			pm.lag = max(pm.lag, streams[s])
		}
		out := pm.sink.stream
		streams[out] = max(streams[out], pm.lag+pm.query.tsort)
	}
}

// castFn converts a value to a target column's type (CAST on insert).
type castFn func(sqltypes.Value) (sqltypes.Value, error)

// sinkSpec inserts a query's rows into a stream: each target column
// takes the query column src[i] (-1: NULL), converted by cast[i] (nil:
// as is).
type sinkSpec struct {
	stream string
	src    []int
	cast   []castFn
	nulls  []sqltypes.Value // the NULL of each target column
}

type sinkNode struct {
	sinkSpec
	pump   string
	target *streamRT
	// inPlace: the target takes the query's columns in order, so the
	// query's row (a fresh slice from its final projection) is converted
	// where it is
	inPlace bool
}

func (s *sinkSpec) attachSink(b *builder) node {
	n := &sinkNode{sinkSpec: *s, pump: b.pump, target: b.rt.stream(s.stream), inPlace: true}
	for i, j := range s.src {
		n.inPlace = n.inPlace && i == j
	}
	return n
}

func (n *sinkNode) push(rt *runtime, r sqltypes.Row) {
	if n.inPlace && len(r.Values) == len(n.src) {
		for i, c := range n.cast {
			if c == nil {
				continue
			}
			v, err := c(r.Values[i])
			if err != nil {
				rt.fail(n.pump, &r, err)
				return
			}
			r.Values[i] = v
		}
		rt.emit(n.target, sqltypes.Row{Rowtime: r.Rowtime, ID: pumpID(&rt.h, n.pump, r.ID), Values: r.Values})
		return
	}
	vals := make([]sqltypes.Value, len(n.src))
	for i, j := range n.src {
		if j < 0 {
			vals[i] = n.nulls[i]
			continue
		}
		v := r.Values[j]
		if c := n.cast[i]; c != nil {
			var err error
			if v, err = c(v); err != nil {
				rt.fail(n.pump, &r, err)
				return
			}
		}
		vals[i] = v
	}
	rt.emit(n.target, sqltypes.Row{Rowtime: r.Rowtime, ID: pumpID(&rt.h, n.pump, r.ID), Values: vals})
}

// pumpSpec is a compiled pump.
type pumpSpec struct {
	name  string
	query *queryPlan
	sink  *sinkSpec
	reads []string // the streams its queries read (for ordering pumps)
	// lag is how far the streams it reads lag the watermark (see
	// pumpLags)
	lag int64
}

func (p *pumpSpec) build(rt *runtime) {
	b := &builder{rt: rt, pump: p.name}
	p.query.attach(b, p.sink.attachSink(b))
	for i := len(b.adv) - 1; i >= 0; i-- {
		rt.advancers = append(rt.advancers, lagged{a: b.adv[i], lag: p.lag})
	}
}
