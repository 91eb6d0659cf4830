package sqlparse

import (
	"strings"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// expr reads an expression: OR is the loosest operator.
func (p *parser) expr() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	return p.or()
}

func (p *parser) or() (Expr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isKw("OR") {
		op := p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &Binary{Pos: l.Position(), Op: "OR", OpPos: op.pos, L: l, R: r}
	}
	return l, nil
}

func (p *parser) and() (Expr, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.isKw("AND") {
		op := p.next()
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = &Binary{Pos: l.Position(), Op: "AND", OpPos: op.pos, L: l, R: r}
	}
	return l, nil
}

func (p *parser) not() (Expr, error) {
	if p.isKw("NOT") {
		t := p.next()
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &Unary{Pos: t.pos, Op: "NOT", X: x}, nil
	}
	return p.predicate()
}

var comparisons = map[string]bool{"=": true, "<>": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true}

// predicate reads comparisons and the IS, BETWEEN, IN, LIKE and SIMILAR
// TO predicates, left to right.
func (p *parser) predicate() (Expr, error) {
	l, err := p.concat()
	if err != nil {
		return nil, err
	}
	for {
		t := p.tok()
		switch {
		case t.kind == tOp && comparisons[t.text]:
			p.next()
			r, err := p.concat()
			if err != nil {
				return nil, err
			}
			op := t.text
			if op == "!=" {
				op = "<>"
			}
			l = &Binary{Pos: l.Position(), Op: op, OpPos: t.pos, L: l, R: r}
		case p.isKw("IS"):
			p.next()
			is := &IsExpr{Pos: l.Position(), X: l}
			is.Not = p.acceptKw("NOT")
			w := p.tok()
			if w.kind != tWord || (w.text != "NULL" && w.text != "TRUE" && w.text != "FALSE" && w.text != "UNKNOWN") {
				return nil, p.errExpected("NULL, TRUE, FALSE or UNKNOWN after IS")
			}
			p.next()
			is.What = w.text
			l = is
		case p.isKw("NOT") && (p.isKwAt(1, "BETWEEN") || p.isKwAt(1, "IN") || p.isKwAt(1, "LIKE") || p.isKwAt(1, "SIMILAR")):
			p.next()
			if l, err = p.postfixPredicate(l, true); err != nil {
				return nil, err
			}
		case p.isKw("BETWEEN") || p.isKw("IN") || p.isKw("LIKE") || p.isKw("SIMILAR"):
			if l, err = p.postfixPredicate(l, false); err != nil {
				return nil, err
			}
		default:
			return l, nil
		}
	}
}

func (p *parser) postfixPredicate(x Expr, not bool) (Expr, error) {
	t := p.next()
	switch t.text {
	case "BETWEEN":
		b := &Between{Pos: x.Position(), X: x, Not: not}
		if p.acceptKw("SYMMETRIC") {
			b.Symmetric = true
		} else {
			p.acceptKw("ASYMMETRIC")
		}
		var err error
		if b.Lo, err = p.concat(); err != nil {
			return nil, err
		}
		if err := p.expectKw("AND", " in BETWEEN"); err != nil {
			return nil, err
		}
		b.Hi, err = p.concat()
		return b, err
	case "IN":
		in := &InList{Pos: x.Position(), X: x, Not: not}
		if err := p.expectOp("(", " after IN"); err != nil {
			return nil, err
		}
		if p.isKw("SELECT") {
			return nil, Errorf(p.tok().pos, "IN (SELECT ...) is not supported: use a join")
		}
		var err error
		if in.List, err = p.exprList(); err != nil {
			return nil, err
		}
		return in, p.expectOp(")", " or , in the IN list")
	}
	lk := &Like{Pos: x.Position(), X: x, Not: not}
	if t.text == "SIMILAR" {
		if err := p.expectKw("TO", " after SIMILAR"); err != nil {
			return nil, err
		}
		lk.Similar = true
	}
	var err error
	if lk.Pattern, err = p.concat(); err != nil {
		return nil, err
	}
	if p.acceptKw("ESCAPE") {
		if lk.Escape, err = p.concat(); err != nil {
			return nil, err
		}
	}
	return lk, nil
}

