package registry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/index"
)

// Hooks are what a kind of stream adds to the registry. T is the kind's
// runtime of one stream: its open logs and whatever it keeps beside them.
type Hooks[T any] struct {
	// Open builds the runtime of a stream that was loaded or created,
	// opening its logs with Stream.OpenLog. On an error it closes what it
	// opened.
	Open func(ctx context.Context, s *Stream[T]) (T, error)
	// Close releases a runtime (closes its logs), at Delete and Close.
	Close func(s *Stream[T])
	// Retention, when set, is called for every stream at each retention
	// tick and by EnforceRetention.
	Retention func(ctx context.Context, s *Stream[T])
}

// Config configures a Registry.
type Config[T any] struct {
	Kind    string  // index.KindData, index.KindVideo, ...
	Catalog Catalog // where definitions are kept
	// Store holds the kind's durable shard logs. It belongs to this
	// registry: logs in it that no definition of Kind holds are removed at
	// Open, as what a crash left of a create or a delete.
	Store shard.Store
	// Memory, when set, holds logs opened with memory set (logs that must
	// never reach the disk); nil uses Store.
	Memory  shard.Store
	Keyring *envelope.Keyring
	Hooks   Hooks[T]
	// RetentionCheck is how often Hooks.Retention runs (default 1m).
	RetentionCheck time.Duration
	Now            func() time.Time
	Logger         *slog.Logger
}

