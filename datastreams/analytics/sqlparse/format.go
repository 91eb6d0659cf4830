package sqlparse

import (
	"strconv"
	"strings"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// String writes the script back as SQL, one statement a line, each ending
// with a semicolon. Parsing the result gives the same tree (positions
// aside).
func (s *Script) String() string {
	var b strings.Builder
	for _, st := range s.Statements {
		b.WriteString(Format(st))
		b.WriteString(";\n")
	}
	return b.String()
}

// Format writes a node (a statement, a query, a FROM item, a window or
// an expression) as SQL.
func Format(n Node) string {
	var w writer
	w.node(n)
	return w.String()
}

type writer struct{ strings.Builder }

// FormatIdent writes a name as SQL: quoted when it was quoted, or when it
// would not read back as the same unquoted name.
func FormatIdent(id Ident) string {
	if !id.Quoted && isPlainWord(id.Name) {
		return id.Name
	}
	return `"` + strings.ReplaceAll(id.Name, `"`, `""`) + `"`
}

// isPlainWord reports whether s reads back as one unquoted, unreserved
// word with the same spelling.
func isPlainWord(s string) bool {
	if s == "" || reserved[s] || strings.ToUpper(s) != s {
		return false
	}
	for i, r := range s {
		if i == 0 && !isIdentStart(r) || i > 0 && !isIdentPart(r) {
			return false
		}
	}
	return true
}

func (w *writer) ident(id Ident) { w.WriteString(FormatIdent(id)) }

func (w *writer) idents(ids []Ident, sep string) {
	for i, id := range ids {
		if i > 0 {
			w.WriteString(sep)
		}
		w.ident(id)
	}
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (w *writer) node(n Node) {
	switch n := n.(type) {
	case Statement:
		w.statement(n)
	case Query:
		w.query(n)
	case From:
		w.from(n)
	case *WindowSpec:
		w.windowSpec(n)
	case Expr:
		w.expr(n, 0)
	}
}

func (w *writer) statement(s Statement) {
	w.WriteString("CREATE ")
	switch s := s.(type) {
	case *CreateStream:
		if s.OrReplace {
			w.WriteString("OR REPLACE ")
		}
		w.WriteString("STREAM ")
		w.ident(s.Name)
		w.WriteString(" (")
		w.columnDefs(s.Columns)
		w.WriteString(")")
		w.description(s.Description)
	case *CreatePump:
		if s.OrReplace {
			w.WriteString("OR REPLACE ")
		}
		w.WriteString("PUMP ")
		w.ident(s.Name)
		w.description(s.Description)
		w.WriteString(" AS INSERT INTO ")
		w.ident(s.Target)
		if len(s.Columns) > 0 {
			w.WriteString(" (")
			w.idents(s.Columns, ", ")
			w.WriteString(")")
		}
		w.WriteString(" ")
		w.query(s.Query)
	case *CreateView:
		if s.OrReplace {
			w.WriteString("OR REPLACE ")
		}
		w.WriteString("VIEW ")
		w.ident(s.Name)
		if len(s.Columns) > 0 {
			w.WriteString(" (")
			w.idents(s.Columns, ", ")
			w.WriteString(")")
		}
		w.description(s.Description)
		w.WriteString(" AS ")
		w.query(s.Query)
	case *CreateFunction:
		if s.OrReplace {
			w.WriteString("OR REPLACE ")
		}
		w.WriteString("FUNCTION ")
		w.ident(s.Name)
		w.WriteString("(")
		w.columnDefs(s.Params)
		w.WriteString(") RETURNS ")
		w.WriteString(typeString(s.Returns))
		for _, o := range s.Options {
			w.WriteString(" " + o)
		}
		w.WriteString(" RETURN ")
		w.expr(s.Body, 0)
	}
}

// typeString writes a type so that the parser reads it back: NOT NULL
// is the column's.
func typeString(t sqltypes.Type) string {
	t.NotNull = false
	s := t.String()
	if t.Kind == sqltypes.Char && t.Len == 0 || t.Kind == sqltypes.Binary && t.Len == 0 {
		return s + "(1)"
	}
	return s
}

func (w *writer) columnDefs(cols []ColumnDef) {
	for i, c := range cols {
		if i > 0 {
			w.WriteString(", ")
		}
		w.ident(c.Name)
		w.WriteString(" " + typeString(c.Type))
		if c.Type.NotNull {
			w.WriteString(" NOT NULL")
		}
	}
}

func (w *writer) description(d *string) {
	if d != nil {
		w.WriteString(" DESCRIPTION " + quoteString(*d))
	}
}

// setPrec is the binding strength of a set operator.
func setPrec(q Query) int {
	if u, ok := q.(*Union); ok {
		if u.Op == "INTERSECT" {
			return 2
		}
		return 1
	}
	return 3
}

func (w *writer) query(q Query) {
	switch q := q.(type) {
	case *Select:
		w.selectQuery(q)
	case *Values:
		w.WriteString("VALUES ")
		for i, row := range q.Rows {
			if i > 0 {
				w.WriteString(", ")
			}
			w.WriteString("(")
			w.exprs(row)
			w.WriteString(")")
		}
	case *Union:
		w.queryOperand(q.Left, setPrec(q.Left) < setPrec(q))
		w.WriteString(" " + q.Op + " ")
		if q.All {
			w.WriteString("ALL ")
		}
		w.queryOperand(q.Right, setPrec(q.Right) <= setPrec(q))
	}
}

func (w *writer) queryOperand(q Query, paren bool) {
	if paren {
		w.WriteString("(")
	}
	w.query(q)
	if paren {
		w.WriteString(")")
	}
}

func (w *writer) selectQuery(s *Select) {
	w.WriteString("SELECT ")
	if s.Stream {
		w.WriteString("STREAM ")
	}
	if s.Distinct {
		w.WriteString("DISTINCT ")
	} else if s.All {
		w.WriteString("ALL ")
	}
	for i, it := range s.Items {
		if i > 0 {
			w.WriteString(", ")
		}
		w.expr(it.Expr, 0)
		if it.Alias != nil {
			w.WriteString(" AS ")
			w.ident(*it.Alias)
		}
	}
	if s.From != nil {
		w.WriteString(" FROM ")
		w.from(s.From)
	}
	if s.Where != nil {
		w.WriteString(" WHERE ")
		w.expr(s.Where, 0)
	}
	if len(s.GroupBy) > 0 {
		w.WriteString(" GROUP BY ")
		w.exprs(s.GroupBy)
	}
	if s.Stagger != nil {
		w.WriteString(" WINDOWED BY STAGGER (PARTITION BY ")
		w.exprs(s.Stagger.PartitionBy)
		w.WriteString(" RANGE ")
		w.expr(s.Stagger.Range, precAdd)
		w.WriteString(")")
	}
	if s.Having != nil {
		w.WriteString(" HAVING ")
		w.expr(s.Having, 0)
	}
	for i, nw := range s.Windows {
		if i == 0 {
			w.WriteString(" WINDOW ")
		} else {
			w.WriteString(", ")
		}
		w.ident(nw.Name)
		w.WriteString(" AS ")
		w.windowSpec(nw.Spec)
	}
	if len(s.OrderBy) > 0 {
		w.WriteString(" ORDER BY ")
		w.orderItems(s.OrderBy)
		if s.Within != nil {
			w.WriteString(" WITHIN ")
			w.expr(s.Within, 0)
		}
	}
}

func (w *writer) orderItems(items []OrderItem) {
	for i, it := range items {
		if i > 0 {
			w.WriteString(", ")
		}
		w.expr(it.Expr, 0)
		if it.Desc {
			w.WriteString(" DESC")
		}
	}
}

func (w *writer) exprs(es []Expr) {
	for i, e := range es {
		if i > 0 {
			w.WriteString(", ")
		}
		w.expr(e, 0)
	}
}

func (w *writer) from(f From) {
	switch f := f.(type) {
	case *TableRef:
		w.idents(f.Name, ".")
		if f.Over != nil {
			w.WriteString(" OVER ")
			w.over(f.Over)
		}
		w.correlation(f.Alias, f.Columns)
	case *SubqueryRef:
		w.WriteString("(")
		w.query(f.Query)
		w.WriteString(")")
		w.correlation(f.Alias, f.Columns)
	case *TableFunc:
		w.WriteString("TABLE(")
		w.expr(f.Call, 0)
		w.WriteString(")")
		w.correlation(f.Alias, f.Columns)
	case *Join:
		w.from(f.Left)
		if f.Kind == CommaJoin {
			w.WriteString(", ")
		} else {
			w.WriteString(" ")
			if f.Natural {
				w.WriteString("NATURAL ")
			}
			w.WriteString(f.Kind.String() + " ")
		}
		if _, nested := f.Right.(*Join); nested {
			// the parser reads joins left to right; a join on the
			// right comes only from a hand-built tree
			w.WriteString("(")
			w.from(f.Right)
			w.WriteString(")")
		} else {
			w.from(f.Right)
		}
		if f.On != nil {
			w.WriteString(" ON ")
			w.expr(f.On, 0)
		}
		if len(f.Using) > 0 {
			w.WriteString(" USING (")
			w.idents(f.Using, ", ")
			w.WriteString(")")
		}
	}
}

func (w *writer) correlation(alias *Ident, cols []Ident) {
	if alias == nil {
		return
	}
	w.WriteString(" AS ")
	w.ident(*alias)
	if len(cols) > 0 {
		w.WriteString("(")
		w.idents(cols, ", ")
		w.WriteString(")")
	}
}

// over writes what follows OVER: a bare window name or a specification.
func (w *writer) over(s *WindowSpec) {
	if s.Base != nil && s.PartitionBy == nil && s.OrderBy == nil && s.Frame == nil {
		w.ident(*s.Base)
		return
	}
	w.windowSpec(s)
}

func (w *writer) windowSpec(s *WindowSpec) {
	w.WriteString("(")
	var parts []string
	if s.Base != nil {
		parts = append(parts, FormatIdent(*s.Base))
	}
	if len(s.PartitionBy) > 0 {
		var pw writer
		pw.exprs(s.PartitionBy)
		parts = append(parts, "PARTITION BY "+pw.String())
	}
	if len(s.OrderBy) > 0 {
		var ow writer
		ow.orderItems(s.OrderBy)
		parts = append(parts, "ORDER BY "+ow.String())
	}
	if s.Frame != nil {
		f := s.Frame.Unit.String() + " "
		if s.Frame.End != nil {
			f += "BETWEEN " + boundString(s.Frame.Start) + " AND " + boundString(*s.Frame.End)
		} else {
			f += boundString(s.Frame.Start)
		}
		parts = append(parts, f)
	}
	w.WriteString(strings.Join(parts, " "))
	w.WriteString(")")
}

func boundString(b FrameBound) string {
	switch b.Kind {
	case CurrentRow:
		return "CURRENT ROW"
	case UnboundedPreceding:
		return "UNBOUNDED PRECEDING"
	case UnboundedFollowing:
		return "UNBOUNDED FOLLOWING"
	}
	var w writer
	w.expr(b.Offset, precAdd)
	if b.Kind == Following {
		return w.String() + " FOLLOWING"
	}
	return w.String() + " PRECEDING"
}

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
		w.WriteString("X'" + strings.ToUpper(hexString(v.B)) + "'")
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