func (p *parser) concat() (Expr, error) {
	l, err := p.additive()
	if err != nil {
		return nil, err
	}
	for p.isOp("||") {
		op := p.next()
		r, err := p.additive()
		if err != nil {
			return nil, err
		}
		l = &Binary{Pos: l.Position(), Op: "||", OpPos: op.pos, L: l, R: r}
	}
	return l, nil
}

func (p *parser) additive() (Expr, error) {
	l, err := p.multiplicative()
	if err != nil {
		return nil, err
	}
	for p.isOp("+") || p.isOp("-") {
		op := p.next()
		r, err := p.multiplicative()
		if err != nil {
			return nil, err
		}
		l = &Binary{Pos: l.Position(), Op: op.text, OpPos: op.pos, L: l, R: r}
	}
	return l, nil
}

func (p *parser) multiplicative() (Expr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isOp("*") || p.isOp("/") || p.isOp("%") {
		op := p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &Binary{Pos: l.Position(), Op: op.text, OpPos: op.pos, L: l, R: r}
	}
	return l, nil
}

func (p *parser) unary() (Expr, error) {
	if p.isOp("-") || p.isOp("+") {
		t := p.next()
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Unary{Pos: t.pos, Op: t.text, X: x}, nil
	}
	return p.primary()
}

// niladic are the functions called without parentheses.
var niladic = map[string]bool{"CURRENT_ROW_TIMESTAMP": true, "CURRENT_TIMESTAMP": true, "LOCALTIMESTAMP": true,
	"CURRENT_DATE": true, "CURRENT_TIME": true, "LOCALTIME": true}

