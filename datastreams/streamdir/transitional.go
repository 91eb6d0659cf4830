package streamdir

// TODO(issue 10): transitional backends, so that the registry and the
// engines run before the shard-core part lands. They are built on the
// existing Dir and logs and take the names that part announced
// (NewStore/StoreConfig, NewCatalog/CatalogConfig); on merge, delete this
// file and use that part's file and memory backends.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/fsutil"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/index"
)

// StoreConfig configures a file Store.
type StoreConfig struct {
	Root   string             // directory of the kind's streams: Root/<stream id>/<shard id>
	Index  shard.SegmentIndex // the segment index cache; nil scans segments at open
	Now    func() time.Time
	Logger *slog.Logger
}

// Store keeps shard logs in files.
type Store struct{ cfg StoreConfig }

// NewStore returns a file Store over cfg.Root.
func NewStore(cfg StoreConfig) *Store {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Store{cfg: cfg}
}

func (s *Store) Open(ctx context.Context, id shard.LogID, o shard.LogOptions) (shard.Log, error) {
	return s.OpenKeyed(ctx, id, o, nil)
}

// OpenKeyed opens a log that seals with keys itself.
func (s *Store) OpenKeyed(_ context.Context, id shard.LogID, o shard.LogOptions, keys shard.KeySource) (shard.Log, error) {
	l, err := shard.Open(shard.Options{
		Dir: filepath.Join(s.cfg.Root, id.Stream, id.Shard), Name: id.String(), Index: s.cfg.Index, Keys: keys,
		SegmentMaxBytes: o.SegmentMaxBytes, SegmentMaxAge: o.SegmentMaxAge, FirstSeq: o.FirstSeq,
		Now: s.cfg.Now, Logger: s.cfg.Logger.With("log", id.String()),
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

func (s *Store) Logs(context.Context) ([]shard.LogID, error) {
	des, err := os.ReadDir(s.cfg.Root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("streamdir: %w", err)
	}
	var out []shard.LogID
	for _, de := range des {
		if !de.IsDir() || strings.HasSuffix(de.Name(), deletedSuffix) {
			continue
		}
		logs, err := os.ReadDir(filepath.Join(s.cfg.Root, de.Name()))
		if err != nil {
			return nil, fmt.Errorf("streamdir: %w", err)
		}
		for _, l := range logs {
			if l.IsDir() {
				out = append(out, shard.LogID{Stream: de.Name(), Shard: l.Name()})
			}
		}
	}
	return out, nil
}

func (s *Store) Remove(_ context.Context, id shard.LogID) error {
	if err := os.RemoveAll(filepath.Join(s.cfg.Root, id.Stream, id.Shard)); err != nil {
		return fmt.Errorf("streamdir: %w", err)
	}
	if c, ok := s.cfg.Index.(*index.Catalog); ok && c != nil {
		return c.DropLogs(id.String())
	}
	return nil
}

func (s *Store) Close() error { return nil }

// CatalogConfig configures a file Catalog.
type CatalogConfig struct {
	Root   string         // directory of the kind's streams (manifests)
	Mirror *index.Catalog // the bbolt mirror of the manifests
	Logger *slog.Logger
}

// Catalog keeps definitions as manifests (the truth) mirrored in bbolt.
type Catalog struct {
	cfg  CatalogConfig
	mu   sync.Mutex
	dirs map[string]*Dir                     // by kind
	defs map[string]map[string]*index.Stream // kind -> name -> stored
}

// NewCatalog returns a file Catalog over cfg.Root.
func NewCatalog(cfg CatalogConfig) *Catalog {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Catalog{cfg: cfg, dirs: map[string]*Dir{}, defs: map[string]map[string]*index.Stream{}}
}

func (c *Catalog) dir(kind string) (*Dir, []Stream, error) {
	if d := c.dirs[kind]; d != nil {
		return d, nil, nil
	}
	key := make([]byte, 32)
	rand.Read(key)
	kr, _ := envelope.NewStatic(key) // Open wants one; nothing here uses it
	d, loaded, err := Open(Config{Root: c.cfg.Root, Kind: kind, Catalog: c.cfg.Mirror, Keyring: kr, Logger: c.cfg.Logger})
	if err != nil {
		return nil, nil, err
	}
	c.dirs[kind] = d
	c.defs[kind] = map[string]*index.Stream{}
	for _, l := range loaded {
		c.defs[kind][l.Meta.Name] = l.Meta
	}
	return d, loaded, nil
}

func (c *Catalog) Load(_ context.Context, kind string) ([]*index.Stream, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, _, err := c.dir(kind); err != nil {
		return nil, err
	}
	var out []*index.Stream
	for _, m := range c.defs[kind] {
		out = append(out, m.Clone())
	}
	return out, nil
}

func (c *Catalog) Put(_ context.Context, s *index.Stream) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, _, err := c.dir(s.Kind)
	if err != nil {
		return err
	}
	old := c.defs[s.Kind][s.Name]
	m := s.Clone()
	switch {
	case s.Version == 1:
		if old != nil {
			return registry.ErrConflict
		}
		if _, err := d.Create(m); err != nil {
			return err
		}
	case old == nil || old.Version != s.Version-1:
		return registry.ErrConflict
	default:
		m.Version-- // Save counts it back up
		if err := d.Save(filepath.Join(c.cfg.Root, m.ID), m); err != nil {
			return err
		}
	}
	c.defs[s.Kind][s.Name] = m
	return nil
}

func (c *Catalog) Delete(_ context.Context, kind, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, _, err := c.dir(kind)
	if err != nil {
		return err
	}
	m := c.defs[kind][name]
	if m == nil {
		return nil
	}
	if err := d.Delete(Stream{Meta: m, Path: filepath.Join(c.cfg.Root, m.ID)}); err != nil {
		return err
	}
	delete(c.defs[kind], name)
	return nil
}

func (c *Catalog) Secret(_ context.Context, name string, size int) ([]byte, error) {
	if err := os.MkdirAll(c.cfg.Root, 0o755); err != nil {
		return nil, fmt.Errorf("streamdir: %w", err)
	}
	b, err := fsutil.LoadOrCreateSecret(filepath.Join(c.cfg.Root, name+".key"))
	if err != nil {
		return nil, err
	}
	if len(b) < size {
		return nil, fmt.Errorf("streamdir: secret %s has %d bytes, want %d", name, len(b), size)
	}
	return b[:size], nil
}

// MemStore keeps shard logs in memory.
type MemStore struct {
	now  func() time.Time
	mu   sync.Mutex
	logs map[shard.LogID]*shard.MemLog
}

// NewMemStore returns an empty memory Store.
func NewMemStore(now func() time.Time) *MemStore {
	if now == nil {
		now = time.Now
	}
	return &MemStore{now: now, logs: map[shard.LogID]*shard.MemLog{}}
}

func (s *MemStore) Open(ctx context.Context, id shard.LogID, o shard.LogOptions) (shard.Log, error) {
	return s.OpenKeyed(ctx, id, o, nil)
}

// OpenKeyed opens a log that seals with keys itself.
func (s *MemStore) OpenKeyed(_ context.Context, id shard.LogID, o shard.LogOptions, keys shard.KeySource) (shard.Log, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := shard.NewMem(keys, s.now, o.FirstSeq)
	s.logs[id] = l
	return l, nil
}

func (s *MemStore) Logs(context.Context) ([]shard.LogID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]shard.LogID, 0, len(s.logs))
	for id := range s.logs {
		out = append(out, id)
	}
	return out, nil
}

