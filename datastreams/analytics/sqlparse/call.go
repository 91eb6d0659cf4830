package sqlparse

// nameOrCall reads a possibly qualified name, or a function call when
// the name is followed by (.
func (p *parser) nameOrCall() (Expr, error) {
	first, err := p.ident("a name")
	if err != nil {
		return nil, err
	}
	if p.isOp("(") {
		return p.call(first)
	}
	n := &Name{Pos: first.Pos, Parts: []Ident{first}}
	for p.acceptOp(".") {
		id, err := p.ident("a name after .")
		if err != nil {
			return nil, err
		}
		n.Parts = append(n.Parts, id)
	}
	return n, nil
}

// call reads the arguments of a function after its name, with the
// special forms of SUBSTRING, POSITION, TRIM, OVERLAY, EXTRACT, FLOOR,
// CEIL and STEP.
func (p *parser) call(name Ident) (Expr, error) {
	p.next() // (
	c := &Call{Pos: name.Pos, Name: name}
	kw := ""
	if !name.Quoted {
		kw = name.Name
		if kw == "CEILING" {
			c.Name.Name = "CEIL"
			kw = "CEIL"
		}
	}
	var err error
	switch kw {
	case "TRIM":
		err = p.trimArgs(c)
	case "EXTRACT":
		err = p.extractArgs(c)
	case "POSITION":
		err = p.positionArgs(c)
	default:
		err = p.genericArgs(c, kw)
	}
	if err != nil {
		return nil, err
	}
	if err := p.expectOp(")", " or , after the arguments of "+identText(name)); err != nil {
		return nil, err
	}
	return p.afterCall(c)
}

func (p *parser) afterCall(c *Call) (Expr, error) {
	if p.acceptKw("OVER") {
		var err error
		if c.Over, err = p.over(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (p *parser) genericArgs(c *Call, kw string) error {
	if p.isOp(")") {
		return nil
	}
	if p.isOp("*") && p.peek(1).kind == tOp && p.peek(1).text == ")" {
		p.next()
		c.Star = true
		return nil
	}
	if p.acceptKw("DISTINCT") {
		c.Distinct = true
	} else {
		p.acceptKw("ALL")
	}
	first, err := p.expr()
	if err != nil {
		return err
	}
	c.Args = []Expr{first}
	switch {
	case kw == "SUBSTRING" && p.acceptKw("FROM"):
		return p.moreArgs(c, "FOR", "")
	case kw == "OVERLAY" && p.acceptKw("PLACING"):
		r, err := p.expr()
		if err != nil {
			return err
		}
		c.Args = append(c.Args, r)
		if err := p.expectKw("FROM", " after OVERLAY(s PLACING r"); err != nil {
			return err
		}
		return p.moreArgs(c, "FOR", "")
	case (kw == "FLOOR" || kw == "CEIL") && p.isKw("TO"):
		p.next()
		u := p.tok()
		if u.kind != tWord {
			return p.errExpected("a time unit after TO")
		}
		p.next()
		c.Name.Name = kw + "_TO"
		c.Args = append(c.Args, strLit(u.pos, u.text))
		return nil
	case kw == "STEP" && p.acceptKw("BY"):
		y, err := p.expr()
		if err != nil {
			return err
		}
		c.Args = append(c.Args, y)
		return nil
	}
	for p.acceptOp(",") {
		e, err := p.expr()
		if err != nil {
			return err
		}
		c.Args = append(c.Args, e)
	}
	return nil
}

// moreArgs reads the argument after FROM, then an optional one after
// the keyword opt.
func (p *parser) moreArgs(c *Call, opt, _ string) error {
	a, err := p.expr()
	if err != nil {
		return err
	}
	c.Args = append(c.Args, a)
	if p.acceptKw(opt) {
		b, err := p.expr()
		if err != nil {
			return err
		}
		c.Args = append(c.Args, b)
	}
	return nil
}

// trimArgs reads TRIM([BOTH|LEADING|TRAILING] [chars] FROM s), TRIM(s)
// or TRIM(a, b, c).
func (p *parser) trimArgs(c *Call) error {
	t := p.tok()
	spec := "BOTH"
	specPos := t.pos
	explicit := false
	if t.kind == tWord && (t.text == "BOTH" || t.text == "LEADING" || t.text == "TRAILING") {
		p.next()
		spec, explicit = t.text, true
	}
	var chars Expr
	if !(explicit && p.isKw("FROM")) {
		e, err := p.expr()
		if err != nil {
			return err
		}
		if !explicit && !p.isKw("FROM") {
			c.Args = []Expr{e}
			if p.isOp(",") {
				for p.acceptOp(",") {
					a, err := p.expr()
					if err != nil {
						return err
					}
					c.Args = append(c.Args, a)
				}
				return nil
			}
			c.Args = []Expr{strLit(specPos, spec), strLit(e.Position(), " "), e}
			return nil
		}
		chars = e
	}
	fromTok := p.tok()
	if err := p.expectKw("FROM", " in TRIM"); err != nil {
		return err
	}
	if chars == nil {
		chars = strLit(fromTok.pos, " ")
	}
	s, err := p.expr()
	if err != nil {
		return err
	}
	c.Args = []Expr{strLit(specPos, spec), chars, s}
	return nil
}

// extractArgs reads EXTRACT(field FROM x) or EXTRACT(a, b).
func (p *parser) extractArgs(c *Call) error {
	t := p.tok()
	if t.kind == tWord && p.isKwAt(1, "FROM") {
		p.next()
		p.next()
		x, err := p.expr()
		if err != nil {
			return err
		}
		c.Args = []Expr{strLit(t.pos, t.text), x}
		return nil
	}
	return p.genericArgs(c, "EXTRACT")
}

// positionArgs reads POSITION(a IN b) or POSITION(a, b [, start]).
func (p *parser) positionArgs(c *Call) error {
	a, err := p.concat()
	if err != nil {
		return err
	}
	c.Args = []Expr{a}
	if p.acceptKw("IN") {
		b, err := p.expr()
		if err != nil {
			return err
		}
		c.Args = append(c.Args, b)
		return nil
	}
	for p.acceptOp(",") {
		e, err := p.expr()
		if err != nil {
			return err
		}
		c.Args = append(c.Args, e)
	}
	return nil
}
