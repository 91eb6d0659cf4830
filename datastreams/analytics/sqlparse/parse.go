package sqlparse

import "strings"

// MaxDepth bounds the nesting of expressions and queries, so that deeply
// nested input is an error rather than a stack overflow.
const MaxDepth = 200

// Parse reads application code: statements separated by semicolons (the
// last one optional), with -- and /* */ comments. Errors are *Error.
func Parse(code string) (*Script, error) {
	p, err := newParser(code)
	if err != nil {
		return nil, err
	}
	s := &Script{}
	for {
		for p.isOp(";") {
			p.next()
		}
		if p.tok().kind == tEOF {
			return s, nil
		}
		st, err := p.statement()
		if err != nil {
			return nil, err
		}
		s.Statements = append(s.Statements, st)
		if !p.isOp(";") && p.tok().kind != tEOF {
			return nil, p.errExpected("; or end of input after the statement")
		}
	}
}

// ParseQuery reads one query (a SELECT, a set operation of SELECTs or
// VALUES), as the console ran them and as the SQL reference writes its
// examples; a trailing semicolon is allowed.
func ParseQuery(code string) (Query, error) {
	p, err := newParser(code)
	if err != nil {
		return nil, err
	}
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	if p.isOp(";") {
		p.next()
	}
	if p.tok().kind != tEOF {
		return nil, p.errExpected("end of the query")
	}
	return q, nil
}

// ParseExpr reads one expression.
func ParseExpr(code string) (Expr, error) {
	p, err := newParser(code)
	if err != nil {
		return nil, err
	}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.tok().kind != tEOF {
		return nil, p.errExpected("end of the expression")
	}
	return e, nil
}

type parser struct {
	toks  []token
	i     int
	depth int
}

func newParser(code string) (*parser, error) {
	toks, err := lex(code)
	if err != nil {
		return nil, err
	}
	return &parser{toks: toks}, nil
}

func (p *parser) tok() token { return p.toks[p.i] }

func (p *parser) peek(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

// isKw reports whether the current token is the unquoted word kw.
func (p *parser) isKw(kw string) bool {
	t := p.tok()
	return t.kind == tWord && t.text == kw
}

func (p *parser) isKwAt(n int, kw string) bool {
	t := p.peek(n)
	return t.kind == tWord && t.text == kw
}

func (p *parser) isOp(op string) bool {
	t := p.tok()
	return t.kind == tOp && t.text == op
}

// acceptKw consumes kw if it is next.
func (p *parser) acceptKw(kw string) bool {
	if p.isKw(kw) {
		p.next()
		return true
	}
	return false
}

func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.next()
		return true
	}
	return false
}

func (p *parser) errExpected(what string) *Error {
	t := p.tok()
	return Errorf(t.pos, "expected %s, found %s", what, t.describe())
}

func (p *parser) expectKw(kw, context string) error {
	if !p.acceptKw(kw) {
		return p.errExpected(kw + context)
	}
	return nil
}

func (p *parser) expectOp(op, context string) error {
	if !p.acceptOp(op) {
		return p.errExpected(op + context)
	}
	return nil
}

// enter counts one level of nesting; leave must follow.
func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return Errorf(p.tok().pos, "nested too deeply (more than %d levels)", MaxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// reserved are the words that cannot be unquoted names: they start or
// end clauses, or are operators and literals.
var reserved = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`ALL AND AS ASC BETWEEN BY CASE CAST CREATE CROSS CURRENT_DATE
		CURRENT_ROW_TIMESTAMP CURRENT_TIME CURRENT_TIMESTAMP CURSOR DATE DESC DISTINCT ELSE END ESCAPE
		EXCEPT EXISTS FALSE FOR FROM FULL GROUP HAVING IN INNER INSERT INTERSECT INTERVAL INTO IS JOIN
		LEFT LIKE LOCALTIME LOCALTIMESTAMP NATURAL NOT NULL ON OR ORDER OUTER OVER PARTITION RANGE
		RIGHT ROWS SELECT SIMILAR STREAM TABLE THEN TIME TIMESTAMP TO TRUE UNION UNKNOWN USING VALUES
		WHEN WHERE WINDOW WINDOWED WITHIN`) {
		m[w] = true
	}
	return m
}()

