package expr

import (
	"strings"

	"github.com/shardcast/shardcast/datastreams/leases/attr"
)

// Update is a parsed update expression.
type Update struct {
	Set    []SetAction
	Remove []Path
	Add    []SetAction // Val is a value operand
	Delete []SetAction // Val is a value operand
}

// SetAction is one "path = value" (or "path value" for ADD/DELETE).
type SetAction struct {
	Path Path
	Val  *Operand
}

// ParseUpdate parses an UpdateExpression.
func ParseUpdate(ctx *Context, s string) (*Update, error) {
	p, err := newParser(ctx, KindUpdate, s)
	if err != nil {
		return nil, err
	}
	u := &Update{}
	seen := map[string]bool{}
	for p.peek().kind != tEOF {
		t := p.peek()
		kw := strings.ToUpper(t.text)
		if t.kind != tIdent || (kw != "SET" && kw != "REMOVE" && kw != "ADD" && kw != "DELETE") {
			return nil, p.fail()
		}
		if seen[kw] {
			return nil, errorf("Invalid UpdateExpression: The %q section can only be used once in an update expression;", kw)
		}
		seen[kw] = true
		p.i++
		for {
			path, err := p.path()
			if err != nil {
				return nil, err
			}
			switch kw {
			case "SET":
				if err := p.expectOp("="); err != nil {
					return nil, err
				}
				v, err := p.setValue()
				if err != nil {
					return nil, err
				}
				u.Set = append(u.Set, SetAction{path, v})
			case "REMOVE":
				u.Remove = append(u.Remove, path)
			case "ADD", "DELETE":
				v, err := p.operand(true)
				if err != nil {
					return nil, err
				}
				if v.Kind != OpValue {
					return nil, errorf("Invalid UpdateExpression: Incorrect operand type for operator or function; operator: %s, operand type: %s", kw, operandType(v))
				}
				if kw == "ADD" {
					if t := v.Value.Type(); t != attr.TypeN && attr.ElemType(t) == "" {
						return nil, errorf("Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: %s", t)
					}
					u.Add = append(u.Add, SetAction{path, v})
				} else {
					if attr.ElemType(v.Value.Type()) == "" {
						return nil, errorf("Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: %s", v.Value.Type())
					}
					u.Delete = append(u.Delete, SetAction{path, v})
				}
			}
			if !p.isOp(",") {
				break
			}
			p.i++
		}
	}
	if err := u.checkOverlap(); err != nil {
		return nil, err
	}
	return u, nil
}

func (p *parser) setValue() (*Operand, error) {
	a, err := p.operand(true)
	if err != nil {
		return nil, err
	}
	for _, op := range []string{"+", "-"} {
		if p.isOp(op) {
			p.i++
			b, err := p.operand(true)
			if err != nil {
				return nil, err
			}
			k := OpPlus
			if op == "-" {
				k = OpMinus
			}
			return &Operand{Kind: k, Args: []*Operand{a, b}}, nil
		}
	}
	return a, nil
}

func (u *Update) paths() []Path {
	var ps []Path
	for _, a := range u.Set {
		ps = append(ps, a.Path)
	}
	ps = append(ps, u.Remove...)
	for _, a := range u.Add {
		ps = append(ps, a.Path)
	}
	for _, a := range u.Delete {
		ps = append(ps, a.Path)
	}
	return ps
}

func (u *Update) checkOverlap() error {
	ps := u.paths()
	for i := range ps {
		for j := i + 1; j < len(ps); j++ {
			if overlaps(ps[i], ps[j]) {
				return errorf("Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [%s], path two: [%s]", ps[i], ps[j])
			}
		}
	}
	return nil
}

// Tops lists the top-level attributes the update touches.
func (u *Update) Tops() []string {
	var out []string
	for _, p := range u.paths() {
		out = append(out, p.Top())
	}
	return out
}

