package sqlengine

import (
	"sort"

	"github.com/shardcast/shardcast/datastreams/analytics/sqlparse"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// orderSpec is a streaming ORDER BY: lead is a monotonic expression of
// ROWTIME alone; rows are buffered while lead keeps its value and
// released sorted by keys when it changes (a later row, or a bound whose
// lead differs).
type orderSpec struct {
	lead evalFn // over a row that has only a ROWTIME
	keys []evalFn
	desc []bool
	// width is the number of columns of the rows (to check snapshots)
	width int
}

type orderNode struct {
	*orderSpec
	pump string
	next node
	cur  sqltypes.Value
	buf  []sqltypes.Row
}

func (s *orderSpec) build(b *builder, next node) node {
	return &orderNode{orderSpec: s, pump: b.pump, next: next}
}

func (n *orderNode) leadOf(rowtime int64) (sqltypes.Value, error) {
	return n.lead(&sqltypes.Row{Rowtime: rowtime})
}

func (n *orderNode) push(rt *runtime, r sqltypes.Row) {
	v, err := n.leadOf(r.Rowtime)
	if err != nil {
		rt.fail(n.pump, &r, err)
		return
	}
	if len(n.buf) > 0 && compareNullsFirst(v, n.cur) != 0 {
		n.flush(rt)
	}
	n.cur = v
	n.buf = append(n.buf, r)
}

// deadline: the lead expression's next value is not known ahead, so the
// buffer is released at the final bound of an advance.
func (n *orderNode) deadline() (int64, bool) { return 0, false }

func (n *orderNode) advance(rt *runtime, bound int64) {
	if len(n.buf) == 0 {
		return
	}
	v, err := n.leadOf(bound)
	if err == nil && compareNullsFirst(v, n.cur) != 0 {
		n.flush(rt)
	}
}

func (n *orderNode) flush(rt *runtime) {
	rows := n.buf
	n.buf = nil
	keys := make([][]sqltypes.Value, len(rows))
	for i := range rows {
		ks := make([]sqltypes.Value, len(n.keys))
		for j, k := range n.keys {
			v, err := k(&rows[i])
			if err != nil {
				v = sqltypes.NullOf(sqltypes.Null)
			}
			ks[j] = v
		}
		keys[i] = ks
	}
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := keys[idx[a]], keys[idx[b]]
		for j := range ka {
			c := compareNullsFirst(ka[j], kb[j])
			if n.desc[j] {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
	for _, i := range idx {
		n.next.push(rt, rows[i])
	}
}

func compareNullsFirst(a, b sqltypes.Value) int {
	switch {
	case a.Null && b.Null:
		return 0
	case a.Null:
		return -1
	case b.Null:
		return 1
	}
	return compareValues(a, b)
}

func (n *orderNode) save(e *enc) {
	e.value(n.cur)
	e.rows(n.buf)
}

func (n *orderNode) load(d *dec) {
	n.cur = d.value()
	n.buf = d.rows()
	for _, r := range n.buf {
		if len(r.Values) != n.width {
			d.fail()
			return
		}
	}
}

// planOrderBy compiles ORDER BY over a query's result columns: the first
// item must be an expression of ROWTIME alone.
func (p *planner) planOrderBy(items []sqlparse.OrderItem, cols []sqltypes.Column, in *scope) (*orderSpec, error) {
	out := &scope{quals: in.quals, looseQual: true}
	for i, c := range cols {
		out.cols = append(out.cols, scopeCol{name: c.Name, typ: c.Type, idx: i})
	}
	leadScope := &scope{quals: in.quals, noColumns: "ORDER BY on a stream must lead with an expression of ROWTIME alone (%s is a column)"}
	if items[0].Desc {
		return nil, sqlparse.Errorf(items[0].Pos, "the leading ORDER BY term of a stream cannot be DESC")
	}
	lead, err := p.compile(items[0].Expr, leadScope)
	if err != nil {
		return nil, err
	}
	hasRowtime := false
	walkExpr(items[0].Expr, func(e sqlparse.Expr) bool {
		hasRowtime = hasRowtime || isRowtime(e, leadScope)
		return true
	})
	if !hasRowtime {
		return nil, sqlparse.Errorf(items[0].Pos, "ORDER BY on a stream must lead with an expression of ROWTIME")
	}
	spec := &orderSpec{lead: lead.eval, width: len(cols)}
	for _, it := range items[1:] {
		x, err := p.compile(it.Expr, out)
		if err != nil {
			return nil, err
		}
		spec.keys = append(spec.keys, x.eval)
		spec.desc = append(spec.desc, it.Desc)
	}
	return spec, nil
}