// Registry keeps the streams of one kind: their definitions (persisted in
// the Catalog) and their runtimes, with lookup by name, ARN and id.
type Registry[T any] struct {
	cfg  Config[T]
	keys keyCache

	createMu sync.Mutex // serializes creates and the unlisting of deletes
	mu       sync.RWMutex
	byName   map[string]*Stream[T]
	byID     map[string]*Stream[T]
	byARN    map[string]*Stream[T]

	ctx      context.Context // of the retention loop; canceled by Close
	cancel   context.CancelFunc
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// Stream is one stream of a registry: its definition, published whole
// (never changed in place), and its runtime.
type Stream[T any] struct {
	r    *Registry[T]
	mu   sync.Mutex // serializes changes; guards gone
	gone bool
	def  atomic.Pointer[index.Stream]
	rt   T
}

// Open loads every definition of cfg.Kind from the catalog, removes the
// logs of streams that no definition holds, and opens each stream's runtime.
func Open[T any](ctx context.Context, cfg Config[T]) (*Registry[T], error) {
	if cfg.Catalog == nil || cfg.Store == nil {
		return nil, errors.New("registry: a catalog and a store are required")
	}
	if cfg.Keyring == nil {
		return nil, errors.New("registry: a keyring is required")
	}
	if cfg.Hooks.Open == nil || cfg.Hooks.Close == nil {
		return nil, errors.New("registry: the Open and Close hooks are required")
	}
	if cfg.RetentionCheck <= 0 {
		cfg.RetentionCheck = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Registry[T]{cfg: cfg, keys: keyCache{ring: cfg.Keyring, m: map[string][]byte{}},
		byName: map[string]*Stream[T]{}, byID: map[string]*Stream[T]{}, byARN: map[string]*Stream[T]{},
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	defs, err := cfg.Catalog.Load(ctx, cfg.Kind)
	if err != nil {
		return nil, fmt.Errorf("registry: load %s streams: %w", cfg.Kind, err)
	}
	ids := map[string]bool{}
	for _, d := range defs {
		ids[d.ID] = true
	}
	if err := r.removeOrphans(ctx, ids); err != nil {
		return nil, err
	}
	for _, d := range defs {
		s := &Stream[T]{r: r}
		s.def.Store(d)
		rt, err := cfg.Hooks.Open(ctx, s)
		if err != nil {
			r.cancel()
			r.closeAll()
			return nil, err
		}
		s.rt = rt
		r.list(s)
	}
	if cfg.Hooks.Retention != nil {
		r.wg.Add(1)
		go r.retentionLoop()
	}
	return r, nil
}

// removeOrphans removes the logs of streams that are not in ids: a create
// that failed before its definition was stored, or a delete that stopped
// after it.
func (r *Registry[T]) removeOrphans(ctx context.Context, ids map[string]bool) error {
	logs, err := r.cfg.Store.Logs(ctx)
	if err != nil {
		return fmt.Errorf("registry: list %s logs: %w", r.cfg.Kind, err)
	}
	for _, id := range logs {
		if ids[id.Stream] {
			continue
		}
		r.cfg.Logger.Warn("registry: removing the log of a stream that does not exist", "kind", r.cfg.Kind, "log", id.String())
		if err := r.cfg.Store.Remove(ctx, id); err != nil {
			return fmt.Errorf("registry: remove orphan log %s: %w", id, err)
		}
	}
	return nil
}

func (r *Registry[T]) list(s *Stream[T]) {
	d := s.Def()
	r.mu.Lock()
	r.byName[d.Name] = s
	r.byID[d.ID] = s
	if d.ARN != "" {
		r.byARN[d.ARN] = s
	}
	r.mu.Unlock()
}

func (r *Registry[T]) unlist(s *Stream[T]) {
	d := s.Def()
	r.mu.Lock()
	if r.byName[d.Name] == s {
		delete(r.byName, d.Name)
	}
	if r.byID[d.ID] == s {
		delete(r.byID, d.ID)
	}
	if r.byARN[d.ARN] == s {
		delete(r.byARN, d.ARN)
	}
	r.mu.Unlock()
}

// Get returns the stream called name, or nil.
func (r *Registry[T]) Get(name string) *Stream[T] {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byName[name]
}

// ByARN returns the stream whose definition holds exactly arn, or nil.
func (r *Registry[T]) ByARN(arn string) *Stream[T] {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byARN[arn]
}

// ByID returns the stream whose incarnation id is id, or nil.
func (r *Registry[T]) ByID(id string) *Stream[T] {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byID[id]
}

// All returns every stream, in name order.
func (r *Registry[T]) All() []*Stream[T] {
	r.mu.RLock()
	out := make([]*Stream[T], 0, len(r.byName))
	for _, s := range r.byName {
		out = append(out, s)
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Def().Name < out[j].Def().Name })
	return out
}

// newID returns a fresh stream id: every incarnation of a name has its own.
func newID() string {
	b := make([]byte, 10)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Create adds a stream: def gets a fresh ID and Version 1 and is stored in
// the catalog (the commit point), then its runtime is opened. admit, run
// while no other create or delete can run, may refuse the stream (account
// limits); it may call All. A name in use gives ErrExists.
func (r *Registry[T]) Create(ctx context.Context, def *index.Stream, admit func() error) (*Stream[T], error) {
	r.createMu.Lock()
	defer r.createMu.Unlock()
	if r.Get(def.Name) != nil {
		return nil, ErrExists
	}
	if admit != nil {
		if err := admit(); err != nil {
			return nil, err
		}
	}
	def.Kind = r.cfg.Kind
	def.ID = newID()
	def.Version = 1
	if err := r.cfg.Catalog.Put(ctx, def); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, ErrExists
		}
		return nil, fmt.Errorf("registry: create %s: %w", def.Name, err)
	}
	s := &Stream[T]{r: r}
	s.def.Store(def)
	rt, err := r.cfg.Hooks.Open(ctx, s)
	if err != nil {
		// Undo the create; what is left is removed at the next Open.
		if derr := r.cfg.Catalog.Delete(ctx, r.cfg.Kind, def.Name); derr != nil {
			r.cfg.Logger.Warn("registry: undo a failed create", "stream", def.Name, "err", derr)
		} else {
			r.removeLogs(ctx, def)
		}
		return nil, err
	}
	s.rt = rt
	r.list(s)
	return s, nil
}

// Delete removes a stream: under its lock, check (when set) may refuse
// (a stale version); then its runtime is closed, its definition deleted
// from the catalog (the commit point) and its logs removed. A delete that
// failed leaves the stream listed, closed, for a retry to finish.
func (r *Registry[T]) Delete(ctx context.Context, s *Stream[T], check func(def *index.Stream) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return ErrGone
	}
	def := s.Def()
	if check != nil {
		if err := check(def); err != nil {
			return err
		}
	}
	r.cfg.Hooks.Close(s)
	if err := r.cfg.Catalog.Delete(ctx, r.cfg.Kind, def.Name); err != nil {
		return fmt.Errorf("registry: delete %s: %w", def.Name, err)
	}
	s.gone = true
	r.createMu.Lock()
	r.unlist(s)
	r.createMu.Unlock()
	r.keys.forget(def.ID)
	r.removeLogs(ctx, def)
	return nil
}

// removeLogs removes every log of def from both stores; a failure is only
// logged (the next Open removes what is left).
func (r *Registry[T]) removeLogs(ctx context.Context, def *index.Stream) {
	for _, sh := range def.Shards {
		id := shard.LogID{Stream: def.ID, Shard: sh.ID}
		if err := r.cfg.Store.Remove(ctx, id); err != nil {
			r.cfg.Logger.Warn("registry: remove the log of a deleted stream (retried at the next start)", "log", id.String(), "err", err)
		}
		if r.cfg.Memory != nil {
			r.cfg.Memory.Remove(ctx, id)
		}
	}
}

