package expr

import (
	"slices"
	"strings"

	"github.com/shardcast/shardcast/datastreams/leases/attr"
)

// Context holds one request's placeholders and records their use.
type Context struct {
	Names  map[string]string
	Values attr.Item
	usedN  map[string]bool
	usedV  map[string]bool
}

// NewContext returns a Context over a request's ExpressionAttributeNames
// and ExpressionAttributeValues (values already validated).
func NewContext(names map[string]string, values attr.Item) *Context {
	return &Context{Names: names, Values: values, usedN: map[string]bool{}, usedV: map[string]bool{}}
}

func (c *Context) name(tok string) (string, error) {
	n, ok := c.Names[tok]
	if !ok {
		return "", errorf("An expression attribute name used in the document path is not defined; attribute name: %s", tok)
	}
	c.usedN[tok] = true
	return n, nil
}

func (c *Context) value(tok string) (attr.Value, error) {
	v, ok := c.Values[tok]
	if !ok {
		return attr.Value{}, errorf("An expression attribute value used in expression is not defined; attribute value: %s", tok)
	}
	c.usedV[tok] = true
	return v, nil
}

// CheckUnused reports placeholders defined but used by no expression.
func (c *Context) CheckUnused() error {
	var un, uv []string
	for k := range c.Names {
		if !c.usedN[k] {
			un = append(un, k)
		}
	}
	for k := range c.Values {
		if !c.usedV[k] {
			uv = append(uv, k)
		}
	}
	slices.Sort(un)
	slices.Sort(uv)
	if len(un) > 0 {
		return errorf("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", strings.Join(un, ", "))
	}
	if len(uv) > 0 {
		return errorf("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", strings.Join(uv, ", "))
	}
	return nil
}
