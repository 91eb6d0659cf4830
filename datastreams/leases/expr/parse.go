package expr

import (
	"strconv"
	"strings"

	"github.com/shardcast/shardcast/datastreams/leases/attr"
)

// Expression kinds, as DynamoDB names them in messages.
const (
	KindCondition    = "ConditionExpression"
	KindFilter       = "FilterExpression"
	KindKeyCondition = "KeyConditionExpression"
	KindProjection   = "ProjectionExpression"
	KindUpdate       = "UpdateExpression"
)

// maxExpression is DynamoDB's bound on an expression's length in bytes.
const maxExpression = 4096

type parser struct {
	kind string
	src  string
	toks []token
	i    int
	ctx  *Context
}

func newParser(ctx *Context, kind, src string) (*parser, error) {
	if strings.TrimSpace(src) == "" {
		return nil, errorf("Invalid %s: The expression can not be empty;", kind)
	}
	if len(src) > maxExpression {
		return nil, errorf("Invalid %s: Expression size has exceeded the maximum allowed size; expression size: %d", kind, len(src))
	}
	toks, err := lex(kind, src)
	if err != nil {
		return nil, err
	}
	return &parser{kind: kind, src: src, toks: toks, ctx: ctx}, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *parser) fail() error {
	t := p.peek()
	return syntax(p.kind, p.src, t.pos, t.text)
}

// isOp reports whether the next token is the operator s.
func (p *parser) isOp(s string) bool {
	t := p.peek()
	return t.kind == tOp && t.text == s
}

// isKeyword reports whether the next token is the keyword s (any case).
func (p *parser) isKeyword(s string) bool {
	t := p.peek()
	return t.kind == tIdent && strings.EqualFold(t.text, s)
}

func (p *parser) expectOp(s string) error {
	if !p.isOp(s) {
		return p.fail()
	}
	p.i++
	return nil
}

func (p *parser) end() error {
	if p.peek().kind != tEOF {
		return p.fail()
	}
	return nil
}

func (p *parser) path() (Path, error) {
	var out Path
	first := true
	for {
		t := p.peek()
		if !first {
			switch {
			case p.isOp("."):
				p.i++
				t = p.peek()
			case p.isOp("["):
				p.i++
				n := p.next()
				if n.kind != tInt {
					p.i--
					return nil, p.fail()
				}
				idx, err := strconv.Atoi(n.text)
				if err != nil {
					return nil, errorf("Invalid %s: List index is out of range: %s", p.kind, n.text)
				}
				if err := p.expectOp("]"); err != nil {
					return nil, err
				}
				out = append(out, PathElem{Index: idx, IsIndex: true})
				continue
			default:
				return out, nil
			}
		}
		switch t.kind {
		case tIdent:
			out = append(out, PathElem{Name: t.text})
		case tName:
			n, err := p.ctx.name(t.text)
			if err != nil {
				return nil, err
			}
			out = append(out, PathElem{Name: n})
		default:
			return nil, p.fail()
		}
		p.i++
		first = false
	}
}

// Operand kinds.
const (
	OpPath = iota
	OpValue
	OpSize
	OpIfNotExists
	OpListAppend
	OpPlus
	OpMinus
)

// Operand is a value in an expression.
type Operand struct {
	Kind  int
	Path  Path
	Value attr.Value
	Args  []*Operand
}

// operand parses a path, a :value or size(path) (conditions), or in
// update SET values also if_not_exists and list_append.
func (p *parser) operand(update bool) (*Operand, error) {
	t := p.peek()
	switch t.kind {
	case tValue:
		p.i++
		v, err := p.ctx.value(t.text)
		if err != nil {
			return nil, err
		}
		return &Operand{Kind: OpValue, Value: v}, nil
	case tIdent:
		if p.toks[p.i+1].kind == tOp && p.toks[p.i+1].text == "(" {
			return p.function(update)
		}
		fallthrough
	case tName:
		path, err := p.path()
		if err != nil {
			return nil, err
		}
		return &Operand{Kind: OpPath, Path: path}, nil
	}
	return nil, p.fail()
}

func (p *parser) function(update bool) (*Operand, error) {
	t := p.next()
	p.i++ // (
	switch {
	case t.text == "size" && !update:
		path, err := p.path()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		return &Operand{Kind: OpSize, Path: path}, nil
	case t.text == "if_not_exists" && update:
		path, err := p.path()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(","); err != nil {
			return nil, err
		}
		v, err := p.operand(true)
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		return &Operand{Kind: OpIfNotExists, Path: path, Args: []*Operand{v}}, nil
	case t.text == "list_append" && update:
		a, err := p.operand(true)
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(","); err != nil {
			return nil, err
		}
		b, err := p.operand(true)
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		return &Operand{Kind: OpListAppend, Args: []*Operand{a, b}}, nil
	}
	return nil, errorf("Invalid %s: Invalid function name; function: %s", p.kind, t.text)
}

// Projection parses a ProjectionExpression.
func ParseProjection(ctx *Context, s string) ([]Path, error) {
	p, err := newParser(ctx, KindProjection, s)
	if err != nil {
		return nil, err
	}
	var out []Path
	for {
		path, err := p.path()
		if err != nil {
			return nil, err
		}
		out = append(out, path)
		if !p.isOp(",") {
			break
		}
		p.i++
	}
	return out, p.end()
}

// ProjectionFromNames is the legacy AttributesToGet as paths.
func ProjectionFromNames(names []string) []Path {
	out := make([]Path, len(names))
	for i, n := range names {
		out[i] = Path{{Name: n}}
	}
	return out
}