func (s *MemStore) Remove(_ context.Context, id shard.LogID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.logs, id)
	return nil
}

func (s *MemStore) Close() error { return nil }

// MemCatalog keeps definitions in memory.
type MemCatalog struct {
	mu      sync.Mutex
	defs    map[string]*index.Stream // kind + "/" + name
	secrets map[string][]byte
}

// NewMemCatalog returns an empty memory catalog.
func NewMemCatalog() *MemCatalog {
	return &MemCatalog{defs: map[string]*index.Stream{}, secrets: map[string][]byte{}}
}

func (c *MemCatalog) Load(_ context.Context, kind string) ([]*index.Stream, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*index.Stream
	for _, d := range c.defs {
		if d.Kind == kind {
			out = append(out, d.Clone())
		}
	}
	return out, nil
}

func (c *MemCatalog) Put(_ context.Context, s *index.Stream) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := s.Kind + "/" + s.Name
	old := c.defs[k]
	if (s.Version == 1) != (old == nil) || (old != nil && old.Version != s.Version-1) {
		return registry.ErrConflict
	}
	c.defs[k] = s.Clone()
	return nil
}

func (c *MemCatalog) Delete(_ context.Context, kind, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.defs, kind+"/"+name)
	return nil
}

func (c *MemCatalog) Secret(_ context.Context, name string, size int) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.secrets[name]; len(b) >= size {
		return b[:size], nil
	}
	b := make([]byte, size)
	rand.Read(b)
	c.secrets[name] = b
	return b, nil
}
