package sqlparse

import "strings"

// MaxDepth bounds the nesting of expressions and queries, so that deeply
// nested input is an error rather than a stack overflow.
const MaxDepth = 200

// Parse reads application code: statements separated by semicolons (the
// last one optional), with -- and /* */ comments. Errors are *Error.
func Parse(code string) (*Script, error) { return parseScript(code, true) }

// parseScript is Parse, with the length limit optional (the printer may
// write code longer than what it read).
func parseScript(code string, limit bool) (*Script, error) {
	p, err := newParser(code, limit)
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
	p, err := newParser(code, true)
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
	p, err := newParser(code, true)
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

func newParser(code string, limit bool) (*parser, error) {
	toks, err := lex(code, limit)
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

// query reads select | query set-op [ALL|DISTINCT] query, with INTERSECT
// binding tighter than UNION and EXCEPT.
func (p *parser) query() (Query, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	left, paren, err := p.queryTerm()
	if err != nil {
		return nil, err
	}
	for p.isKw("UNION") || p.isKw("EXCEPT") {
		if left, err = p.setOp(left, paren, p.queryTerm); err != nil {
			return nil, err
		}
		paren = false
	}
	return left, nil
}

// setOp reads op [ALL|DISTINCT] right after left, and moves an ORDER BY
// written after right (not in parentheses) to the new union.
func (p *parser) setOp(left Query, leftParen bool, operand func() (Query, bool, error)) (Query, error) {
	op := p.next()
	if !leftParen && hasOrder(left) {
		return nil, Errorf(op.pos, "ORDER BY comes after the last query of a %s (or put the query in parentheses)", op.text)
	}
	all := p.setQuantifier()
	right, rightParen, err := operand()
	if err != nil {
		return nil, err
	}
	u := &Union{Pos: left.Position(), Op: op.text, Left: left, Right: right, All: all}
	if !rightParen {
		switch r := right.(type) {
		case *Select:
			u.OrderBy, u.Within, r.OrderBy, r.Within = r.OrderBy, r.Within, nil, nil
		case *Union:
			u.OrderBy, u.Within, r.OrderBy, r.Within = r.OrderBy, r.Within, nil, nil
		}
	}
	return u, nil
}

// hasOrder reports a query with its own ORDER BY.
func hasOrder(q Query) bool {
	switch q := q.(type) {
	case *Select:
		return len(q.OrderBy) > 0
	case *Union:
		return len(q.OrderBy) > 0
	}
	return false
}

func (p *parser) setQuantifier() bool {
	if p.acceptKw("ALL") {
		return true
	}
	p.acceptKw("DISTINCT")
	return false
}

// queryTerm reads primaries joined by INTERSECT; paren reports a single
// parenthesized primary.
func (p *parser) queryTerm() (Query, bool, error) {
	left, paren, err := p.queryPrimary()
	if err != nil {
		return nil, false, err
	}
	for p.isKw("INTERSECT") {
		if left, err = p.setOp(left, paren, p.queryPrimary); err != nil {
			return nil, false, err
		}
		paren = false
	}
	return left, paren, nil
}

func (p *parser) queryPrimary() (Query, bool, error) {
	switch {
	case p.isKw("SELECT"):
		s, err := p.selectQuery()
		return s, false, err
	case p.isKw("VALUES"):
		v, err := p.values()
		return v, false, err
	case p.isOp("("):
		p.next()
		q, err := p.query()
		if err != nil {
			return nil, false, err
		}
		return q, true, p.expectOp(")", " after the query")
	}
	return nil, false, p.errExpected("SELECT")
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
		if p.acceptKw("WITHIN") {
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
