package expr

import (
	"bytes"
	"strings"

	"github.com/shardcast/shardcast/datastreams/leases/attr"
)

// Cond is a parsed condition (or filter) expression.
type Cond struct {
	Op   string // AND, OR, NOT, CMP, BETWEEN, IN, FUNC
	Cmp  string // comparator for CMP; function name for FUNC
	Sub  []*Cond
	Args []*Operand
}

var condFuncs = map[string]int{
	"attribute_exists":     1,
	"attribute_not_exists": 1,
	"attribute_type":       2,
	"begins_with":          2,
	"contains":             2,
}

// ParseCondition parses a condition or filter expression (kind is
// KindCondition or KindFilter, for messages).
func ParseCondition(ctx *Context, kind, s string) (*Cond, error) {
	p, err := newParser(ctx, kind, s)
	if err != nil {
		return nil, err
	}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	return c, p.end()
}

func (p *parser) or() (*Cond, error) {
	c, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("OR") {
		p.i++
		d, err := p.and()
		if err != nil {
			return nil, err
		}
		c = &Cond{Op: "OR", Sub: []*Cond{c, d}}
	}
	return c, nil
}

func (p *parser) and() (*Cond, error) {
	c, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("AND") {
		p.i++
		d, err := p.not()
		if err != nil {
			return nil, err
		}
		c = &Cond{Op: "AND", Sub: []*Cond{c, d}}
	}
	return c, nil
}

func (p *parser) not() (*Cond, error) {
	if p.isKeyword("NOT") {
		p.i++
		c, err := p.not()
		if err != nil {
			return nil, err
		}
		return &Cond{Op: "NOT", Sub: []*Cond{c}}, nil
	}
	return p.primary()
}