// IsReserved reports whether an upper-case word cannot be an unquoted
// name (the printer quotes such names).
func IsReserved(word string) bool { return reserved[word] }

// ident reads a name: an unreserved word or a quoted identifier.
func (p *parser) ident(what string) (Ident, error) {
	t := p.tok()
	switch {
	case t.kind == tQuoted:
		p.next()
		return Ident{Pos: t.pos, Name: t.text, Quoted: true}, nil
	case t.kind == tWord && !reserved[t.text]:
		p.next()
		return Ident{Pos: t.pos, Name: t.text}, nil
	}
	return Ident{}, p.errExpected(what)
}

func (p *parser) isIdent() bool {
	t := p.tok()
	return t.kind == tQuoted || (t.kind == tWord && !reserved[t.text])
}

// identList reads ( name, ... ).
func (p *parser) identList(what string) ([]Ident, error) {
	if err := p.expectOp("(", ""); err != nil {
		return nil, err
	}
	var out []Ident
	for {
		id, err := p.ident(what)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
		if !p.acceptOp(",") {
			break
		}
	}
	return out, p.expectOp(")", " after the "+what+"s")
}

func (p *parser) statement() (Statement, error) {
	start := p.tok()
	if !p.acceptKw("CREATE") {
		if p.isKw("SELECT") || p.isKw("INSERT") {
			return nil, Errorf(start.pos, "expected CREATE, found %s (a query runs inside a pump: CREATE PUMP name AS INSERT INTO stream SELECT STREAM ...)", start.describe())
		}
		return nil, p.errExpected("CREATE")
	}
	orReplace := false
	if p.acceptKw("OR") {
		if err := p.expectKw("REPLACE", " after CREATE OR"); err != nil {
			return nil, err
		}
		orReplace = true
	}
	switch {
	case p.acceptKw("STREAM"):
		return p.createStream(start.pos, orReplace)
	case p.acceptKw("PUMP"):
		return p.createPump(start.pos, orReplace)
	case p.acceptKw("VIEW"):
		return p.createView(start.pos, orReplace)
	case p.acceptKw("FUNCTION"):
		return p.createFunction(start.pos, orReplace)
	}
	return nil, p.errExpected("STREAM, PUMP, VIEW or FUNCTION after CREATE")
}

func (p *parser) description() (*string, error) {
	if !p.acceptKw("DESCRIPTION") {
		return nil, nil
	}
	t := p.tok()
	if t.kind != tString {
		return nil, p.errExpected("a string after DESCRIPTION")
	}
	p.next()
	s := t.text
	return &s, nil
}

func (p *parser) createStream(pos Pos, orReplace bool) (*CreateStream, error) {
	name, err := p.ident("a stream name after CREATE STREAM")
	if err != nil {
		return nil, err
	}
	cs := &CreateStream{Pos: pos, OrReplace: orReplace, Name: name}
	if err := p.expectOp("(", " and the column list after the stream name"); err != nil {
		return nil, err
	}
	for {
		c, err := p.columnDef()
		if err != nil {
			return nil, err
		}
		cs.Columns = append(cs.Columns, c)
		if !p.acceptOp(",") {
			break
		}
	}
	if err := p.expectOp(")", " or , in the column list"); err != nil {
		return nil, err
	}
	cs.Description, err = p.description()
	return cs, err
}

func (p *parser) columnDef() (ColumnDef, error) {
	name, err := p.ident("a column name")
	if err != nil {
		return ColumnDef{}, err
	}
	c := ColumnDef{Pos: name.Pos, Name: name, TypePos: p.tok().pos}
	if c.Type, err = p.typeName(); err != nil {
		return ColumnDef{}, err
	}
	if p.acceptKw("NOT") {
		if err := p.expectKw("NULL", " after NOT"); err != nil {
			return ColumnDef{}, err
		}
		c.Type.NotNull = true
	} else {
		p.acceptKw("NULL")
	}
	return c, nil
}

