package sqlparse

import "strings"

// statement reads one CREATE statement.
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
