package sqlparse

// stagger reads WINDOWED BY STAGGER (PARTITION BY exprs RANGE interval).
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