func (p *parser) createPump(pos Pos, orReplace bool) (*CreatePump, error) {
	name, err := p.ident("a pump name after CREATE PUMP")
	if err != nil {
		return nil, err
	}
	cp := &CreatePump{Pos: pos, OrReplace: orReplace, Name: name}
	if cp.Description, err = p.description(); err != nil {
		return nil, err
	}
	if err := p.expectKw("AS", " after the pump name"); err != nil {
		return nil, err
	}
	if err := p.expectKw("INSERT", " after CREATE PUMP name AS"); err != nil {
		return nil, err
	}
	if err := p.expectKw("INTO", " after INSERT"); err != nil {
		return nil, err
	}
	if cp.Target, err = p.ident("a stream name after INSERT INTO"); err != nil {
		return nil, err
	}
	if p.isOp("(") && !p.isKwAt(1, "SELECT") && !p.isKwAt(1, "VALUES") && !(p.peek(1).kind == tOp && p.peek(1).text == "(") {
		if cp.Columns, err = p.identList("column name"); err != nil {
			return nil, err
		}
	}
	if !p.isKw("SELECT") && !p.isKw("VALUES") && !p.isOp("(") {
		return nil, p.errExpected("SELECT after INSERT INTO " + identText(cp.Target))
	}
	cp.Query, err = p.query()
	return cp, err
}

func (p *parser) createView(pos Pos, orReplace bool) (*CreateView, error) {
	name, err := p.ident("a view name after CREATE VIEW")
	if err != nil {
		return nil, err
	}
	cv := &CreateView{Pos: pos, OrReplace: orReplace, Name: name}
	if p.isOp("(") {
		if cv.Columns, err = p.identList("column name"); err != nil {
			return nil, err
		}
	}
	if cv.Description, err = p.description(); err != nil {
		return nil, err
	}
	if err := p.expectKw("AS", " after the view name"); err != nil {
		return nil, err
	}
	cv.Query, err = p.query()
	return cv, err
}