// Apply applies the update to it (modified in place; pass a clone). All
// operands read the item as it was before the update.
func (u *Update) Apply(it attr.Item) error {
	orig := it.Clone()
	type write struct {
		p Path
		v attr.Value
	}
	var ws []write
	for _, a := range u.Set {
		v, err := a.Val.value(orig)
		if err != nil {
			return err
		}
		ws = append(ws, write{a.Path, v})
	}
	for _, a := range u.Add {
		cur, ok := a.Path.Get(orig)
		v, err := AddValues(cur, ok, a.Val.Value)
		if err != nil {
			return err
		}
		ws = append(ws, write{a.Path, v})
	}
	for _, w := range ws {
		if err := w.p.Set(it, w.v); err != nil {
			return err
		}
	}
	for _, a := range u.Delete {
		cur, ok := a.Path.Get(orig)
		if !ok {
			continue
		}
		v, err := DeleteFromSet(cur, a.Val.Value)
		if err != nil {
			return err
		}
		if v.IsZero() {
			a.Path.Remove(it)
		} else if err := a.Path.Set(it, v); err != nil {
			return err
		}
	}
	for _, p := range u.Remove {
		p.Remove(it)
	}
	return nil
}

var errOperandType = errorf("An operand in the update expression has an incorrect data type")

// value computes a SET value against the original item.
func (o *Operand) value(it attr.Item) (attr.Value, error) {
	switch o.Kind {
	case OpValue:
		return o.Value, nil
	case OpPath:
		v, ok := o.Path.Get(it)
		if !ok {
			return attr.Value{}, errorf("The provided expression refers to an attribute that does not exist in the item")
		}
		return v, nil
	case OpIfNotExists:
		if v, ok := o.Path.Get(it); ok {
			return v, nil
		}
		return o.Args[0].value(it)
	case OpListAppend:
		a, err := o.Args[0].value(it)
		if err != nil {
			return attr.Value{}, err
		}
		b, err := o.Args[1].value(it)
		if err != nil {
			return attr.Value{}, err
		}
		if a.Type() != attr.TypeL || b.Type() != attr.TypeL {
			return attr.Value{}, errOperandType
		}
		return attr.L(append(append([]attr.Value{}, a.L...), b.L...)...), nil
	case OpPlus, OpMinus:
		a, err := o.Args[0].value(it)
		if err != nil {
			return attr.Value{}, err
		}
		b, err := o.Args[1].value(it)
		if err != nil {
			return attr.Value{}, err
		}
		x, ok1 := a.Num()
		y, ok2 := b.Num()
		if !ok1 || !ok2 {
			return attr.Value{}, errOperandType
		}
		if o.Kind == OpMinus {
			y = y.Negate()
		}
		r, err := x.Add(y)
		if err != nil {
			return attr.Value{}, errorf("%s", err.Error())
		}
		return attr.NumValue(r), nil
	}
	return attr.Value{}, errOperandType
}

// AddValues is ADD: number addition (missing = 0) or set union.
func AddValues(cur attr.Value, exists bool, v attr.Value) (attr.Value, error) {
	if !exists {
		return v, nil
	}
	if v.Type() == attr.TypeN {
		x, ok := cur.Num()
		if !ok {
			return attr.Value{}, errOperandType
		}
		y, _ := v.Num()
		r, err := x.Add(y)
		if err != nil {
			return attr.Value{}, errorf("%s", err.Error())
		}
		return attr.NumValue(r), nil
	}
	if cur.Type() != v.Type() || attr.ElemType(v.Type()) == "" {
		return attr.Value{}, errOperandType
	}
	ms := cur.SetMembers()
	for _, m := range v.SetMembers() {
		if !attr.ContainsMember(cur, m) {
			ms = append(ms, m)
		}
	}
	return attr.MakeSet(v.Type(), ms), nil
}

// DeleteFromSet is DELETE: set difference; the zero Value when empty.
func DeleteFromSet(cur, v attr.Value) (attr.Value, error) {
	if cur.Type() != v.Type() || attr.ElemType(v.Type()) == "" {
		return attr.Value{}, errOperandType
	}
	var ms []attr.Value
	for _, m := range cur.SetMembers() {
		if !attr.ContainsMember(v, m) {
			ms = append(ms, m)
		}
	}
	return attr.MakeSet(v.Type(), ms), nil
}
