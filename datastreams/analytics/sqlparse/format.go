package sqlparse

import (
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
		w.queryOperand(q.Left, setPrec(q.Left) < setPrec(q) || hasOrder(q.Left))
		w.WriteString(" " + q.Op + " ")
		if q.All {
			w.WriteString("ALL ")
		}
		w.queryOperand(q.Right, setPrec(q.Right) <= setPrec(q) || hasOrder(q.Right))
		w.orderBy(q.OrderBy, q.Within)
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
	w.orderBy(s.OrderBy, s.Within)
}

func (w *writer) orderBy(items []OrderItem, within Expr) {
	if len(items) > 0 {
		w.WriteString(" ORDER BY ")
		w.orderItems(items)
		if within != nil {
			w.WriteString(" WITHIN ")
			w.expr(within, 0)
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
