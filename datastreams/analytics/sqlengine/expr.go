package sqlengine

import (
	"fmt"
	"strings"

	"github.com/shardcast/shardcast/datastreams/analytics/sqlfunc"
	"github.com/shardcast/shardcast/datastreams/analytics/sqlparse"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// cexpr is a compiled expression: its type, how to compute it, and its
// value when it is a constant.
type cexpr struct {
	t     sqltypes.Type
	eval  evalFn
	konst *sqltypes.Value
}

func constExpr(v sqltypes.Value, t sqltypes.Type) cexpr {
	return cexpr{t: t, konst: &v, eval: func(*sqltypes.Row) (sqltypes.Value, error) { return v, nil }}
}

// exprCompiler compiles expressions against a function library.
type exprCompiler struct {
	lib *sqlfunc.Library
	// udfs are the code's CREATE FUNCTIONs, inlined where called.
	udfs  map[string]*sqlparse.CreateFunction
	depth int
}

func (c *exprCompiler) lookup(pos sqlparse.Pos, name string) (*sqlfunc.Func, error) {
	if c.lib != nil {
		if f, ok := c.lib.Lookup(name); ok {
			return f, nil
		}
	}
	return nil, sqlparse.Errorf(pos, "no function %s", name)
}

// call compiles fn(args) through the library: Check types it, and when
// every argument is constant (and the function is not volatile) it is
// computed once here.
func (c *exprCompiler) call(pos sqlparse.Pos, name string, args []cexpr) (cexpr, error) {
	f, err := c.lookup(pos, name)
	if err != nil {
		return cexpr{}, err
	}
	return c.apply(pos, f, args)
}

func (c *exprCompiler) apply(pos sqlparse.Pos, f *sqlfunc.Func, args []cexpr) (cexpr, error) {
	cargs := make([]sqlfunc.Arg, len(args))
	allConst := !f.Volatile
	for i, a := range args {
		cargs[i] = sqlfunc.Arg{Type: a.t, Const: a.konst}
		if a.konst == nil {
			allConst = false
		}
	}
	t, err := f.Check(cargs)
	if err != nil {
		return cexpr{}, sqlparse.Errorf(pos, "%v", err)
	}
	evals := make([]evalFn, len(args))
	for i, a := range args {
		evals[i] = a.eval
	}
	var eval evalFn
	if f.Eval2 != nil && len(evals) == 2 {
		e0, e1 := evals[0], evals[1]
		eval = func(r *sqltypes.Row) (sqltypes.Value, error) {
			x, err := e0(r)
			if err != nil {
				return x, err
			}
			y, err := e1(r)
			if err != nil {
				return y, err
			}
			return f.Eval2(x, y)
		}
	} else {
		eval = func(r *sqltypes.Row) (sqltypes.Value, error) {
			vals := make([]sqltypes.Value, len(evals))
			for i, e := range evals {
				v, err := e(r)
				if err != nil {
					return v, err
				}
				vals[i] = v
			}
			return f.Eval(vals)
		}
	}
	if allConst {
		if v, err := eval(nil); err == nil {
			return constExpr(v, t), nil
		}
	}
	return cexpr{t: t, eval: eval}, nil
}

var boolType = sqltypes.Type{Kind: sqltypes.Boolean}

// compile compiles an expression in a scope.
func (c *exprCompiler) compile(e sqlparse.Expr, sc *scope) (cexpr, error) {
	if sc.hook != nil {
		if x, ok, err := sc.hook(e); ok || err != nil {
			return x, err
		}
	}
	switch e := e.(type) {
	case *sqlparse.Literal:
		t := e.Type
		if t.Kind == sqltypes.Null && e.Value.K != sqltypes.Null {
			t = sqltypes.Type{Kind: e.Value.K}
		}
		return constExpr(e.Value, t), nil
	case *sqlparse.IntervalLit:
		if e.Months != 0 {
			return cexpr{}, sqlparse.Errorf(e.Pos, "year-month intervals are not supported")
		}
		return constExpr(sqltypes.IntervalMs(e.Ms), sqltypes.Type{Kind: sqltypes.Interval}), nil
	case *sqlparse.Name:
		return c.name(e, sc)
	case *sqlparse.Star:
		return cexpr{}, sqlparse.Errorf(e.Pos, "* is only allowed in a select list or COUNT(*)")
	case *sqlparse.Unary:
		return c.unary(e, sc)
	case *sqlparse.Binary:
		return c.binary(e, sc)
	case *sqlparse.IsExpr:
		return c.is(e, sc)
	case *sqlparse.Between:
		return c.between(e, sc)
	case *sqlparse.InList:
		return c.inList(e, sc)
	case *sqlparse.Like:
		return c.like(e, sc)
	case *sqlparse.Case:
		return c.caseExpr(e, sc)
	case *sqlparse.Cast:
		x, err := c.compile(e.X, sc)
		if err != nil {
			return cexpr{}, err
		}
		return castTo(e.Pos, x, e.Type)
	case *sqlparse.Call:
		return c.callExpr(e, sc)
	case *sqlparse.Cursor:
		return cexpr{}, sqlparse.Errorf(e.Pos, "CURSOR is only allowed as a table function's argument")
	}
	return cexpr{}, sqlparse.Errorf(e.Position(), "unsupported expression")
}

func castTo(pos sqlparse.Pos, x cexpr, t sqltypes.Type) (cexpr, error) {
	if x.t.Kind != sqltypes.Null && !sqlfunc.CanCast(x.t, t) {
		return cexpr{}, sqlparse.Errorf(pos, "cannot cast %s to %s", x.t, t)
	}
	t.NotNull = false
	ev := x.eval
	eval := func(r *sqltypes.Row) (sqltypes.Value, error) {
		v, err := ev(r)
		if err != nil {
			return v, err
		}
		return sqlfunc.Cast(v, t)
	}
	if x.konst != nil {
		if v, err := sqlfunc.Cast(*x.konst, t); err == nil {
			return constExpr(v, t), nil
		}
	}
	return cexpr{t: t, eval: eval}, nil
}

func (c *exprCompiler) name(n *sqlparse.Name, sc *scope) (cexpr, error) {
	r, err := sc.resolve(n)
	if sc.noColumns != "" && (err != nil || !r.rowtime) {
		return cexpr{}, sqlparse.Errorf(n.Pos, sc.noColumns, identPath(n.Parts))
	}
	if err != nil {
		return cexpr{}, err
	}
	if r.rowtime {
		return cexpr{t: r.typ, eval: func(row *sqltypes.Row) (sqltypes.Value, error) {
			return sqltypes.TimestampMs(row.Rowtime), nil
		}}, nil
	}
	idx, fields, kind := r.col.idx, r.field, r.typ.Kind
	if len(fields) == 0 {
		return cexpr{t: r.typ, eval: func(row *sqltypes.Row) (sqltypes.Value, error) { return row.Values[idx], nil }}, nil
	}
	return cexpr{t: r.typ, eval: func(row *sqltypes.Row) (sqltypes.Value, error) {
		v := row.Values[idx]
		for _, f := range fields {
			if v.Null || f >= len(v.Fields()) {
				return sqltypes.NullOf(kind), nil
			}
			v = v.Fields()[f]
		}
		return v, nil
	}}, nil
}

func (c *exprCompiler) unary(e *sqlparse.Unary, sc *scope) (cexpr, error) {
	x, err := c.compile(e.X, sc)
	if err != nil {
		return cexpr{}, err
	}
	switch e.Op {
	case "+":
		return x, nil
	case "NOT":
		if x.t.Kind != sqltypes.Boolean && x.t.Kind != sqltypes.Null {
			return cexpr{}, sqlparse.Errorf(e.Pos, "NOT needs a BOOLEAN, not %s", x.t)
		}
		return c.derive(x.konst != nil, boolType, func(r *sqltypes.Row) (sqltypes.Value, error) {
			v, err := x.eval(r)
			if err != nil || v.Null {
				return sqltypes.NullOf(sqltypes.Boolean), err
			}
			return sqltypes.Bool(v.I == 0), nil
		}), nil
	}
	// -x: 0 - x through the library keeps its typing rules
	if !x.t.Kind.IsNumeric() && x.t.Kind != sqltypes.Interval && x.t.Kind != sqltypes.Null {
		return cexpr{}, sqlparse.Errorf(e.Pos, "cannot negate %s", x.t)
	}
	t := x.t
	t.NotNull = false
	return c.derive(x.konst != nil, t, func(r *sqltypes.Row) (sqltypes.Value, error) {
		v, err := x.eval(r)
		if err != nil || v.Null {
			return v, err
		}
		if v.K.IsInteger() || v.K == sqltypes.Interval {
			v.I = -v.I
		} else {
			v.F = -v.F
		}
		return v, nil
	}), nil
}

// derive wraps an engine-evaluated expression, folding it when its
// inputs are constant.
func (c *exprCompiler) derive(konst bool, t sqltypes.Type, eval evalFn) cexpr {
	if konst {
		if v, err := eval(nil); err == nil {
			return constExpr(v, t)
		}
	}
	return cexpr{t: t, eval: eval}
}

func (c *exprCompiler) binary(e *sqlparse.Binary, sc *scope) (cexpr, error) {
	l, err := c.compile(e.L, sc)
	if err != nil {
		return cexpr{}, err
	}
	r, err := c.compile(e.R, sc)
	if err != nil {
		return cexpr{}, err
	}
	switch e.Op {
	case "AND", "OR":
		for _, x := range []cexpr{l, r} {
			if x.t.Kind != sqltypes.Boolean && x.t.Kind != sqltypes.Null {
				return cexpr{}, sqlparse.Errorf(e.Pos, "%s needs BOOLEAN operands, not %s", e.Op, x.t)
			}
		}
		and := e.Op == "AND"
		return c.derive(l.konst != nil && r.konst != nil, boolType, func(row *sqltypes.Row) (sqltypes.Value, error) {
			a, err := l.eval(row)
			if err != nil {
				return a, err
			}
			// short cut: FALSE AND x, TRUE OR x
			if !a.Null && (a.I != 0) != and {
				return sqltypes.Bool(!and), nil
			}
			b, err := r.eval(row)
			if err != nil {
				return b, err
			}
			if !b.Null && (b.I != 0) != and {
				return sqltypes.Bool(!and), nil
			}
			if a.Null || b.Null {
				return sqltypes.NullOf(sqltypes.Boolean), nil
			}
			return sqltypes.Bool(and), nil
		}), nil
	}
	return c.call(e.OpPos, e.Op, []cexpr{l, r})
}

func (c *exprCompiler) is(e *sqlparse.IsExpr, sc *scope) (cexpr, error) {
	x, err := c.compile(e.X, sc)
	if err != nil {
		return cexpr{}, err
	}
	what, not := strings.ToUpper(e.What), e.Not
	if what != "NULL" && x.t.Kind != sqltypes.Boolean && x.t.Kind != sqltypes.Null {
		return cexpr{}, sqlparse.Errorf(e.Pos, "IS %s needs a BOOLEAN, not %s", what, x.t)
	}
	t := sqltypes.Type{Kind: sqltypes.Boolean, NotNull: true}
	return c.derive(x.konst != nil, t, func(r *sqltypes.Row) (sqltypes.Value, error) {
		v, err := x.eval(r)
		if err != nil {
			return v, err
		}
		var b bool
		switch what {
		case "NULL", "UNKNOWN":
			b = v.Null
		case "TRUE":
			b = !v.Null && v.I != 0
		case "FALSE":
			b = !v.Null && v.I == 0
		}
		return sqltypes.Bool(b != not), nil
	}), nil
}

// compare compiles a comparison through the library's operator.
func (c *exprCompiler) compare(pos sqlparse.Pos, op string, l, r cexpr) (cexpr, error) {
	return c.call(pos, op, []cexpr{l, r})
}

func (c *exprCompiler) between(e *sqlparse.Between, sc *scope) (cexpr, error) {
	x, err := c.compile(e.X, sc)
	if err != nil {
		return cexpr{}, err
	}
	lo, err := c.compile(e.Lo, sc)
	if err != nil {
		return cexpr{}, err
	}
	hi, err := c.compile(e.Hi, sc)
	if err != nil {
		return cexpr{}, err
	}
	ge, err := c.compare(e.Pos, ">=", x, lo)
	if err != nil {
		return cexpr{}, err
	}
	le, err := c.compare(e.Pos, "<=", x, hi)
	if err != nil {
		return cexpr{}, err
	}
	var sym [2]cexpr
	if e.Symmetric {
		if sym[0], err = c.compare(e.Pos, ">=", x, hi); err != nil {
			return cexpr{}, err
		}
		if sym[1], err = c.compare(e.Pos, "<=", x, lo); err != nil {
			return cexpr{}, err
		}
	}
	not, symmetric := e.Not, e.Symmetric
	konst := x.konst != nil && lo.konst != nil && hi.konst != nil
	return c.derive(konst, boolType, func(r *sqltypes.Row) (sqltypes.Value, error) {
		v, err := and3(r, ge.eval, le.eval)
		if err == nil && symmetric && !v.Truth() {
			w, err2 := and3(r, sym[0].eval, sym[1].eval)
			if err2 != nil {
				return w, err2
			}
			if w.Truth() || v.Null && w.Null {
				v = w
			}
		}
		if err != nil || v.Null || !not {
			return v, err
		}
		return sqltypes.Bool(v.I == 0), nil
	}), nil
}

func and3(r *sqltypes.Row, a, b evalFn) (sqltypes.Value, error) {
	x, err := a(r)
	if err != nil {
		return x, err
	}
	if !x.Null && x.I == 0 {
		return x, nil
	}
	y, err := b(r)
	if err != nil {
		return y, err
	}
	if !y.Null && y.I == 0 {
		return y, nil
	}
	if x.Null || y.Null {
		return sqltypes.NullOf(sqltypes.Boolean), nil
	}
	return sqltypes.Bool(true), nil
}

func (c *exprCompiler) inList(e *sqlparse.InList, sc *scope) (cexpr, error) {
	x, err := c.compile(e.X, sc)
	if err != nil {
		return cexpr{}, err
	}
	eqs := make([]evalFn, len(e.List))
	konst := x.konst != nil
	for i, item := range e.List {
		it, err := c.compile(item, sc)
		if err != nil {
			return cexpr{}, err
		}
		konst = konst && it.konst != nil
		eq, err := c.compare(item.Position(), "=", x, it)
		if err != nil {
			return cexpr{}, err
		}
		eqs[i] = eq.eval
	}
	not := e.Not
	return c.derive(konst, boolType, func(r *sqltypes.Row) (sqltypes.Value, error) {
		sawNull := false
		for _, eq := range eqs {
			v, err := eq(r)
			if err != nil {
				return v, err
			}
			if v.Null {
				sawNull = true
			} else if v.I != 0 {
				return sqltypes.Bool(!not), nil
			}
		}
		if sawNull {
			return sqltypes.NullOf(sqltypes.Boolean), nil
		}
		return sqltypes.Bool(not), nil
	}), nil
}

func (c *exprCompiler) like(e *sqlparse.Like, sc *scope) (cexpr, error) {
	args := []sqlparse.Expr{e.X, e.Pattern}
	if e.Escape != nil {
		args = append(args, e.Escape)
	}
	cargs := make([]cexpr, len(args))
	for i, a := range args {
		x, err := c.compile(a, sc)
		if err != nil {
			return cexpr{}, err
		}
		cargs[i] = x
	}
	name := "LIKE"
	if e.Similar {
		name = "SIMILAR TO"
	}
	m, err := c.call(e.Pos, name, cargs)
	if err != nil {
		return cexpr{}, err
	}
	if !e.Not {
		return m, nil
	}
	return c.derive(m.konst != nil, boolType, func(r *sqltypes.Row) (sqltypes.Value, error) {
		v, err := m.eval(r)
		if err != nil || v.Null {
			return v, err
		}
		return sqltypes.Bool(v.I == 0), nil
	}), nil
}

func (c *exprCompiler) caseExpr(e *sqlparse.Case, sc *scope) (cexpr, error) {
	var operand *cexpr
	if e.Operand != nil {
		x, err := c.compile(e.Operand, sc)
		if err != nil {
			return cexpr{}, err
		}
		operand = &x
	}
	conds := make([]evalFn, len(e.Whens))
	results := make([]cexpr, 0, len(e.Whens)+1)
	for i, w := range e.Whens {
		cond, err := c.compile(w.Cond, sc)
		if err != nil {
			return cexpr{}, err
		}
		if operand != nil {
			if cond, err = c.compare(w.Pos, "=", *operand, cond); err != nil {
				return cexpr{}, err
			}
		} else if cond.t.Kind != sqltypes.Boolean && cond.t.Kind != sqltypes.Null {
			return cexpr{}, sqlparse.Errorf(w.Cond.Position(), "WHEN needs a BOOLEAN, not %s", cond.t)
		}
		conds[i] = cond.eval
		res, err := c.compile(w.Result, sc)
		if err != nil {
			return cexpr{}, err
		}
		results = append(results, res)
	}
	elseE := constExpr(sqltypes.NullOf(sqltypes.Null), sqltypes.Type{Kind: sqltypes.Null})
	if e.Else != nil {
		x, err := c.compile(e.Else, sc)
		if err != nil {
			return cexpr{}, err
		}
		elseE = x
	}
	results = append(results, elseE)
	t, err := commonType(e.Pos, results)
	if err != nil {
		return cexpr{}, err
	}
	evals := make([]evalFn, len(results))
	for i, r := range results {
		if evals[i], err = coerceEval(r, t); err != nil {
			return cexpr{}, sqlparse.Errorf(e.Pos, "%v", err)
		}
	}
	return cexpr{t: t, eval: func(r *sqltypes.Row) (sqltypes.Value, error) {
		for i, cond := range conds {
			v, err := cond(r)
			if err != nil {
				return v, err
			}
			if v.Truth() {
				return evals[i](r)
			}
		}
		return evals[len(evals)-1](r)
	}}, nil
}

// commonType is the type several expressions combine in.
func commonType(pos sqlparse.Pos, xs []cexpr) (sqltypes.Type, error) {
	t := sqltypes.Type{Kind: sqltypes.Null}
	for _, x := range xs {
		if x.t.Kind == sqltypes.Null {
			continue
		}
		if t.Kind == sqltypes.Null {
			t = x.t
			continue
		}
		ct, ok := sqlfunc.Common(t, x.t)
		if !ok {
			return t, sqlparse.Errorf(pos, "%s and %s have no common type", t, x.t)
		}
		t = ct
	}
	t.NotNull = false
	return t, nil
}

// coerceEval converts an expression's values to type t when its own type
// differs.
func coerceEval(x cexpr, t sqltypes.Type) (evalFn, error) {
	if x.t.Kind == t.Kind || x.t.Kind == sqltypes.Null || t.Kind == sqltypes.Null {
		if x.t.Kind == sqltypes.Null && t.Kind != sqltypes.Null {
			k := t.Kind
			ev := x.eval
			return func(r *sqltypes.Row) (sqltypes.Value, error) {
				v, err := ev(r)
				if err == nil && v.Null {
					v.K = k
				}
				return v, err
			}, nil
		}
		return x.eval, nil
	}
	if !sqlfunc.CanCast(x.t, t) {
		return nil, fmt.Errorf("cannot convert %s to %s", x.t, t)
	}
	ev := x.eval
	return func(r *sqltypes.Row) (sqltypes.Value, error) {
		v, err := ev(r)
		if err != nil {
			return v, err
		}
		return sqlfunc.Cast(v, t)
	}, nil
}
