package sqlengine

import (
	"errors"
	"fmt"
	"sort"

	"github.com/shardcast/shardcast/datastreams/analytics/sqlparse"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// tsortSpec is a T-sort, ORDER BY <timestamp> WITHIN <interval>: rows
// whose sort time (column col, the select item aliased ROWTIME) is at
// most within behind the watermark are buffered and released in time
// order once the watermark reaches their time plus within; each leaves
// with its sort time as ROWTIME. A row whose time is NULL is dropped; a
// row later than the interval (its time already released) goes to
// error_stream.
type tsortSpec struct {
	col    int
	within int64 // ms, > 0
	width  int
}

// tsortRow is a buffered row; seq keeps arrival order among equal times.
type tsortRow struct {
	at  int64
	seq uint64
	row sqltypes.Row
}

type tsortNode struct {
	*tsortSpec
	pump string
	next node
	buf  []tsortRow // a min-heap would do; sorted on release instead
	seq  uint64
	// horizon: every row with a time before it has been released (the
	// last bound less within); a later row before it is late.
	horizon    int64
	hasHorizon bool
}

func (s *tsortSpec) build(b *builder, next node) node {
	return &tsortNode{tsortSpec: s, pump: b.pump, next: next}
}

// errLate is the error_stream message of a row beyond the interval.
var errLate = errors.New("row is later than the ORDER BY ... WITHIN interval")

func (n *tsortNode) push(rt *runtime, r sqltypes.Row) {
	v := r.Values[n.col]
	if v.Null {
		return
	}
	at := v.I
	if n.hasHorizon && at < n.horizon {
		rt.fail(n.pump, &r, &EvalError{Name: "LateRow", Err: fmt.Errorf("%w (time %s, released up to %s)", errLate, v, sqltypes.TimestampMs(n.horizon))})
		return
	}
	n.seq++
	n.buf = append(n.buf, tsortRow{at: at, seq: n.seq, row: r})
}

func (n *tsortNode) deadline() (int64, bool) {
	if len(n.buf) == 0 {
		return 0, false
	}
	m := n.buf[0].at
	for _, b := range n.buf[1:] {
		m = min(m, b.at)
	}
	return m + n.within, true
}

// advance releases, in (time, arrival) order, the rows with time at or
// before bound less the interval: a row still to come has a ROWTIME of
// at least bound, so its time is at least that (or it is late).
func (n *tsortNode) advance(rt *runtime, bound int64) {
	h := bound - n.within
	if !n.hasHorizon || h > n.horizon {
		n.horizon, n.hasHorizon = h, true
	}
	var out, keep []tsortRow
	for _, b := range n.buf {
		if b.at <= h {
			out = append(out, b)
		} else {
			keep = append(keep, b)
		}
	}
	if len(out) == 0 {
		return
	}
	n.buf = keep
	sort.Slice(out, func(i, j int) bool {
		if out[i].at != out[j].at {
			return out[i].at < out[j].at
		}
		return out[i].seq < out[j].seq
	})
	for _, b := range out {
		r := b.row
		r.Rowtime = b.at
		n.next.push(rt, r)
	}
}

func (n *tsortNode) save(e *enc) {
	e.uint(n.seq)
	e.int(n.horizon)
	e.bool(n.hasHorizon)
	e.uint(uint64(len(n.buf)))
	for i := range n.buf {
		e.int(n.buf[i].at)
		e.uint(n.buf[i].seq)
		e.row(&n.buf[i].row)
	}
}

func (n *tsortNode) load(d *dec) {
	n.seq = d.uint()
	n.horizon = d.int()
	n.hasHorizon = d.bool()
	k := d.count()
	n.buf = nil
	for i := 0; i < k; i++ {
		b := tsortRow{at: d.int(), seq: d.uint(), row: d.row()}
		if len(b.row.Values) != n.width || n.col >= n.width || b.row.Values[n.col].Null {
			d.fail()
			return
		}
		n.buf = append(n.buf, b)
	}
}

// planTsort compiles ORDER BY <expr> WITHIN <interval>: one ascending
// term, a TIMESTAMP that the select list gives as ROWTIME, and a
// positive day-time interval literal.
func (p *planner) planTsort(s *sqlparse.Select, items []selItem, cols []sqltypes.Column, in *scope) (*tsortSpec, error) {
	iv, ok := s.Within.(*sqlparse.IntervalLit)
	if !ok || iv.Months != 0 || iv.Ms <= 0 {
		return nil, sqlparse.Errorf(s.Within.Position(), "ORDER BY ... WITHIN needs a positive day-time INTERVAL literal")
	}
	if len(s.OrderBy) != 1 {
		return nil, sqlparse.Errorf(s.OrderBy[1].Pos, "ORDER BY ... WITHIN sorts on one term")
	}
	it := s.OrderBy[0]
	if it.Desc {
		return nil, sqlparse.Errorf(it.Pos, "ORDER BY ... WITHIN sorts ascending (no DESC)")
	}
	for i, si := range items {
		if si.name != "ROWTIME" || !sameExpr(in, si.expr, it.Expr) {
			continue
		}
		if cols[i].Type.Kind != sqltypes.Timestamp {
			return nil, sqlparse.Errorf(it.Expr.Position(), "ORDER BY ... WITHIN needs a TIMESTAMP, not %s", cols[i].Type)
		}
		return &tsortSpec{col: i, within: iv.Ms, width: len(cols)}, nil
	}
	return nil, sqlparse.Errorf(it.Expr.Position(), "ORDER BY ... WITHIN: the select list must give this expression AS ROWTIME")
}
