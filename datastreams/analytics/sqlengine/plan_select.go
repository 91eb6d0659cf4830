package sqlengine

import (
	"fmt"
	"strings"

	"github.com/shardcast/shardcast/datastreams/analytics/sqlparse"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// planQuery compiles a query (a SELECT or a UNION of them).
func (p *planner) planQuery(q sqlparse.Query) (*queryPlan, error) {
	switch q := q.(type) {
	case *sqlparse.Select:
		return p.planSelect(q)
	case *sqlparse.Union:
		if q.Op != "UNION" || !q.All {
			return nil, sqlparse.Errorf(q.Pos, "streams combine with UNION ALL only")
		}
		if q.Within != nil {
			return nil, sqlparse.Errorf(q.Within.Position(), "ORDER BY ... WITHIN over a UNION is not supported (T-sort each side in its own pump)")
		}
		l, err := p.subQuery(q.Left)
		if err != nil {
			return nil, err
		}
		r, err := p.subQuery(q.Right)
		if err != nil {
			return nil, err
		}
		if len(l.cols) != len(r.cols) {
			return nil, sqlparse.Errorf(q.Pos, "UNION sides have %d and %d columns", len(l.cols), len(r.cols))
		}
		cols := append([]sqltypes.Column(nil), l.cols...)
		right := &queryPlan{src: r.src, ops: r.ops, cols: r.cols}
		var conv []castFn
		for i := range cols {
			t, err := commonType(q.Pos, []cexpr{{t: l.cols[i].Type}, {t: r.cols[i].Type}})
			if err != nil {
				return nil, err
			}
			cols[i].Type = t
			if !sameType(r.cols[i].Type, t) || !sameType(l.cols[i].Type, t) {
				conv = make([]castFn, len(cols))
			}
		}
		if conv != nil {
			l = withCasts(l, cols)
			right = withCasts(right, cols)
		}
		return &queryPlan{src: unionSource{l, right}, cols: cols}, nil
	}
	return nil, sqlparse.Errorf(q.Position(), "a streaming query needs SELECT STREAM (VALUES is not a stream)")
}

// subQuery plans a query whose rows flow on inside the same pump: it may
// not T-sort, as its rows would leave behind the pump's watermark.
func (p *planner) subQuery(q sqlparse.Query) (*queryPlan, error) {
	qp, err := p.planQuery(q)
	if err == nil && qp.tsort > 0 {
		return nil, sqlparse.Errorf(qp.tsortPos, "ORDER BY ... WITHIN is only allowed in a pump's or view's outermost query")
	}
	return qp, err
}

// withCasts appends a projection converting a query's columns to cols'
// types.
func withCasts(q *queryPlan, cols []sqltypes.Column) *queryPlan {
	exprs := make([]evalFn, len(cols))
	for i := range cols {
		x, err := coerceEval(cexpr{t: q.cols[i].Type, eval: colEval(i)}, cols[i].Type)
		if err != nil {
			x = colEval(i)
		}
		exprs[i] = x
	}
	return &queryPlan{src: q.src, ops: append(append([]opSpec(nil), q.ops...), projectSpec{exprs: exprs}), cols: cols}
}

func colEval(i int) evalFn {
	return func(r *sqltypes.Row) (sqltypes.Value, error) { return r.Values[i], nil }
}

// unionSource feeds both queries into the same next node.
type unionSource struct{ l, r *queryPlan }

func (u unionSource) attach(b *builder, first node) {
	u.l.attach(b, first)
	u.r.attach(b, first)
}

// fromPlan is a compiled FROM clause: a source, operators after it, and
// the scope of its rows.
type fromPlan struct {
	src sourceSpec
	ops []opSpec
	sc  *scope
	// table is set when the FROM is a reference table alone (it can
	// only be joined with a stream).
	table *relation
	over  *sqlparse.WindowSpec // a stream's OVER, for joins
	pos   sqlparse.Pos
}

func (p *planner) planSelect(s *sqlparse.Select) (*queryPlan, error) {
	if s.From == nil {
		return nil, sqlparse.Errorf(s.Pos, "a query needs a FROM")
	}
	fp, err := p.planFrom(s.From, nil)
	if err != nil {
		return nil, err
	}
	if fp.table != nil {
		return nil, sqlparse.Errorf(fp.pos, "%s is a reference table: a streaming query reads a stream (join the table to one)", fp.table.name)
	}
	if fp.over != nil {
		return nil, sqlparse.Errorf(fp.over.Pos, "OVER after a stream name is only allowed in a join")
	}
	q := &queryPlan{src: fp.src, ops: fp.ops}
	in := fp.sc
	if s.Where != nil {
		w, err := p.compile(s.Where, in)
		if err != nil {
			return nil, err
		}
		if w.t.Kind != sqltypes.Boolean && w.t.Kind != sqltypes.Null {
			return nil, sqlparse.Errorf(s.Where.Position(), "WHERE needs a BOOLEAN, not %s", w.t)
		}
		q.ops = append(q.ops, filterSpec{cond: w.eval})
	}
	items, err := expandItems(s.Items, in)
	if err != nil {
		return nil, err
	}
	var out *scope
	switch {
	case s.Distinct:
		if len(s.GroupBy) > 0 || s.Stagger != nil || usesOver(s) || s.Having != nil {
			return nil, sqlparse.Errorf(s.Pos, "SELECT DISTINCT over a stream takes no GROUP BY, HAVING, STAGGER or OVER")
		}
		keys := make([]sqlparse.Expr, len(items))
		for i, it := range items {
			keys[i] = it.expr
		}
		out, err = p.planGroupKeys(s, keys, true, q, in)
	case len(s.GroupBy) > 0:
		out, err = p.planGrouped(s, q, in)
	case s.Stagger != nil:
		out, err = p.planStagger(s, q, in)
	case usesOver(s):
		out, err = p.planSliding(s, q, in)
	default:
		if s.Having != nil {
			return nil, sqlparse.Errorf(s.Having.Position(), "HAVING needs a GROUP BY")
		}
		out = &scope{cols: in.cols, quals: in.quals, hook: noAggregates(in)}
	}
	if err != nil {
		return nil, err
	}
	exprs := make([]evalFn, len(items))
	q.cols = make([]sqltypes.Column, len(items))
	for i, it := range items {
		x, err := p.compile(it.expr, out)
		if err != nil {
			return nil, err
		}
		exprs[i] = x.eval
		q.cols[i] = sqltypes.Column{Name: it.name, Type: x.t}
		q.mono = append(q.mono, isMonotonic(it.expr, in))
	}
	q.ops = append(q.ops, projectSpec{exprs: exprs})
	if s.Within != nil {
		t, err := p.planTsort(s, items, q.cols, in)
		if err != nil {
			return nil, err
		}
		q.ops = append(q.ops, t)
		q.tsort = t.within
		q.tsortPos = s.Within.Position()
	} else if len(s.OrderBy) > 0 {
		o, err := p.planOrderBy(s.OrderBy, q.cols, in)
		if err != nil {
			return nil, err
		}
		q.ops = append(q.ops, o)
	}
	return q, nil
}

// selItem is one select-list column after * is expanded.
type selItem struct {
	expr sqlparse.Expr
	name string
}

func expandItems(items []sqlparse.SelectItem, in *scope) ([]selItem, error) {
	var out []selItem
	for i, it := range items {
		if st, ok := it.Expr.(*sqlparse.Star); ok {
			qual := ""
			if len(st.Qualifier) > 0 {
				qual = st.Qualifier[len(st.Qualifier)-1].Name
				if !in.hasQual(qual) {
					return nil, sqlparse.Errorf(st.Pos, "%s is not in FROM", qual)
				}
			}
			n := 0
			for _, c := range in.cols {
				if qual != "" && c.qual != qual {
					continue
				}
				parts := []sqlparse.Ident{{Pos: st.Pos, Name: c.name, Quoted: true}}
				if c.qual != "" {
					parts = append([]sqlparse.Ident{{Pos: st.Pos, Name: c.qual, Quoted: true}}, parts...)
				}
				out = append(out, selItem{expr: &sqlparse.Name{Pos: st.Pos, Parts: parts}, name: c.name})
				n++
			}
			if n == 0 {
				return nil, sqlparse.Errorf(st.Pos, "* matches no column")
			}
			continue
		}
		name := fmt.Sprintf("EXPR$%d", i)
		if it.Alias != nil {
			name = it.Alias.Name
		} else if n, ok := it.Expr.(*sqlparse.Name); ok {
			name = n.Parts[len(n.Parts)-1].Name
			if strings.EqualFold(name, "ROWTIME") {
				name = "ROWTIME"
			}
		}
		out = append(out, selItem{expr: it.Expr, name: name})
	}
	return out, nil
}

// usesOver reports a select list (or HAVING) with an OVER aggregate.
func usesOver(s *sqlparse.Select) bool {
	found := false
	for _, it := range s.Items {
		walkExpr(it.Expr, func(e sqlparse.Expr) bool {
			if c, ok := e.(*sqlparse.Call); ok && c.Over != nil {
				found = true
			}
			return !found
		})
	}
	return found
}

// walkExpr visits e and its sub-expressions until f returns false (it
// does not enter cursors).
func walkExpr(e sqlparse.Expr, f func(sqlparse.Expr) bool) bool {
	if e == nil {
		return true
	}
	if !f(e) {
		return false
	}
	switch e := e.(type) {
	case *sqlparse.Unary:
		return walkExpr(e.X, f)
	case *sqlparse.Binary:
		return walkExpr(e.L, f) && walkExpr(e.R, f)
	case *sqlparse.IsExpr:
		return walkExpr(e.X, f)
	case *sqlparse.Between:
		return walkExpr(e.X, f) && walkExpr(e.Lo, f) && walkExpr(e.Hi, f)
	case *sqlparse.InList:
		if !walkExpr(e.X, f) {
			return false
		}
		for _, x := range e.List {
			if !walkExpr(x, f) {
				return false
			}
		}
	case *sqlparse.Like:
		return walkExpr(e.X, f) && walkExpr(e.Pattern, f) && walkExpr(e.Escape, f)
	case *sqlparse.Case:
		if !walkExpr(e.Operand, f) || !walkExpr(e.Else, f) {
			return false
		}
		for _, w := range e.Whens {
			if !walkExpr(w.Cond, f) || !walkExpr(w.Result, f) {
				return false
			}
		}
	case *sqlparse.Cast:
		return walkExpr(e.X, f)
	case *sqlparse.Call:
		for _, a := range e.Args {
			if !walkExpr(a, f) {
				return false
			}
		}
	}
	return true
}

// noAggregates is the hook of a query without GROUP BY or OVER: an
// aggregate call is an error there.
func noAggregates(in *scope) func(sqlparse.Expr) (cexpr, bool, error) {
	_ = in
	return func(e sqlparse.Expr) (cexpr, bool, error) {
		if c, ok := e.(*sqlparse.Call); ok && isAggregate(c) {
			return cexpr{}, true, sqlparse.Errorf(c.Pos, "aggregate %s needs a GROUP BY on a ROWTIME-based term, WINDOWED BY STAGGER, or OVER a window", c.Name.Name)
		}
		return cexpr{}, false, nil
	}
}

func isAggregate(c *sqlparse.Call) bool {
	_, ok := aggNames[c.Name.Name]
	return ok && !c.Name.Quoted
}

// callExpr compiles a scalar function call.
func (c *exprCompiler) callExpr(e *sqlparse.Call, sc *scope) (cexpr, error) {
	if isAggregate(e) {
		return cexpr{}, sqlparse.Errorf(e.Pos, "aggregate %s is not allowed here", e.Name.Name)
	}
	if e.Over != nil {
		return cexpr{}, sqlparse.Errorf(e.Over.Pos, "%s is not an aggregate: OVER does not apply", e.Name.Name)
	}
	if e.Star || e.Distinct {
		return cexpr{}, sqlparse.Errorf(e.Pos, "%s takes no * or DISTINCT", e.Name.Name)
	}
	args := make([]cexpr, len(e.Args))
	for i, a := range e.Args {
		x, err := c.compile(a, sc)
		if err != nil {
			return cexpr{}, err
		}
		args[i] = x
	}
	if f := c.udfs[e.Name.Name]; f != nil {
		return c.inline(e, f, args)
	}
	if e.Name.Name == "MONOTONIC" && !e.Name.Quoted {
		if len(args) != 1 {
			return cexpr{}, sqlparse.Errorf(e.Pos, "MONOTONIC takes one argument")
		}
		return args[0], nil
	}
	return c.call(e.Pos, e.Name.Name, args)
}

// inline compiles a call of a CREATE FUNCTION: its body with the
// parameters bound to the (converted) arguments, converted to the
// declared result type.
func (c *exprCompiler) inline(e *sqlparse.Call, f *sqlparse.CreateFunction, args []cexpr) (cexpr, error) {
	if len(args) != len(f.Params) {
		return cexpr{}, sqlparse.Errorf(e.Pos, "%s takes %d arguments, not %d", f.Name.Name, len(f.Params), len(args))
	}
	if c.depth > 16 {
		return cexpr{}, sqlparse.Errorf(e.Pos, "%s: functions call each other too deeply (recursion?)", f.Name.Name)
	}
	bound := make([]cexpr, len(args))
	for i, a := range args {
		x, err := castTo(e.Args[i].Position(), a, f.Params[i].Type)
		if err != nil {
			return cexpr{}, err
		}
		bound[i] = x
	}
	sc := &scope{noColumns: "the body of " + f.Name.Name + " can only name its parameters (%s)"}
	sc.hook = func(x sqlparse.Expr) (cexpr, bool, error) {
		if n, ok := x.(*sqlparse.Name); ok && len(n.Parts) == 1 {
			for i, prm := range f.Params {
				if prm.Name.Name == n.Parts[0].Name {
					return bound[i], true, nil
				}
			}
		}
		if call, ok := x.(*sqlparse.Call); ok && isAggregate(call) {
			return cexpr{}, true, sqlparse.Errorf(call.Pos, "aggregate %s in a function body", call.Name.Name)
		}
		return cexpr{}, false, nil
	}
	c.depth++
	body, err := c.compile(f.Body, sc)
	c.depth--
	if err != nil {
		return cexpr{}, err
	}
	return castTo(e.Pos, body, f.Returns)
}

// isMonotonic reports an expression that never decreases with ROWTIME:
// ROWTIME, a monotonic column of a sub-query, STEP, FLOOR or CEIL of one,
// or MONOTONIC(...).
func isMonotonic(e sqlparse.Expr, in *scope) bool {
	switch e := e.(type) {
	case *sqlparse.Name:
		r, err := in.resolve(e)
		return err == nil && (r.rowtime || r.col != nil && r.col.mono && len(r.field) == 0)
	case *sqlparse.Call:
		switch e.Name.Name {
		case "MONOTONIC":
			return true
		case "STEP", "FLOOR_TO", "CEIL_TO", "FLOOR", "CEIL":
			return len(e.Args) > 0 && isMonotonic(e.Args[0], in)
		}
	case *sqlparse.Cast:
		return isMonotonic(e.X, in)
	}
	return false
}