// Def returns the stream's current definition; callers must not change it.
func (s *Stream[T]) Def() *index.Stream { return s.def.Load() }

// Runtime returns what the kind's Open hook built for the stream.
func (s *Stream[T]) Runtime() T { return s.rt }

// Update changes the stream's definition: fn changes a copy, which is
// stored in the catalog with the next version and then published. Updates
// of a stream are serialized. fn may refuse with an error, or return
// ErrUnchanged to keep the definition as it is. A deleted stream gives ErrGone.
func (s *Stream[T]) Update(ctx context.Context, fn func(def *index.Stream) error) (*index.Stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return nil, ErrGone
	}
	old := s.Def()
	def := old.Clone()
	if err := fn(def); errors.Is(err, ErrUnchanged) {
		return old, nil
	} else if err != nil {
		return nil, err
	}
	def.Version = old.Version + 1
	if err := s.r.cfg.Catalog.Put(ctx, def); err != nil {
		return nil, fmt.Errorf("registry: update %s: %w", def.Name, err)
	}
	s.def.Store(def)
	return def, nil
}

// Exclusive runs fn with the stream's current definition while no update
// or delete of the stream can run (to swap a log after an update). A
// deleted stream gives ErrGone.
func (s *Stream[T]) Exclusive(fn func(def *index.Stream) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return ErrGone
	}
	return fn(s.Def())
}

// OpenLog opens the stream's shard log shardID, sealed with the stream's
// data keys and set to seal appends with its current key version. memory
// opens it in the registry's memory store.
func (s *Stream[T]) OpenLog(ctx context.Context, shardID string, o shard.LogOptions, memory bool) (*shard.SealedLog, error) {
	r := s.r
	def := s.Def()
	id := shard.LogID{Stream: def.ID, Shard: shardID}
	keys := r.keys.source(def.ID, func() []index.DataKey { return s.Def().DataKeys })
	st := r.store(memory)
	l, err := st.Open(ctx, id, o)
	if err != nil {
		return nil, fmt.Errorf("registry: open log %s of stream %s: %w", shardID, def.Name, err)
	}
	sl := shard.Seal(l, keys, id.String())
	sl.SetKey(def.Encryption.KeyVersion)
	return sl, nil
}

// RemoveLog removes the stream's closed log shardID from the durable store
// or, with memory, from the memory store.
func (s *Stream[T]) RemoveLog(ctx context.Context, shardID string, memory bool) error {
	id := shard.LogID{Stream: s.Def().ID, Shard: shardID}
	if err := s.r.store(memory).Remove(ctx, id); err != nil {
		return fmt.Errorf("registry: remove log %s: %w", id, err)
	}
	return nil
}

func (r *Registry[T]) store(memory bool) shard.Store {
	if memory && r.cfg.Memory != nil {
		return r.cfg.Memory
	}
	return r.cfg.Store
}

// retentionLoop runs the retention hook at every tick.
func (r *Registry[T]) retentionLoop() {
	defer r.wg.Done()
	t := time.NewTicker(r.cfg.RetentionCheck)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
			r.EnforceRetention(r.ctx)
		}
	}
}

// EnforceRetention runs the retention hook of every stream now.
func (r *Registry[T]) EnforceRetention(ctx context.Context) {
	if r.cfg.Hooks.Retention == nil {
		return
	}
	for _, s := range r.All() {
		if ctx.Err() != nil {
			return
		}
		r.cfg.Hooks.Retention(ctx, s)
	}
}

// Close stops the retention loop and closes every runtime. The catalog and
// the stores stay open: they belong to the caller.
func (r *Registry[T]) Close() error {
	r.stopOnce.Do(func() {
		r.cancel()
		r.wg.Wait()
		r.closeAll()
	})
	return nil
}

func (r *Registry[T]) closeAll() {
	r.mu.Lock()
	list := make([]*Stream[T], 0, len(r.byName))
	for _, s := range r.byName {
		list = append(list, s)
	}
	r.byName, r.byID, r.byARN = map[string]*Stream[T]{}, map[string]*Stream[T]{}, map[string]*Stream[T]{}
	r.mu.Unlock()
	for _, s := range list {
		s.mu.Lock()
		if !s.gone {
			r.cfg.Hooks.Close(s)
			s.gone = true
		}
		s.mu.Unlock()
	}
}
