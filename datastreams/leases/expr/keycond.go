package expr

import "github.com/shardcast/shardcast/datastreams/leases/attr"

// KeyCond is a parsed key condition: the hash key's equality and an
// optional range key condition.
type KeyCond struct {
	HashName  string
	HashValue attr.Value
	Range     *RangeCond
}

// RangeCond is the range key part: Op is =, <, <=, >, >=, BETWEEN or
// begins_with; Values holds one value (two for BETWEEN).
type RangeCond struct {
	Name   string
	Op     string
	Values []attr.Value
}

// Match reports whether a range key value satisfies the condition.
func (r *RangeCond) Match(v attr.Value) bool {
	switch r.Op {
	case "BETWEEN":
		return CompareValues(">=", v, r.Values[0]) && CompareValues("<=", v, r.Values[1])
	case "begins_with":
		return BeginsWith(v, r.Values[0])
	}
	return CompareValues(r.Op, v, r.Values[0])
}

// ParseKeyCondition parses a KeyConditionExpression for a key schema
// (hash name, range name or "").
func ParseKeyCondition(ctx *Context, s, hash, rng string) (*KeyCond, error) {
	c, err := ParseCondition(ctx, KindKeyCondition, s)
	if err != nil {
		return nil, err
	}
	var leaves []*Cond
	var walk func(*Cond) error
	walk = func(c *Cond) error {
		switch c.Op {
		case "AND":
			if err := walk(c.Sub[0]); err != nil {
				return err
			}
			return walk(c.Sub[1])
		case "OR", "NOT", "IN":
			return errorf("Invalid operator used in KeyConditionExpression: %s", c.Op)
		}
		leaves = append(leaves, c)
		return nil
	}
	if err := walk(c); err != nil {
		return nil, err
	}
	if len(leaves) > 2 {
		return nil, errorf("Conditions can be of length 1 or 2 only")
	}
	kc := &KeyCond{}
	for _, l := range leaves {
		name, op, vals, err := keyLeaf(l)
		if err != nil {
			return nil, err
		}
		switch name {
		case hash:
			if op != "=" {
				return nil, errorf("Query key condition not supported")
			}
			if kc.HashName != "" {
				return nil, errorf("KeyConditionExpressions must only contain one condition per key")
			}
			kc.HashName, kc.HashValue = name, vals[0]
		case rng:
			if rng == "" {
				return nil, errorf("Query condition missed key schema element: %s", hash)
			}
			if kc.Range != nil {
				return nil, errorf("KeyConditionExpressions must only contain one condition per key")
			}
			kc.Range = &RangeCond{Name: name, Op: op, Values: vals}
		default:
			return nil, errorf("Query condition missed key schema element: %s", hash)
		}
	}
	if kc.HashName == "" {
		return nil, errorf("Query condition missed key schema element: %s", hash)
	}
	return kc, nil
}

func keyLeaf(c *Cond) (name, op string, vals []attr.Value, err error) {
	bad := errorf("Invalid KeyConditionExpression: a key condition compares a key attribute with values")
	switch c.Op {
	case "CMP":
		l, r := c.Args[0], c.Args[1]
		op = c.Cmp
		if op == "<>" {
			return "", "", nil, errorf("Unsupported operator on KeyConditionExpression: operator: <>")
		}
		if l.Kind == OpValue && r.Kind == OpPath {
			l, r = r, l
			op = map[string]string{"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
		}
		if l.Kind != OpPath || r.Kind != OpValue || len(l.Path) != 1 {
			return "", "", nil, bad
		}
		return l.Path[0].Name, op, []attr.Value{r.Value}, nil
	case "BETWEEN":
		if c.Args[0].Kind != OpPath || len(c.Args[0].Path) != 1 || c.Args[1].Kind != OpValue || c.Args[2].Kind != OpValue {
			return "", "", nil, bad
		}
		if cmp, ok := attr.Compare(c.Args[1].Value, c.Args[2].Value); ok && cmp > 0 {
			return "", "", nil, errorf("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound")
		}
		return c.Args[0].Path[0].Name, "BETWEEN", []attr.Value{c.Args[1].Value, c.Args[2].Value}, nil
	case "FUNC":
		if c.Cmp != "begins_with" {
			return "", "", nil, errorf("Invalid operator used in KeyConditionExpression: %s", c.Cmp)
		}
		if len(c.Args[0].Path) != 1 || c.Args[1].Kind != OpValue {
			return "", "", nil, bad
		}
		return c.Args[0].Path[0].Name, "begins_with", []attr.Value{c.Args[1].Value}, nil
	}
	return "", "", nil, bad
}