func (p *parser) createFunction(pos Pos, orReplace bool) (*CreateFunction, error) {
	name, err := p.ident("a function name after CREATE FUNCTION")
	if err != nil {
		return nil, err
	}
	cf := &CreateFunction{Pos: pos, OrReplace: orReplace, Name: name}
	if err := p.expectOp("(", " after the function name"); err != nil {
		return nil, err
	}
	if !p.isOp(")") {
		for {
			c, err := p.columnDef()
			if err != nil {
				return nil, err
			}
			cf.Params = append(cf.Params, c)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if err := p.expectOp(")", " or , in the parameter list"); err != nil {
		return nil, err
	}
	if err := p.expectKw("RETURNS", " after the parameter list"); err != nil {
		return nil, err
	}
	if cf.Returns, err = p.typeName(); err != nil {
		return nil, err
	}
	for !p.isKw("RETURN") {
		opt, err := p.functionOption()
		if err != nil {
			return nil, err
		}
		cf.Options = append(cf.Options, opt)
	}
	p.next()
	cf.Body, err = p.expr()
	return cf, err
}

// functionOptions are the option clauses of CREATE FUNCTION, as word
// sequences.
var functionOptions = [][]string{
	{"LANGUAGE", "SQL"}, {"NOT", "DETERMINISTIC"}, {"DETERMINISTIC"}, {"CONTAINS", "SQL"},
	{"READS", "SQL", "DATA"}, {"MODIFIES", "SQL", "DATA"}, {"NO", "SQL"},
	{"RETURNS", "NULL", "ON", "NULL", "INPUT"}, {"CALLED", "ON", "NULL", "INPUT"},
}

func (p *parser) functionOption() (string, error) {
	if p.acceptKw("SPECIFIC") {
		id, err := p.ident("a name after SPECIFIC")
		if err != nil {
			return "", err
		}
		return "SPECIFIC " + identText(id), nil
	}
next:
	for _, words := range functionOptions {
		for i, w := range words {
			if !p.isKwAt(i, w) {
				continue next
			}
		}
		for range words {
			p.next()
		}
		return strings.Join(words, " "), nil
	}
	return "", p.errExpected("a function option or RETURN")
}

// query reads select | query set-op [ALL|DISTINCT] query, with INTERSECT
// binding tighter than UNION and EXCEPT.
func (p *parser) query() (Query, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	left, err := p.queryTerm()
	if err != nil {
		return nil, err
	}
	for p.isKw("UNION") || p.isKw("EXCEPT") {
		op := p.next()
		all := p.setQuantifier()
		right, err := p.queryTerm()
		if err != nil {
			return nil, err
		}
		left = &Union{Pos: left.Position(), Op: op.text, Left: left, Right: right, All: all}
	}
	return left, nil
}

func (p *parser) setQuantifier() bool {
	if p.acceptKw("ALL") {
		return true
	}
	p.acceptKw("DISTINCT")
	return false
}

func (p *parser) queryTerm() (Query, error) {
	left, err := p.queryPrimary()
	if err != nil {
		return nil, err
	}
	for p.isKw("INTERSECT") {
		op := p.next()
		all := p.setQuantifier()
		right, err := p.queryPrimary()
		if err != nil {
			return nil, err
		}
		left = &Union{Pos: left.Position(), Op: op.text, Left: left, Right: right, All: all}
	}
	return left, nil
}

func (p *parser) queryPrimary() (Query, error) {
	switch {
	case p.isKw("SELECT"):
		return p.selectQuery()
	case p.isKw("VALUES"):
		return p.values()
	case p.isOp("("):
		p.next()
		q, err := p.query()
		if err != nil {
			return nil, err
		}
		return q, p.expectOp(")", " after the query")
	}
	return nil, p.errExpected("SELECT")
}

func (p *parser) values() (*Values, error) {
	v := &Values{Pos: p.next().pos}
	for {
		p.acceptKw("ROW")
		if err := p.expectOp("(", " before a row of VALUES"); err != nil {
			return nil, err
		}
		row, err := p.exprList()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(")", " after a row of VALUES"); err != nil {
			return nil, err
		}
		v.Rows = append(v.Rows, row)
		if !p.acceptOp(",") {
			return v, nil
		}
	}
}

func (p *parser) exprList() ([]Expr, error) {
	var out []Expr
	for {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		if !p.acceptOp(",") {
			return out, nil
		}
	}
}

func (p *parser) selectQuery() (*Select, error) {
	s := &Select{Pos: p.next().pos}
	s.Stream = p.acceptKw("STREAM")
	if p.acceptKw("DISTINCT") {
		s.Distinct = true
	} else if p.acceptKw("ALL") {
		s.All = true
	}
	for {
		it, err := p.selectItem()
		if err != nil {
			return nil, err
		}
		s.Items = append(s.Items, it)
		if !p.acceptOp(",") {
			break
		}
	}
	if !p.acceptKw("FROM") {
		return nil, p.errExpected("FROM after SELECT list")
	}
	var err error
	if s.From, err = p.from(); err != nil {
		return nil, err
	}
	if p.acceptKw("WHERE") {
		if s.Where, err = p.expr(); err != nil {
			return nil, err
		}
	}
	if p.isKw("GROUP") {
		p.next()
		if err := p.expectKw("BY", " after GROUP"); err != nil {
			return nil, err
		}
		if s.GroupBy, err = p.exprList(); err != nil {
			return nil, err
		}
	}
	if p.isKw("WINDOWED") {
		if s.GroupBy != nil {
			return nil, Errorf(p.tok().pos, "WINDOWED BY replaces GROUP BY: a query cannot have both")
		}
		if s.Stagger, err = p.stagger(); err != nil {
			return nil, err
		}
	}
	if p.acceptKw("HAVING") {
		if s.Having, err = p.expr(); err != nil {
			return nil, err
		}
	}
	if p.acceptKw("WINDOW") {
		for {
			w, err := p.namedWindow()
			if err != nil {
				return nil, err
			}
			s.Windows = append(s.Windows, w)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.isKw("ORDER") {
		if s.OrderBy, err = p.orderBy(); err != nil {
			return nil, err
		}
		if p.isKw("WITHIN") {
			wp := p.next().pos
			if len(s.OrderBy) != 1 {
				return nil, Errorf(wp, "ORDER BY ... WITHIN takes exactly one expression")
			}
			if s.Within, err = p.expr(); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

func (p *parser) selectItem() (SelectItem, error) {
	t := p.tok()
	if p.acceptOp("*") {
		return SelectItem{Pos: t.pos, Expr: &Star{Pos: t.pos}}, nil
	}
	// qualifier.*
	if p.isIdent() {
		n := 0
		for (p.peek(n).kind == tWord || p.peek(n).kind == tQuoted) && p.peek(n+1).kind == tOp && p.peek(n+1).text == "." {
			if p.peek(n+2).kind == tOp && p.peek(n+2).text == "*" {
				st := &Star{Pos: t.pos}
				for i := 0; i <= n; i += 2 {
					id, err := p.ident("a name before .*")
					if err != nil {
						return SelectItem{}, err
					}
					st.Qualifier = append(st.Qualifier, id)
					p.next() // .
				}
				p.next() // *
				return SelectItem{Pos: t.pos, Expr: st}, nil
			}
			n += 2
		}
	}
	e, err := p.expr()
	if err != nil {
		return SelectItem{}, err
	}
	it := SelectItem{Pos: t.pos, Expr: e}
	if p.acceptKw("AS") {
		id, err := p.ident("a column alias after AS")
		if err != nil {
			return SelectItem{}, err
		}
		it.Alias = &id
	} else if p.isIdent() {
		id, _ := p.ident("")
		it.Alias = &id
	}
	return it, nil
}

func (p *parser) stagger() (*Stagger, error) {
	st := &Stagger{Pos: p.next().pos}
	if err := p.expectKw("BY", " after WINDOWED"); err != nil {
		return nil, err
	}
	if err := p.expectKw("STAGGER", " after WINDOWED BY"); err != nil {
		return nil, err
	}
	if err := p.expectOp("(", " after STAGGER"); err != nil {
		return nil, err
	}
	if err := p.expectKw("PARTITION", " in STAGGER ("); err != nil {
		return nil, err
	}
	if err := p.expectKw("BY", " after PARTITION"); err != nil {
		return nil, err
	}
	var err error
	if st.PartitionBy, err = p.exprList(); err != nil {
		return nil, err
	}
	if err := p.expectKw("RANGE", " after the STAGGER partition keys"); err != nil {
		return nil, err
	}
	if st.Range, err = p.additive(); err != nil {
		return nil, err
	}
	return st, p.expectOp(")", " to close STAGGER (")
}

func (p *parser) namedWindow() (NamedWindow, error) {
	name, err := p.ident("a window name after WINDOW")
	if err != nil {
		return NamedWindow{}, err
	}
	if err := p.expectKw("AS", " after the window name"); err != nil {
		return NamedWindow{}, err
	}
	spec, err := p.windowSpec()
	if err != nil {
		return NamedWindow{}, err
	}
	return NamedWindow{Pos: name.Pos, Name: name, Spec: spec}, nil
}

func (p *parser) orderBy() ([]OrderItem, error) {
	p.next()
	if err := p.expectKw("BY", " after ORDER"); err != nil {
		return nil, err
	}
	var out []OrderItem
	for {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		it := OrderItem{Pos: e.Position(), Expr: e}
		if p.acceptKw("DESC") {
			it.Desc = true
		} else {
			p.acceptKw("ASC")
		}
		out = append(out, it)
		if !p.acceptOp(",") {
			return out, nil
		}
	}
}

// over reads what follows OVER: a window name or a parenthesized spec.
func (p *parser) over() (*WindowSpec, error) {
	if p.isOp("(") {
		return p.windowSpec()
	}
	id, err := p.ident("a window name or ( after OVER")
	if err != nil {
		return nil, err
	}
	return &WindowSpec{Pos: id.Pos, Base: &id}, nil
}

// windowSpec reads ( [base] [PARTITION BY ...] [ORDER BY ...] [frame] ).
func (p *parser) windowSpec() (*WindowSpec, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	w := &WindowSpec{Pos: p.tok().pos}
	if err := p.expectOp("(", " to open a window specification"); err != nil {
		return nil, err
	}
	if p.isIdent() {
		id, _ := p.ident("")
		w.Base = &id
	}
	var err error
	if p.acceptKw("PARTITION") {
		if err := p.expectKw("BY", " after PARTITION"); err != nil {
			return nil, err
		}
		if w.PartitionBy, err = p.exprList(); err != nil {
			return nil, err
		}
	}
	if p.isKw("ORDER") {
		if w.OrderBy, err = p.orderBy(); err != nil {
			return nil, err
		}
	}
	if p.isKw("ROWS") || p.isKw("RANGE") {
		if w.Frame, err = p.frame(); err != nil {
			return nil, err
		}
	}
	if !p.acceptOp(")") {
		if w.Frame == nil {
			return nil, p.errExpected("PARTITION BY, ORDER BY, RANGE, ROWS or ) in the window specification")
		}
		return nil, p.errExpected(") to close the window specification")
	}
	return w, nil
}

func (p *parser) frame() (*Frame, error) {
	t := p.next()
	f := &Frame{Pos: t.pos, Unit: Rows}
	if t.text == "RANGE" {
		f.Unit = Range
	}
	if p.acceptKw("BETWEEN") {
		start, err := p.frameBound()
		if err != nil {
			return nil, err
		}
		if err := p.expectKw("AND", " between the window bounds"); err != nil {
			return nil, err
		}
		end, err := p.frameBound()
		if err != nil {
			return nil, err
		}
		f.Start, f.End = start, &end
		return f, nil
	}
	var err error
	f.Start, err = p.frameBound()
	return f, err
}

func (p *parser) frameBound() (FrameBound, error) {
	t := p.tok()
	b := FrameBound{Pos: t.pos}
	switch {
	case p.isKw("CURRENT"):
		p.next()
		if err := p.expectKw("ROW", " after CURRENT"); err != nil {
			return b, err
		}
		b.Kind = CurrentRow
		return b, nil
	case p.isKw("UNBOUNDED"):
		p.next()
		switch {
		case p.acceptKw("PRECEDING"):
			b.Kind = UnboundedPreceding
		case p.acceptKw("FOLLOWING"):
			b.Kind = UnboundedFollowing
		default:
			return b, p.errExpected("PRECEDING or FOLLOWING after UNBOUNDED")
		}
		return b, nil
	}
	e, err := p.additive()
	if err != nil {
		return b, err
	}
	b.Offset = e
	switch {
	case p.acceptKw("PRECEDING"):
		b.Kind = Preceding
	case p.acceptKw("FOLLOWING"):
		b.Kind = Following
	default:
		return b, p.errExpected("PRECEDING or FOLLOWING after the window size")
	}
	return b, nil
}

// from reads the FROM clause: table references joined by commas and
// JOINs, left to right.
func (p *parser) from() (From, error) {
	left, err := p.tableRef()
	if err != nil {
		return nil, err
	}
	for {
		jp := p.tok().pos
		if p.acceptOp(",") {
			right, err := p.tableRef()
			if err != nil {
				return nil, err
			}
			left = &Join{Pos: left.Position(), Kind: CommaJoin, Left: left, Right: right}
			continue
		}
		j := &Join{Pos: left.Position(), Left: left}
		if p.acceptKw("NATURAL") {
			j.Natural = true
		}
		switch {
		case p.acceptKw("CROSS"):
			j.Kind = CrossJoin
		case p.acceptKw("INNER"):
			j.Kind = InnerJoin
		case p.acceptKw("LEFT"):
			j.Kind = LeftJoin
			p.acceptKw("OUTER")
		case p.acceptKw("RIGHT"):
			j.Kind = RightJoin
			p.acceptKw("OUTER")
		case p.acceptKw("FULL"):
			j.Kind = FullJoin
			p.acceptKw("OUTER")
		case p.isKw("JOIN"):
			j.Kind = InnerJoin
		default:
			if j.Natural {
				return nil, p.errExpected("JOIN after NATURAL")
			}
			return left, nil
		}
		if err := p.expectKw("JOIN", ""); err != nil {
			return nil, err
		}
		if j.Kind == CrossJoin && j.Natural {
			return nil, Errorf(jp, "NATURAL CROSS JOIN is not a join")
		}
		if j.Right, err = p.tableRef(); err != nil {
			return nil, err
		}
		if j.Kind != CrossJoin && !j.Natural {
			if p.acceptKw("ON") {
				if j.On, err = p.expr(); err != nil {
					return nil, err
				}
			} else if p.isKw("USING") {
				p.next()
				if j.Using, err = p.identList("column name"); err != nil {
					return nil, err
				}
			}
		}
		left = j
	}
}

func (p *parser) tableRef() (From, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	t := p.tok()
	switch {
	case p.isKw("TABLE"):
		p.next()
		if err := p.expectOp("(", " after TABLE"); err != nil {
			return nil, err
		}
		e, err := p.primary()
		if err != nil {
			return nil, err
		}
		call, ok := e.(*Call)
		if !ok || call.Over != nil {
			return nil, Errorf(e.Position(), "TABLE( ) takes a table function call, such as TABLE(RANDOM_CUT_FOREST(CURSOR(SELECT STREAM ...)))")
		}
		if err := p.expectOp(")", " after the table function call"); err != nil {
			return nil, err
		}
		tf := &TableFunc{Pos: t.pos, Call: call}
		tf.Alias, tf.Columns, err = p.correlation()
		return tf, err
	case p.isOp("("):
		if !p.isKwAt(1, "SELECT") && !p.isKwAt(1, "VALUES") && !(p.peek(1).kind == tOp && p.peek(1).text == "(") {
			p.next()
			return nil, p.errExpected("SELECT after ( in FROM")
		}
		p.next()
		q, err := p.query()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(")", " after the subquery"); err != nil {
			return nil, err
		}
		sq := &SubqueryRef{Pos: t.pos, Query: q}
		sq.Alias, sq.Columns, err = p.correlation()
		return sq, err
	}
	tr := &TableRef{Pos: t.pos}
	for {
		id, err := p.ident("a stream or table name")
		if err != nil {
			return nil, err
		}
		tr.Name = append(tr.Name, id)
		if !p.acceptOp(".") {
			break
		}
	}
	var err error
	if p.acceptKw("OVER") {
		if tr.Over, err = p.over(); err != nil {
			return nil, err
		}
	}
	tr.Alias, tr.Columns, err = p.correlation()
	return tr, err
}

// correlation reads [AS] alias [(column, ...)].
func (p *parser) correlation() (*Ident, []Ident, error) {
	if p.acceptKw("AS") {
		if !p.isIdent() {
			return nil, nil, p.errExpected("an alias after AS")
		}
	} else if !p.isIdent() {
		return nil, nil, nil
	}
	id, _ := p.ident("")
	var cols []Ident
	if p.isOp("(") {
		var err error
		if cols, err = p.identList("column alias"); err != nil {
			return nil, nil, err
		}
	}
	return &id, cols, nil
}

func identText(id Ident) string {
	if id.Quoted {
		return `"` + strings.ReplaceAll(id.Name, `"`, `""`) + `"`
	}
	return id.Name
}