func (p *parser) primary() (*Cond, error) {
	if p.isOp("(") {
		p.i++
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		return c, p.expectOp(")")
	}
	t := p.peek()
	if n, ok := condFuncs[t.text]; ok && t.kind == tIdent && p.toks[p.i+1].kind == tOp && p.toks[p.i+1].text == "(" {
		p.i += 2
		c := &Cond{Op: "FUNC", Cmp: t.text}
		for a := 0; a < n; a++ {
			if a > 0 {
				if err := p.expectOp(","); err != nil {
					return nil, err
				}
			}
			o, err := p.operand(false)
			if err != nil {
				return nil, err
			}
			if a == 0 && o.Kind != OpPath {
				return nil, errorf("Invalid %s: Incorrect operand type for operator or function; operator or function: %s, operand type: %s", p.kind, t.text, operandType(o))
			}
			c.Args = append(c.Args, o)
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		if t.text == "attribute_type" {
			v := c.Args[1]
			if v.Kind != OpValue || v.Value.Type() != attr.TypeS || !validTypeName(*v.Value.S) {
				return nil, errorf("Invalid %s: Invalid attribute type name found; type: %s", p.kind, describe(v))
			}
		}
		return c, nil
	}
	l, err := p.operand(false)
	if err != nil {
		return nil, err
	}
	switch {
	case p.peek().kind == tOp && isComparator(p.peek().text):
		op := p.next().text
		r, err := p.operand(false)
		if err != nil {
			return nil, err
		}
		return &Cond{Op: "CMP", Cmp: op, Args: []*Operand{l, r}}, nil
	case p.isKeyword("BETWEEN"):
		p.i++
		lo, err := p.operand(false)
		if err != nil {
			return nil, err
		}
		if !p.isKeyword("AND") {
			return nil, p.fail()
		}
		p.i++
		hi, err := p.operand(false)
		if err != nil {
			return nil, err
		}
		return &Cond{Op: "BETWEEN", Args: []*Operand{l, lo, hi}}, nil
	case p.isKeyword("IN"):
		p.i++
		if err := p.expectOp("("); err != nil {
			return nil, err
		}
		args := []*Operand{l}
		for {
			o, err := p.operand(false)
			if err != nil {
				return nil, err
			}
			args = append(args, o)
			if !p.isOp(",") {
				break
			}
			p.i++
		}
		if len(args) > 101 {
			return nil, errorf("Invalid %s: The IN operator is provided with too many operands; number of operands: %d", p.kind, len(args)-1)
		}
		return &Cond{Op: "IN", Args: args}, p.expectOp(")")
	}
	if l.Kind == OpSize || p.peek().kind == tEOF {
		return nil, p.fail()
	}
	return nil, p.fail()
}

func isComparator(s string) bool {
	switch s {
	case "=", "<>", "<", "<=", ">", ">=":
		return true
	}
	return false
}

func validTypeName(s string) bool {
	switch s {
	case "S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M":
		return true
	}
	return false
}

func operandType(o *Operand) string {
	switch o.Kind {
	case OpValue:
		return o.Value.Type()
	case OpSize:
		return "N"
	}
	return "path"
}

func describe(o *Operand) string {
	if o.Kind == OpValue && o.Value.Type() == attr.TypeS {
		return *o.Value.S
	}
	return operandType(o)
}

// eval resolves a condition operand.
func (o *Operand) eval(it attr.Item) (attr.Value, bool) {
	switch o.Kind {
	case OpValue:
		return o.Value, true
	case OpPath:
		return o.Path.Get(it)
	case OpSize:
		v, ok := o.Path.Get(it)
		if !ok {
			return attr.Value{}, false
		}
		var n int
		switch v.Type() {
		case attr.TypeS:
			n = len(*v.S)
		case attr.TypeB:
			n = len(v.B)
		case attr.TypeSS, attr.TypeNS, attr.TypeBS:
			n = len(v.SetMembers())
		case attr.TypeL:
			n = len(v.L)
		case attr.TypeM:
			n = len(v.M)
		default:
			return attr.Value{}, false
		}
		return attr.Int(int64(n)), true
	}
	return attr.Value{}, false
}

// Eval evaluates the condition against an item (nil = no item).
func (c *Cond) Eval(it attr.Item) bool {
	switch c.Op {
	case "AND":
		return c.Sub[0].Eval(it) && c.Sub[1].Eval(it)
	case "OR":
		return c.Sub[0].Eval(it) || c.Sub[1].Eval(it)
	case "NOT":
		return !c.Sub[0].Eval(it)
	case "CMP":
		a, aok := c.Args[0].eval(it)
		b, bok := c.Args[1].eval(it)
		if !aok || !bok {
			// A missing operand equals nothing, not even another missing one.
			return c.Cmp == "<>"
		}
		return CompareValues(c.Cmp, a, b)
	case "BETWEEN":
		x, ok1 := c.Args[0].eval(it)
		lo, ok2 := c.Args[1].eval(it)
		hi, ok3 := c.Args[2].eval(it)
		return ok1 && ok2 && ok3 && CompareValues(">=", x, lo) && CompareValues("<=", x, hi)
	case "IN":
		x, ok := c.Args[0].eval(it)
		if !ok {
			return false
		}
		for _, o := range c.Args[1:] {
			if v, ok := o.eval(it); ok && attr.Equal(x, v) {
				return true
			}
		}
		return false
	case "FUNC":
		return c.evalFunc(it)
	}
	return false
}

func (c *Cond) evalFunc(it attr.Item) bool {
	v, ok := c.Args[0].eval(it)
	switch c.Cmp {
	case "attribute_exists":
		return ok
	case "attribute_not_exists":
		return !ok
	}
	if !ok {
		return false
	}
	arg, aok := c.Args[1].eval(it)
	if !aok {
		return false
	}
	switch c.Cmp {
	case "attribute_type":
		return arg.Type() == attr.TypeS && v.Type() == *arg.S
	case "begins_with":
		return BeginsWith(v, arg)
	case "contains":
		return Contains(v, arg)
	}
	return false
}

// CompareValues applies a comparator; a type mismatch is false except
// for <>.
func CompareValues(op string, a, b attr.Value) bool {
	switch op {
	case "=":
		return attr.Equal(a, b)
	case "<>":
		return !attr.Equal(a, b)
	}
	c, ok := attr.Compare(a, b)
	if !ok {
		return false
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

// BeginsWith is begins_with for S or B values of the same type.
func BeginsWith(v, prefix attr.Value) bool {
	switch {
	case v.Type() == attr.TypeS && prefix.Type() == attr.TypeS:
		return strings.HasPrefix(*v.S, *prefix.S)
	case v.Type() == attr.TypeB && prefix.Type() == attr.TypeB:
		return bytes.HasPrefix(v.B, prefix.B)
	}
	return false
}

// Contains is contains: substring, set member or list element.
func Contains(v, x attr.Value) bool {
	switch v.Type() {
	case attr.TypeS:
		return x.Type() == attr.TypeS && strings.Contains(*v.S, *x.S)
	case attr.TypeB:
		return x.Type() == attr.TypeB && bytes.Contains(v.B, x.B)
	case attr.TypeSS, attr.TypeNS, attr.TypeBS:
		return x.Type() == attr.ElemType(v.Type()) && attr.ContainsMember(v, x)
	case attr.TypeL:
		for _, e := range v.L {
			if attr.Equal(e, x) {
				return true
			}
		}
	}
	return false
}
