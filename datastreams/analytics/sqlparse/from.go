package sqlparse

import "strings"

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
