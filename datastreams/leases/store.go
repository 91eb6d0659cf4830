package leases

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
)

// ErrConflict is a Store's answer to a write whose expected revision is
// not the current one: the engine re-reads and evaluates again.
var ErrConflict = errors.New("leases: revision conflict")

// Store keeps table definitions and items as bytes with revisions, so the
// engine's conditional writes are compare-and-set and stay correct when
// several servers share one store. Revision 0 means "absent": a Put with
// expectRev 0 creates, a Get of a missing key answers (nil, 0, nil).
// Failures other than ErrConflict that a retry may cure (disk full, store
// unreachable) wrap ErrUnavailable.
type Store interface {
	// Tables lists the table names in ascending order.
	Tables(ctx context.Context) ([]string, error)
	// Table returns a table's definition and its revision.
	Table(ctx context.Context, name string) (def []byte, rev uint64, err error)
	// PutTable creates (expectRev 0) or replaces a definition.
	PutTable(ctx context.Context, name string, def []byte, expectRev uint64) (uint64, error)
	// DeleteTable removes a definition and every item of the table.
	DeleteTable(ctx context.Context, name string, expectRev uint64) error
	// Get returns an item by its encoded key.
	Get(ctx context.Context, table string, key []byte) (val []byte, rev uint64, err error)
	// Put creates (expectRev 0) or replaces an item; it is durable when
	// Put returns.
	Put(ctx context.Context, table string, key, val []byte, expectRev uint64) (uint64, error)
	// Delete removes an item whose revision is expectRev.
	Delete(ctx context.Context, table string, key []byte, expectRev uint64) error
	// List calls fn for the items whose key is greater than after (all
	// when after is nil) in ascending key order, until fn returns an
	// error, which List returns.
	List(ctx context.Context, table string, after []byte, fn func(key, val []byte) error) error
}

// MemStore is a Store in memory, for tests and for a server without a
// data directory.
type MemStore struct {
	mu     sync.Mutex
	rev    uint64
	tables map[string]memEntry
	items  map[string]map[string]memEntry
}

type memEntry struct {
	val []byte
	rev uint64
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{tables: map[string]memEntry{}, items: map[string]map[string]memEntry{}}
}

var _ Store = (*MemStore)(nil)

func (m *MemStore) Tables(ctx context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.tables))
	for k := range m.tables {
		out = append(out, k)
	}
	slices.Sort(out)
	return out, nil
}

func (m *MemStore) Table(ctx context.Context, name string) ([]byte, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.tables[name]
	return bytes.Clone(e.val), e.rev, nil
}

func (m *MemStore) PutTable(ctx context.Context, name string, def []byte, expectRev uint64) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tables[name].rev != expectRev {
		return 0, ErrConflict
	}
	m.rev++
	m.tables[name] = memEntry{bytes.Clone(def), m.rev}
	if m.items[name] == nil {
		m.items[name] = map[string]memEntry{}
	}
	return m.rev, nil
}

func (m *MemStore) DeleteTable(ctx context.Context, name string, expectRev uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tables[name].rev != expectRev {
		return ErrConflict
	}
	delete(m.tables, name)
	delete(m.items, name)
	return nil
}

func (m *MemStore) Get(ctx context.Context, table string, key []byte) ([]byte, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.items[table][string(key)]
	return bytes.Clone(e.val), e.rev, nil
}

func (m *MemStore) Put(ctx context.Context, table string, key, val []byte, expectRev uint64) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.items[table]
	if t == nil {
		return 0, ErrResourceNotFound
	}
	if t[string(key)].rev != expectRev {
		return 0, ErrConflict
	}
	m.rev++
	t[string(key)] = memEntry{bytes.Clone(val), m.rev}
	return m.rev, nil
}

func (m *MemStore) Delete(ctx context.Context, table string, key []byte, expectRev uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.items[table]
	if t[string(key)].rev != expectRev {
		return ErrConflict
	}
	delete(t, string(key))
	return nil
}

func (m *MemStore) List(ctx context.Context, table string, after []byte, fn func(key, val []byte) error) error {
	m.mu.Lock()
	t := m.items[table]
	keys := make([]string, 0, len(t))
	for k := range t {
		if after == nil || k > string(after) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	vals := make([][]byte, len(keys))
	for i, k := range keys {
		vals[i] = t[k].val
	}
	m.mu.Unlock()
	for i, k := range keys {
		if err := fn([]byte(k), bytes.Clone(vals[i])); err != nil {
			return err
		}
	}
	return nil
}
