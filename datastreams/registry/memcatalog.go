package registry

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/shardcast/shardcast/index"
)

// MemCatalog is a Catalog in memory, for servers started without a data
// directory and for tests. It keeps copies: what callers do with the
// definitions they put or load does not change it.
type MemCatalog struct {
	mu      sync.Mutex
	defs    map[string]map[string][]byte // kind -> name -> encoded definition
	secrets map[string][]byte
}

var _ Catalog = (*MemCatalog)(nil)

// NewMemCatalog returns an empty catalog.
func NewMemCatalog() *MemCatalog {
	return &MemCatalog{defs: map[string]map[string][]byte{}, secrets: map[string][]byte{}}
}

// Load returns every definition of a kind, by name.
func (c *MemCatalog) Load(ctx context.Context, kind string) ([]*index.Stream, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*index.Stream, 0, len(c.defs[kind]))
	for _, b := range c.defs[kind] {
		s := new(index.Stream)
		if err := json.Unmarshal(b, s); err != nil {
			return nil, fmt.Errorf("registry: decode definition: %w", err)
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *index.Stream) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Put stores a definition under the version rules of Catalog; a replace
// must also come from the same incarnation (ID).
func (c *MemCatalog) Put(ctx context.Context, s *index.Stream) error {
	if s.Kind == "" || s.Name == "" || s.Version < 1 {
		return fmt.Errorf("registry: definition of %s stream %q at version %d", s.Kind, s.Name, s.Version)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("registry: encode definition: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	byName := c.defs[s.Kind]
	if byName == nil {
		byName = map[string][]byte{}
		c.defs[s.Kind] = byName
	}
	prev, ok := byName[s.Name]
	switch {
	case !ok && s.Version != 1:
		return fmt.Errorf("%w: %s stream %q does not exist", ErrConflict, s.Kind, s.Name)
	case ok && s.Version == 1:
		return fmt.Errorf("%w: %s stream %q exists", ErrConflict, s.Kind, s.Name)
	case ok:
		var cur index.Stream
		if err := json.Unmarshal(prev, &cur); err != nil {
			return fmt.Errorf("registry: decode definition: %w", err)
		}
		if cur.ID != s.ID || cur.Version != s.Version-1 {
			return fmt.Errorf("%w: %s stream %q is at version %d of %s, the change was made to version %d of %s",
				ErrConflict, s.Kind, s.Name, cur.Version, cur.ID, s.Version-1, s.ID)
		}
	}
	byName[s.Name] = b
	return nil
}

// Delete removes the definition of kind/name.
func (c *MemCatalog) Delete(ctx context.Context, kind, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.defs[kind], name)
	return nil
}

// Secret returns the secret called name, made of size random bytes the
// first time.
func (c *MemCatalog) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	if size <= 0 {
		return nil, fmt.Errorf("registry: secret %q of %d bytes", name, size)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.secrets[name]; ok && len(b) == size {
		return slices.Clone(b), nil
	}
	b := make([]byte, size)
	rand.Read(b)
	c.secrets[name] = b
	return slices.Clone(b), nil
}
