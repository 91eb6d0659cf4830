package sqlparse

import (
	"strconv"
	"strings"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// Operator precedences, loosest first; an operand is parenthesized when
// it binds more loosely than its place asks.
const (
	precOr = iota + 1
	precAnd
	precNot
	precCmp // comparisons and predicates
	precConcat
	precAdd
	precMul
	precUnary
	precPrimary
)

func binaryPrec(op string) int {
	switch op {
	case "OR":
		return precOr
	case "AND":
		return precAnd
	case "||":
		return precConcat
	case "+", "-":
		return precAdd
	case "*", "/", "%":
		return precMul
	}
	return precCmp
}

func exprPrec(e Expr) int {
	switch e := e.(type) {
	case *Binary:
		return binaryPrec(e.Op)
	case *Unary:
		if e.Op == "NOT" {
			return precNot
		}
		return precUnary
	case *IsExpr, *Between, *InList, *Like:
		return precCmp
	}
	return precPrimary
}

// expr writes e, in parentheses when it binds more loosely than min.
func (w *writer) expr(e Expr, min int) {
	if exprPrec(e) < min {
		w.WriteString("(")
		w.expr(e, 0)
		w.WriteString(")")
		return
	}
	switch e := e.(type) {
	case *Literal:
		w.literal(e)
	case *IntervalLit:
		w.WriteString("INTERVAL ")
		if e.Negative {
			w.WriteString("-")
		}
		w.WriteString(quoteString(e.Text) + " " + e.Unit)
		if e.Precision > 0 {
			w.WriteString("(" + strconv.Itoa(e.Precision) + ")")
		}
		if e.ToUnit != "" {
			w.WriteString(" TO " + e.ToUnit)
			if e.ToPrecision > 0 {
				w.WriteString("(" + strconv.Itoa(e.ToPrecision) + ")")
			}
		}
	case *DatetimeMinus:
		w.WriteString("(")
		w.expr(e.L, precAdd)
		w.WriteString(" - ")
		w.expr(e.R, precAdd+1)
		w.WriteString(") " + e.Unit)
		if e.Precision > 0 {
			w.WriteString("(" + strconv.Itoa(e.Precision) + ")")
		}
		if e.ToUnit != "" {
			w.WriteString(" TO " + e.ToUnit)
			if e.ToPrecision > 0 {
				w.WriteString("(" + strconv.Itoa(e.ToPrecision) + ")")
			}
		}
	case *Name:
		w.idents(e.Parts, ".")
	case *Star:
		for _, q := range e.Qualifier {
			w.ident(q)
			w.WriteString(".")
		}
		w.WriteString("*")
	case *Unary:
		if e.Op == "NOT" {
			w.WriteString("NOT ")
			w.expr(e.X, precNot)
			return
		}
		var xw writer
		xw.expr(e.X, precUnary)
		x := xw.String()
		w.WriteString(e.Op)
		if strings.HasPrefix(x, "-") || strings.HasPrefix(x, "+") {
			w.WriteString(" ")
		}
		w.WriteString(x)
	case *Binary:
		p := binaryPrec(e.Op)
		// left-associative: the right operand must bind tighter; the
		// comparisons chain left to right the same way
		w.expr(e.L, p)
		w.WriteString(" " + e.Op + " ")
		w.expr(e.R, p+1)
	case *IsExpr:
		w.expr(e.X, precCmp)
		w.WriteString(" IS ")
		if e.Not {
			w.WriteString("NOT ")
		}
		w.WriteString(e.What)
	case *Between:
		w.expr(e.X, precCmp)
		w.not(e.Not)
		w.WriteString(" BETWEEN ")
		if e.Symmetric {
			w.WriteString("SYMMETRIC ")
		}
		w.expr(e.Lo, precConcat)
		w.WriteString(" AND ")
		w.expr(e.Hi, precConcat)
	case *InList:
		w.expr(e.X, precCmp)
		w.not(e.Not)
		w.WriteString(" IN (")
		w.exprs(e.List)
		w.WriteString(")")
	case *Like:
		w.expr(e.X, precCmp)
		w.not(e.Not)
		if e.Similar {
			w.WriteString(" SIMILAR TO ")
		} else {
			w.WriteString(" LIKE ")
		}
		w.expr(e.Pattern, precConcat)
		if e.Escape != nil {
			w.WriteString(" ESCAPE ")
			w.expr(e.Escape, precConcat)
		}
	case *Case:
		w.WriteString("CASE")
		if e.Operand != nil {
			w.WriteString(" ")
			w.expr(e.Operand, 0)
		}
		for _, wh := range e.Whens {
			w.WriteString(" WHEN ")
			w.expr(wh.Cond, 0)
			w.WriteString(" THEN ")
			w.expr(wh.Result, 0)
		}
		if e.Else != nil {
			w.WriteString(" ELSE ")
			w.expr(e.Else, 0)
		}
		w.WriteString(" END")
	case *Cast:
		w.WriteString("CAST(")
		w.expr(e.X, 0)
		w.WriteString(" AS " + typeString(e.Type) + ")")
	case *Call:
		w.call(e)
	case *Cursor:
		w.WriteString("CURSOR(")
		w.query(e.Query)
		w.WriteString(")")
	}
}

func (w *writer) not(not bool) {
	if not {
		w.WriteString(" NOT")
	}
}

func (w *writer) literal(l *Literal) {
	v := l.Value
	switch {
	case v.K == sqltypes.Null:
		w.WriteString("NULL")
	case v.K == sqltypes.Boolean && v.Null:
		w.WriteString("UNKNOWN")
	case v.K == sqltypes.Boolean:
		w.WriteString(v.String())
	case v.K == sqltypes.Char || v.K == sqltypes.Varchar:
		w.WriteString(quoteString(v.S))
	case v.K == sqltypes.Binary || v.K == sqltypes.Varbinary:
		w.WriteString("X'" + strings.ToUpper(hexString([]byte(v.S))) + "'")
	case v.K == sqltypes.Date || v.K == sqltypes.Time || v.K == sqltypes.Timestamp:
		text := l.Text
		if text == "" {
			text = v.String()
		}
		w.WriteString(v.K.String() + " " + quoteString(text))
	default:
		if l.Text != "" {
			w.WriteString(l.Text)
		} else {
			w.WriteString(v.String())
		}
	}
}

func hexString(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

// stringArg returns the text of a string literal argument.
func stringArg(e Expr) (string, bool) {
	l, ok := e.(*Literal)
	if !ok || l.Value.K != sqltypes.Char || l.Value.Null {
		return "", false
	}
	return l.Value.S, true
}

// wordArg returns the text of a string literal that reads back as one
// unquoted word (a unit or a field name).
func wordArg(e Expr) (string, bool) {
	s, ok := stringArg(e)
	if !ok || !isPlainWordOrReserved(s) {
		return "", false
	}
	return s, true
}

func isPlainWordOrReserved(s string) bool {
	if s == "" || strings.ToUpper(s) != s {
		return false
	}
	for i, r := range s {
		if i == 0 && !isIdentStart(r) || i > 0 && !isIdentPart(r) {
			return false
		}
	}
	return true
}

// call writes a call, in its special form where the parser made it from
// one.
func (w *writer) call(c *Call) {
	name := FormatIdent(c.Name)
	if !c.Name.Quoted && (c.Name.Name == "FLOOR_TO" || c.Name.Name == "CEIL_TO") && len(c.Args) == 2 && !c.Distinct {
		if unit, ok := wordArg(c.Args[1]); ok {
			w.WriteString(strings.TrimSuffix(c.Name.Name, "_TO") + "(")
			w.expr(c.Args[0], 0)
			w.WriteString(" TO " + unit + ")")
			w.overClause(c.Over)
			return
		}
	}
	if !c.Name.Quoted && len(c.Args) == 0 && !c.Star && !c.Distinct && niladic[c.Name.Name] {
		w.WriteString(c.Name.Name)
		w.overClause(c.Over)
		return
	}
	w.WriteString(name + "(")
	if !c.Name.Quoted && !c.Distinct && w.specialArgs(c) {
		w.WriteString(")")
		w.overClause(c.Over)
		return
	}
	switch {
	case c.Star:
		w.WriteString("*")
	case c.Distinct:
		w.WriteString("DISTINCT ")
	}
	w.exprs(c.Args)
	w.WriteString(")")
	w.overClause(c.Over)
}

func (w *writer) overClause(o *WindowSpec) {
	if o != nil {
		w.WriteString(" OVER ")
		w.over(o)
	}
}

// specialArgs writes the arguments of SUBSTRING, POSITION, TRIM,
// OVERLAY, EXTRACT and STEP in their keyword forms (the name and the
// opening parenthesis are already written); false when the call is not of
// that shape.
func (w *writer) specialArgs(c *Call) bool {
	a := c.Args
	switch c.Name.Name {
	case "SUBSTRING":
		if len(a) < 2 || len(a) > 3 {
			return false
		}
		w.expr(a[0], 0)
		w.WriteString(" FROM ")
		w.expr(a[1], 0)
		if len(a) == 3 {
			w.WriteString(" FOR ")
			w.expr(a[2], 0)
		}
	case "POSITION":
		if len(a) != 2 {
			return false
		}
		w.expr(a[0], precConcat)
		w.WriteString(" IN ")
		w.expr(a[1], 0)
	case "TRIM":
		spec, ok := stringArg(firstOr(a))
		if len(a) != 3 || !ok || (spec != "BOTH" && spec != "LEADING" && spec != "TRAILING") {
			return false
		}
		w.WriteString(spec + " ")
		w.expr(a[1], 0)
		w.WriteString(" FROM ")
		w.expr(a[2], 0)
	case "OVERLAY":
		if len(a) < 3 || len(a) > 4 {
			return false
		}
		w.expr(a[0], 0)
		w.WriteString(" PLACING ")
		w.expr(a[1], 0)
		w.WriteString(" FROM ")
		w.expr(a[2], 0)
		if len(a) == 4 {
			w.WriteString(" FOR ")
			w.expr(a[3], 0)
		}
	case "EXTRACT":
		field, ok := wordArg(firstOr(a))
		if len(a) != 2 || !ok {
			return false
		}
		w.WriteString(field + " FROM ")
		w.expr(a[1], 0)
	case "STEP":
		if len(a) != 2 {
			return false
		}
		w.expr(a[0], 0)
		w.WriteString(" BY ")
		w.expr(a[1], 0)
	default:
		return false
	}
	return true
}

func firstOr(a []Expr) Expr {
	if len(a) == 0 {
		return nil
	}
	return a[0]
}
