package sqlengine

import (
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams/analytics/sqlparse"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// isRowtime reports a name that is ROWTIME (bare or qualified).
func isRowtime(e sqlparse.Expr, in *scope) bool {
	n, ok := e.(*sqlparse.Name)
	if !ok {
		return false
	}
	r, err := in.resolve(n)
	return err == nil && r.rowtime
}

// timeTerm classifies a GROUP BY term: a ROWTIME-based bucket (with the
// function giving its window's end), a MONOTONIC term, or neither.
func (p *planner) timeTerm(e sqlparse.Expr, in *scope) (rowtimeBased, monotonic bool, end func(sqltypes.Value) int64, err error) {
	if isRowtime(e, in) {
		return true, true, func(v sqltypes.Value) int64 { return v.I + 1 }, nil
	}
	c, ok := e.(*sqlparse.Call)
	if ok && !c.Name.Quoted && len(c.Args) == 2 && (c.Name.Name == "STEP" || c.Name.Name == "FLOOR_TO") && isRowtime(c.Args[0], in) {
		if c.Name.Name == "STEP" {
			iv, ok := c.Args[1].(*sqlparse.IntervalLit)
			if !ok || iv.Months != 0 || iv.Ms <= 0 {
				return false, false, nil, sqlparse.Errorf(c.Args[1].Position(), "STEP of ROWTIME needs a positive day-time INTERVAL")
			}
			ms := iv.Ms
			return true, true, func(v sqltypes.Value) int64 { return v.I + ms }, nil
		}
		lit, ok := c.Args[1].(*sqlparse.Literal)
		if !ok || !lit.Value.K.IsString() {
			return false, false, nil, sqlparse.Errorf(c.Pos, "FLOOR(ROWTIME TO unit) needs a unit")
		}
		unit := strings.ToUpper(lit.Value.S)
		f := unitEnd(unit)
		if f == nil {
			return false, false, nil, sqlparse.Errorf(c.Pos, "FLOOR(ROWTIME TO %s): unsupported unit", unit)
		}
		return true, true, func(v sqltypes.Value) int64 { return f(v.I) }, nil
	}
	mono := isMonotonic(e, in)
	walkExpr(e, func(x sqlparse.Expr) bool {
		if c, ok := x.(*sqlparse.Call); ok && c.Name.Name == "MONOTONIC" && !c.Name.Quoted {
			mono = true
		}
		return !mono
	})
	return false, mono, nil, nil
}

// unitEnd gives the end of the unit-long bucket that starts at ms.
func unitEnd(unit string) func(int64) int64 {
	fixed := map[string]int64{"MILLISECOND": 1, "SECOND": 1000, "MINUTE": 60000, "HOUR": 3600000, "DAY": 86400000}
	if d, ok := fixed[unit]; ok {
		return func(ms int64) int64 { return ms + d }
	}
	switch unit {
	case "MONTH":
		return func(ms int64) int64 { return time.UnixMilli(ms).UTC().AddDate(0, 1, 0).UnixMilli() }
	case "YEAR":
		return func(ms int64) int64 { return time.UnixMilli(ms).UTC().AddDate(1, 0, 0).UnixMilli() }
	case "WEEK":
		return func(ms int64) int64 { return ms + 7*86400000 }
	}
	return nil
}

// groupHook is the scope of a grouped (tumbling or stagger) query's
// select list and HAVING: group keys are the first columns of its rows,
// aggregates follow.
type groupHook struct {
	p      *planner
	in     *scope
	keys   []sqlparse.Expr
	ktypes []sqltypes.Type
	aggs   []aggSpec
	kind   string // "GROUP BY" or "WINDOWED BY STAGGER"
}

func (g *groupHook) scope() *scope {
	return &scope{quals: g.in.quals, hook: g.hook, noColumns: "column %s is neither grouped (" + g.kind + ") nor aggregated"}
}

func (g *groupHook) hook(e sqlparse.Expr) (cexpr, bool, error) {
	for i, k := range g.keys {
		if sameExpr(g.in, k, e) {
			t := g.ktypes[i]
			return cexpr{t: t, eval: colEval(i)}, true, nil
		}
	}
	if isRowtime(e, g.in) {
		return cexpr{t: sqltypes.Type{Kind: sqltypes.Timestamp, NotNull: true}, eval: func(r *sqltypes.Row) (sqltypes.Value, error) {
			return sqltypes.TimestampMs(r.Rowtime), nil
		}}, true, nil
	}
	c, ok := e.(*sqlparse.Call)
	if !ok || !isAggregate(c) {
		return cexpr{}, false, nil
	}
	if c.Over != nil {
		return cexpr{}, true, sqlparse.Errorf(c.Over.Pos, "OVER is not allowed with %s", g.kind)
	}
	if c.Distinct {
		return cexpr{}, true, sqlparse.Errorf(c.Pos, "%s(DISTINCT ...) is not allowed in streaming aggregation", c.Name.Name)
	}
	spec, err := g.p.aggSpec(c, g.in, false)
	if err != nil {
		return cexpr{}, true, err
	}
	g.aggs = append(g.aggs, spec)
	return cexpr{t: spec.out, eval: colEval(len(g.keys) + len(g.aggs) - 1)}, true, nil
}

// aggSpec compiles an aggregate call's argument in the input scope.
func (p *planner) aggSpec(c *sqlparse.Call, in *scope, windowed bool) (aggSpec, error) {
	kind := aggNames[c.Name.Name]
	if (kind == aggLag || kind == aggNth) && !windowed {
		return aggSpec{}, sqlparse.Errorf(c.Pos, "%s needs OVER a window", c.Name.Name)
	}
	if c.Star {
		if kind != aggCount {
			return aggSpec{}, sqlparse.Errorf(c.Pos, "%s(*) is not allowed", c.Name.Name)
		}
		return aggSpec{kind: aggCountStar, out: aggResultType(aggCountStar, sqltypes.Type{})}, nil
	}
	want := 1
	if kind == aggLag {
		want = len(c.Args) // LAG(x [, n])
		if want < 1 || want > 2 {
			want = 1
		}
	}
	if kind == aggNth {
		want = 2
	}
	if len(c.Args) != want {
		return aggSpec{}, sqlparse.Errorf(c.Pos, "%s takes %d argument(s)", c.Name.Name, want)
	}
	inner := &scope{cols: in.cols, quals: in.quals, hook: func(e sqlparse.Expr) (cexpr, bool, error) {
		if c2, ok := e.(*sqlparse.Call); ok && isAggregate(c2) {
			return cexpr{}, true, sqlparse.Errorf(c2.Pos, "aggregates cannot nest")
		}
		return cexpr{}, false, nil
	}}
	arg, err := p.compile(c.Args[0], inner)
	if err != nil {
		return aggSpec{}, err
	}
	spec := aggSpec{kind: kind, arg: arg.eval, in: arg.t.Kind}
	switch kind {
	case aggSum, aggAvg, aggVarPop, aggVarSamp, aggStddevPop, aggStddevSamp:
		if !arg.t.Kind.IsNumeric() && arg.t.Kind != sqltypes.Null {
			return aggSpec{}, sqlparse.Errorf(c.Args[0].Position(), "%s needs a numeric argument, not %s", c.Name.Name, arg.t)
		}
	}
	if kind == aggLag {
		spec.n = 1
	}
	if len(c.Args) == 2 {
		lit, ok := c.Args[1].(*sqlparse.Literal)
		if !ok || !lit.Value.K.IsInteger() || lit.Value.I < 0 || lit.Value.I > 1<<20 {
			return aggSpec{}, sqlparse.Errorf(c.Args[1].Position(), "%s needs a non-negative integer literal", c.Name.Name)
		}
		spec.n = int(lit.Value.I)
	}
	spec.out = aggResultType(kind, arg.t)
	return spec, nil
}

// planGrouped compiles a tumbling-window GROUP BY.
func (p *planner) planGrouped(s *sqlparse.Select, q *queryPlan, in *scope) (*scope, error) {
	return p.planGroupKeys(s, s.GroupBy, false, q, in)
}

// planGroupKeys plans a tumbling grouping on keys: a GROUP BY, or the
// select list of SELECT DISTINCT (distinct: the first monotonic term is
// the window, further ones are plain keys).
func (p *planner) planGroupKeys(s *sqlparse.Select, keys []sqlparse.Expr, distinct bool, q *queryPlan, in *scope) (*scope, error) {
	spec := &tumblingSpec{timeKey: -1}
	kind := "GROUP BY"
	if distinct {
		kind = "SELECT DISTINCT"
	}
	g := &groupHook{p: p, in: in, keys: keys, kind: kind}
	for _, k := range keys {
		rb, mono, end, err := p.timeTerm(k, in)
		if err != nil {
			return nil, err
		}
		if (rb || mono) && !(distinct && spec.timeKey >= 0) {
			if spec.timeKey >= 0 {
				return nil, sqlparse.Errorf(k.Position(), "GROUP BY may hold only one ROWTIME-based (monotonic) term")
			}
			spec.timeKey = len(spec.keys)
			spec.windowEnd = end
		}
		x, err := p.compile(k, in)
		if err != nil {
			return nil, err
		}
		spec.keys = append(spec.keys, x.eval)
		g.ktypes = append(g.ktypes, x.t)
	}
	if spec.timeKey < 0 {
		return nil, sqlparse.Errorf(keys[0].Position(),
			"a streaming %s needs a ROWTIME-based term: STEP(ROWTIME BY INTERVAL ...), FLOOR(ROWTIME TO unit) or MONOTONIC(...)", kind)
	}
	out := g.scope()
	var having evalFn
	if s.Having != nil {
		h, err := p.compile(s.Having, out)
		if err != nil {
			return nil, err
		}
		having = h.eval
	}
	// the select list registers its aggregates when compiled; the spec
	// reads g.aggs once planning of this SELECT is complete
	q.ops = append(q.ops, &lateAggs{spec: spec, g: g})
	if having != nil {
		q.ops = append(q.ops, filterSpec{cond: having})
	}
	return out, nil
}

// lateAggs builds a grouped operator whose aggregate list is complete
// only after the select list is compiled.
type lateAggs struct {
	spec    *tumblingSpec
	stagger *staggerSpec
	g       *groupHook
}

func (l *lateAggs) build(b *builder, next node) node {
	// copies: runners of one program may start concurrently
	if l.stagger != nil {
		spec := *l.stagger
		spec.aggs = l.g.aggs
		return spec.build(b, next)
	}
	spec := *l.spec
	spec.aggs = l.g.aggs
	return spec.build(b, next)
}

// planStagger compiles WINDOWED BY STAGGER.
func (p *planner) planStagger(s *sqlparse.Select, q *queryPlan, in *scope) (*scope, error) {
	st := s.Stagger
	iv, ok := st.Range.(*sqlparse.IntervalLit)
	if !ok || iv.Months != 0 || iv.Ms <= 0 {
		return nil, sqlparse.Errorf(st.Range.Position(), "STAGGER needs RANGE INTERVAL with a positive day-time interval")
	}
	if len(st.PartitionBy) == 0 {
		return nil, sqlparse.Errorf(st.Pos, "STAGGER needs PARTITION BY")
	}
	spec := &staggerSpec{length: iv.Ms}
	g := &groupHook{p: p, in: in, keys: st.PartitionBy, kind: "WINDOWED BY STAGGER"}
	for _, k := range st.PartitionBy {
		x, err := p.compile(k, in)
		if err != nil {
			return nil, err
		}
		spec.keys = append(spec.keys, x.eval)
		g.ktypes = append(g.ktypes, x.t)
	}
	out := g.scope()
	var having evalFn
	if s.Having != nil {
		h, err := p.compile(s.Having, out)
		if err != nil {
			return nil, err
		}
		having = h.eval
	}
	q.ops = append(q.ops, &lateAggs{stagger: spec, g: g})
	if having != nil {
		q.ops = append(q.ops, filterSpec{cond: having})
	}
	return out, nil
}

// planSliding compiles aggregates OVER sliding windows.
func (p *planner) planSliding(s *sqlparse.Select, q *queryPlan, in *scope) (*scope, error) {
	if s.Having != nil {
		return nil, sqlparse.Errorf(s.Having.Position(), "HAVING needs a GROUP BY")
	}
	named := map[string]*sqlparse.WindowSpec{}
	for _, w := range s.Windows {
		named[w.Name.Name] = w.Spec
	}
	spec := &slidingSpec{}
	byName := map[string]int{}
	width := len(in.cols)
	out := &scope{cols: in.cols, quals: in.quals}
	out.hook = func(e sqlparse.Expr) (cexpr, bool, error) {
		c, ok := e.(*sqlparse.Call)
		if !ok || !isAggregate(c) {
			return cexpr{}, false, nil
		}
		if c.Over == nil {
			return cexpr{}, true, sqlparse.Errorf(c.Pos, "aggregate %s without OVER in a query with sliding windows", c.Name.Name)
		}
		if c.Distinct {
			return cexpr{}, true, sqlparse.Errorf(c.Pos, "%s(DISTINCT ...) is not allowed in streaming aggregation", c.Name.Name)
		}
		wi := -1
		key := ""
		if c.Over.Base != nil && len(c.Over.PartitionBy) == 0 && c.Over.Frame == nil && len(c.Over.OrderBy) == 0 {
			key = c.Over.Base.Name
			if i, ok := byName[key]; ok {
				wi = i
			}
		}
		if wi < 0 {
			def, err := p.windowDef(c.Over, named, in)
			if err != nil {
				return cexpr{}, true, err
			}
			wi = len(spec.windows)
			spec.windows = append(spec.windows, def)
			if key != "" {
				byName[key] = wi
			}
		}
		a, err := p.aggSpec(c, in, true)
		if err != nil {
			return cexpr{}, true, err
		}
		spec.aggs = append(spec.aggs, a)
		spec.aggWin = append(spec.aggWin, wi)
		return cexpr{t: a.out, eval: colEval(width + len(spec.aggs) - 1)}, true, nil
	}
	q.ops = append(q.ops, spec)
	return out, nil
}

// windowDef checks a sliding window the dialect allows: PARTITION BY,
// no ORDER BY, RANGE INTERVAL or ROWS n PRECEDING ending at CURRENT ROW.
func (p *planner) windowDef(w *sqlparse.WindowSpec, named map[string]*sqlparse.WindowSpec, in *scope) (windowDef, error) {
	var def windowDef
	spec := *w
	if w.Base != nil {
		base, ok := named[w.Base.Name]
		if !ok {
			return def, sqlparse.Errorf(w.Base.Pos, "window %s is not defined", w.Base.Name)
		}
		if len(spec.PartitionBy) == 0 {
			spec.PartitionBy = base.PartitionBy
		}
		if spec.Frame == nil {
			spec.Frame = base.Frame
		}
		if len(spec.OrderBy) == 0 {
			spec.OrderBy = base.OrderBy
		}
	}
	if len(spec.OrderBy) > 0 {
		return def, sqlparse.Errorf(spec.OrderBy[0].Pos, "an aggregation window may not have ORDER BY")
	}
	fr := spec.Frame
	if fr == nil {
		return def, sqlparse.Errorf(w.Pos, "a sliding window needs RANGE INTERVAL ... PRECEDING or ROWS n PRECEDING")
	}
	if fr.End != nil && fr.End.Kind != sqlparse.CurrentRow {
		return def, sqlparse.Errorf(fr.End.Pos, "sliding windows end at CURRENT ROW")
	}
	if fr.Start.Kind != sqlparse.Preceding {
		return def, sqlparse.Errorf(fr.Start.Pos, "a sliding window starts at an offset PRECEDING (not UNBOUNDED, CURRENT ROW or FOLLOWING)")
	}
	if fr.Unit == sqlparse.Range {
		iv, ok := fr.Start.Offset.(*sqlparse.IntervalLit)
		if !ok || iv.Months != 0 || iv.Ms <= 0 {
			return def, sqlparse.Errorf(fr.Start.Pos, "RANGE needs a positive day-time INTERVAL")
		}
		def.rangeMs = iv.Ms
	} else {
		lit, ok := fr.Start.Offset.(*sqlparse.Literal)
		if !ok || !lit.Value.K.IsInteger() || lit.Value.I < 1 || lit.Value.I > 1<<20 {
			return def, sqlparse.Errorf(fr.Start.Pos, "ROWS needs a positive integer")
		}
		def.rows = int(lit.Value.I)
	}
	for _, k := range spec.PartitionBy {
		x, err := p.compile(k, in)
		if err != nil {
			return def, err
		}
		def.partition = append(def.partition, x.eval)
	}
	return def, nil
}

// sameExpr reports two expressions that compute the same thing (names
// compared by what they resolve to).
func sameExpr(sc *scope, a, b sqlparse.Expr) bool {
	switch a := a.(type) {
	case *sqlparse.Name:
		b, ok := b.(*sqlparse.Name)
		return ok && sc.sameName(a, b)
	case *sqlparse.Literal:
		b, ok := b.(*sqlparse.Literal)
		return ok && a.Value.K == b.Value.K && a.Value.String() == b.Value.String()
	case *sqlparse.IntervalLit:
		b, ok := b.(*sqlparse.IntervalLit)
		return ok && a.Ms == b.Ms && a.Months == b.Months
	case *sqlparse.Unary:
		b, ok := b.(*sqlparse.Unary)
		return ok && a.Op == b.Op && sameExpr(sc, a.X, b.X)
	case *sqlparse.Binary:
		b, ok := b.(*sqlparse.Binary)
		return ok && a.Op == b.Op && sameExpr(sc, a.L, b.L) && sameExpr(sc, a.R, b.R)
	case *sqlparse.Cast:
		b, ok := b.(*sqlparse.Cast)
		return ok && a.Type.String() == b.Type.String() && sameExpr(sc, a.X, b.X)
	case *sqlparse.Call:
		b, ok := b.(*sqlparse.Call)
		if !ok || a.Name.Name != b.Name.Name || a.Name.Quoted != b.Name.Quoted || len(a.Args) != len(b.Args) || a.Star != b.Star || a.Distinct != b.Distinct || a.Over != nil || b.Over != nil {
			return false
		}
		for i := range a.Args {
			if !sameExpr(sc, a.Args[i], b.Args[i]) {
				return false
			}
		}
		return true
	}
	return false
}
