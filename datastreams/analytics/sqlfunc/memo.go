package sqlfunc

import (
	"regexp"
	"sync"
)

// memo keeps values computed from a text (a compiled pattern, a parsed
// column list or date format) by that text, so that a function evaluated
// once per row with a constant argument does that work once. It is
// bounded: when full it starts over. It is safe for concurrent use.
type memo[T any] struct {
	mu sync.Mutex
	m  map[string]T
}

const memoSize = 512

func newMemo[T any]() *memo[T] { return &memo[T]{m: make(map[string]T)} }

// get returns the value for key, computing it with make on a miss; errors
// are not kept.
func (c *memo[T]) get(key string, make func(string) (T, error)) (T, error) {
	c.mu.Lock()
	v, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := make(key)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if len(c.m) >= memoSize {
		clear(c.m)
	}
	c.m[key] = v
	c.mu.Unlock()
	return v, nil
}

// regexCache compiles Go regular expressions through a memo.
type regexCache struct{ m *memo[*regexp.Regexp] }

func newRegexCache() *regexCache { return &regexCache{m: newMemo[*regexp.Regexp]()} }

func (c *regexCache) get(src string) (*regexp.Regexp, error) { return c.m.get(src, regexp.Compile) }
