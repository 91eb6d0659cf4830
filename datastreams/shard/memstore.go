package shard

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// MemStore is a Store in memory: servers started with --storage memory,
// and tests. A log's records outlive the MemLog that wrote them, so
// reopening a LogID finds them again, as reopening a durable store does;
// nothing outlives the process.
type MemStore struct {
	now func() time.Time

	mu   sync.Mutex
	logs map[LogID]*memEntry
}

type memEntry struct {
	d    *memData
	open *MemLog // the open log, nil when closed
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty store; now (nil: time.Now) stamps records.
func NewMemStore(now func() time.Time) *MemStore {
	return &MemStore{now: now, logs: map[LogID]*memEntry{}}
}

// Open opens the log id, creating it empty when it does not exist. A log
// is opened once at a time, as with the file store.
func (s *MemStore) Open(ctx context.Context, id LogID, o LogOptions) (Log, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if id.Stream == "" || id.Shard == "" {
		return nil, fmt.Errorf("shard: log id %q has an empty part", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.logs[id]
	if e == nil {
		e = &memEntry{d: newMemData(s.now, o.FirstSeq)}
		s.logs[id] = e
	}
	if e.open != nil && !e.open.isClosed() {
		return nil, fmt.Errorf("shard: log %s is already open", id)
	}
	e.open = &MemLog{d: e.d}
	return e.open, nil
}

// Logs lists the logs the store holds, sorted.
func (s *MemStore) Logs(ctx context.Context) ([]LogID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]LogID, 0, len(s.logs))
	for id := range s.logs {
		out = append(out, id)
	}
	slices.SortFunc(out, compareLogIDs)
	return out, nil
}

// Remove deletes a closed log and its records.
func (s *MemStore) Remove(ctx context.Context, id LogID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.logs[id]
	if e == nil {
		return nil
	}
	if e.open != nil && !e.open.isClosed() {
		return fmt.Errorf("shard: remove log %s: it is open", id)
	}
	delete(s.logs, id)
	return nil
}

// Close does nothing: the logs stay in memory, and a closed MemStore
// opens them again as a restarted durable store would.
func (s *MemStore) Close() error { return nil }

func compareLogIDs(a, b LogID) int {
	if a.Stream != b.Stream {
		if a.Stream < b.Stream {
			return -1
		}
		return 1
	}
	if a.Shard < b.Shard {
		return -1
	}
	if a.Shard > b.Shard {
		return 1
	}
	return 0
}