// primary reads a literal, a name, a call, CASE, CAST, CURSOR or a
// parenthesized expression.
func (p *parser) primary() (Expr, error) {
	t := p.tok()
	switch t.kind {
	case tNumber:
		p.next()
		return numberLiteral(t)
	case tString:
		p.next()
		return strLit(t.pos, t.text), nil
	case tUnicode:
		p.next()
		return p.unicodeString(t)
	case tBinary:
		p.next()
		b := make([]byte, len(t.text)/2)
		for i := range b {
			b[i] = hexVal(t.text[2*i])<<4 | hexVal(t.text[2*i+1])
		}
		return &Literal{Pos: t.pos, Value: sqltypes.Bytes(b), Type: sqltypes.Type{Kind: sqltypes.Varbinary, Len: len(b)}}, nil
	case tQuoted:
		return p.nameOrCall()
	case tOp:
		if t.text == "(" {
			p.next()
			if p.isKw("SELECT") || p.isKw("VALUES") {
				return nil, Errorf(p.tok().pos, "a subquery is not supported as an expression")
			}
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			if err := p.expectOp(")", " to close ("); err != nil {
				return nil, err
			}
			if b, ok := e.(*Binary); ok && b.Op == "-" && p.tok().kind == tWord && unitIndex(p.tok().text) >= 0 {
				return p.datetimeMinus(t.pos, b)
			}
			return e, nil
		}
		return nil, p.errExpected("an expression")
	case tEOF:
		return nil, p.errExpected("an expression")
	}
	switch t.text {
	case "NULL":
		p.next()
		return &Literal{Pos: t.pos, Value: sqltypes.NullOf(sqltypes.Null)}, nil
	case "TRUE", "FALSE":
		p.next()
		return &Literal{Pos: t.pos, Value: sqltypes.Bool(t.text == "TRUE"), Type: sqltypes.Type{Kind: sqltypes.Boolean}}, nil
	case "UNKNOWN":
		p.next()
		return &Literal{Pos: t.pos, Value: sqltypes.NullOf(sqltypes.Boolean), Type: sqltypes.Type{Kind: sqltypes.Boolean}}, nil
	case "DATE", "TIME", "TIMESTAMP":
		return p.datetimeLiteral()
	case "INTERVAL":
		return p.interval()
	case "CASE":
		return p.caseExpr()
	case "CAST":
		return p.cast()
	case "CURSOR":
		p.next()
		if err := p.expectOp("(", " after CURSOR"); err != nil {
			return nil, err
		}
		q, err := p.query()
		if err != nil {
			return nil, err
		}
		return &Cursor{Pos: t.pos, Query: q}, p.expectOp(")", " after the CURSOR query")
	}
	if niladic[t.text] {
		p.next()
		if p.isOp("(") && p.peek(1).kind == tOp && p.peek(1).text == ")" {
			p.next()
			p.next()
		}
		return p.afterCall(&Call{Pos: t.pos, Name: Ident{Pos: t.pos, Name: t.text}})
	}
	if reserved[t.text] {
		return nil, p.errExpected("an expression")
	}
	return p.nameOrCall()
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// strLit is a string literal: CHAR of its length.
func strLit(pos Pos, s string) *Literal {
	return &Literal{Pos: pos, Value: sqltypes.Value{K: sqltypes.Char, S: s},
		Type: sqltypes.Type{Kind: sqltypes.Char, Len: len([]rune(s))}}
}

func (p *parser) caseExpr() (Expr, error) {
	c := &Case{Pos: p.next().pos}
	var err error
	if p.isKw("END") || p.isKw("ELSE") {
		return nil, p.errExpected("WHEN in CASE")
	}
	if !p.isKw("WHEN") {
		if c.Operand, err = p.expr(); err != nil {
			return nil, err
		}
	}
	for p.isKw("WHEN") {
		w := When{Pos: p.next().pos}
		if w.Cond, err = p.expr(); err != nil {
			return nil, err
		}
		if err := p.expectKw("THEN", " after the WHEN condition"); err != nil {
			return nil, err
		}
		if w.Result, err = p.expr(); err != nil {
			return nil, err
		}
		c.Whens = append(c.Whens, w)
	}
	if len(c.Whens) == 0 {
		return nil, p.errExpected("WHEN in CASE")
	}
	if p.acceptKw("ELSE") {
		if c.Else, err = p.expr(); err != nil {
			return nil, err
		}
	}
	return c, p.expectKw("END", " to close CASE")
}

func (p *parser) cast() (Expr, error) {
	c := &Cast{Pos: p.next().pos}
	if err := p.expectOp("(", " after CAST"); err != nil {
		return nil, err
	}
	var err error
	if c.X, err = p.expr(); err != nil {
		return nil, err
	}
	if err := p.expectKw("AS", " in CAST"); err != nil {
		return nil, err
	}
	if c.Type, err = p.typeName(); err != nil {
		return nil, err
	}
	return c, p.expectOp(")", " to close CAST")
}

// typeWords are the type names of more than one word.
var typeWords = map[string][]string{
	"DOUBLE": {"PRECISION"}, "CHARACTER": {"VARYING"}, "CHAR": {"VARYING"}, "BINARY": {"VARYING"},
}

// typeName reads a type as sqltypes.ParseType knows it: a name of one or
// two words, then (n) or (p, s).
func (p *parser) typeName() (sqltypes.Type, error) {
	t := p.tok()
	if t.kind != tWord {
		return sqltypes.Type{}, p.errExpected("a type name")
	}
	p.next()
	text := t.text
	for _, w := range typeWords[t.text] {
		if p.acceptKw(w) {
			text += " " + w
		}
	}
	if p.acceptOp("(") {
		var args []string
		for {
			n := p.tok()
			if n.kind != tNumber {
				return sqltypes.Type{}, p.errExpected("a number in the type's ( )")
			}
			p.next()
			args = append(args, n.text)
			if !p.acceptOp(",") {
				break
			}
		}
		if err := p.expectOp(")", " after the type's arguments"); err != nil {
			return sqltypes.Type{}, err
		}
		text += "(" + strings.Join(args, ",") + ")"
	}
	typ, err := sqltypes.ParseType(text)
	if err != nil {
		return sqltypes.Type{}, Errorf(t.pos, "%s", strings.TrimPrefix(err.Error(), "type "))
	}
	return typ, nil
}
