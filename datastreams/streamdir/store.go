package streamdir

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shardcast/shardcast/datastreams/fsutil"
	"github.com/shardcast/shardcast/datastreams/shard"
)

// StoreConfig configures a Store.
type StoreConfig struct {
	Root   string             // directory of the logs: Root/<stream id>/<shard id>/
	Index  shard.SegmentIndex // node-local cache of sealed segments' indexes (the bbolt catalog); nil scans segments at open
	Now    func() time.Time
	Logger *slog.Logger
}

// Store is the file shard store: one shard.FileLog per log, in
// Root/<stream id>/<shard id>/, with the segment index cache keyed by the
// LogID's string. It implements shard.Store.
type Store struct {
	cfg StoreConfig

	mu     sync.Mutex
	open   map[shard.LogID]*fileLog
	closed bool
}

// fileLog is a FileLog opened by a Store; closing it frees its id.
type fileLog struct {
	*shard.FileLog
	s    *Store
	id   shard.LogID
	once sync.Once
}

func (l *fileLog) Close() error {
	err := l.FileLog.Close()
	l.once.Do(func() {
		l.s.mu.Lock()
		if l.s.open[l.id] == l {
			delete(l.s.open, l.id)
		}
		l.s.mu.Unlock()
	})
	return err
}

var _ shard.Store = (*Store)(nil)

// NewStore opens the store in cfg.Root, creating it, and finishes the
// removals a crash interrupted.
func NewStore(cfg StoreConfig) (*Store, error) {
	if cfg.Root == "" {
		return nil, errors.New("streamdir: a store needs a root directory")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Root, 0o755); err != nil {
		return nil, fmt.Errorf("streamdir: %w", err)
	}
	s := &Store{cfg: cfg, open: map[shard.LogID]*fileLog{}}
	streams, err := subdirs(cfg.Root)
	if err != nil {
		return nil, err
	}
	for _, st := range streams {
		if !validName(st) {
			continue
		}
		shards, err := subdirs(filepath.Join(cfg.Root, st))
		if err != nil {
			return nil, err
		}
		for _, sh := range shards {
			if name, ok := strings.CutSuffix(sh, deletedSuffix); ok {
				id := shard.LogID{Stream: st, Shard: name}
				cfg.Logger.Info("streamdir: finishing the removal of a log", "log", id.String())
				if err := s.finishRemove(id); err != nil {
					return nil, err
				}
			}
		}
	}
	return s, nil
}

// subdirs lists the directories in dir, hidden ones left out.
func subdirs(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("streamdir: %w", err)
	}
	var out []string
	for _, de := range des {
		if de.IsDir() && !strings.HasPrefix(de.Name(), ".") {
			out = append(out, de.Name())
		}
	}
	return out, nil
}

// validName reports whether s can name a directory of the store.
func validName(s string) bool {
	return s != "" && len(s) <= 200 && !strings.HasPrefix(s, ".") && !strings.HasSuffix(s, deletedSuffix) &&
		!strings.ContainsAny(s, "/\\\x00")
}

func checkID(id shard.LogID) error {
	if !validName(id.Stream) || !validName(id.Shard) {
		return fmt.Errorf("streamdir: log id %q cannot name a directory", id.String())
	}
	return nil
}

func (s *Store) dir(id shard.LogID) string { return filepath.Join(s.cfg.Root, id.Stream, id.Shard) }

// Open opens the log id, creating it empty when it does not exist. A log
// is open once at a time.
func (s *Store) Open(ctx context.Context, id shard.LogID, o shard.LogOptions) (shard.Log, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("streamdir: open log %s: %w", id, shard.ErrClosed)
	}
	if s.open[id] != nil {
		return nil, fmt.Errorf("streamdir: log %s is already open", id)
	}
	// Make the directories durable before anything is acknowledged in them.
	if err := mkdirSynced(filepath.Join(s.cfg.Root, id.Stream)); err != nil {
		return nil, err
	}
	if err := mkdirSynced(s.dir(id)); err != nil {
		return nil, err
	}
	fl, err := shard.Open(shard.Options{
		Dir:             s.dir(id),
		Name:            id.String(),
		Index:           s.cfg.Index,
		SegmentMaxBytes: o.SegmentMaxBytes,
		SegmentMaxAge:   o.SegmentMaxAge,
		FirstSeq:        o.FirstSeq,
		Now:             s.cfg.Now,
		Logger:          s.cfg.Logger.With("log", id.String()),
	})
	if err != nil {
		return nil, fmt.Errorf("streamdir: log %s: %w", id, err)
	}
	l := &fileLog{FileLog: fl, s: s, id: id}
	s.open[id] = l
	return l, nil
}

// mkdirSynced creates dir when missing and fsyncs its parent.
func mkdirSynced(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("streamdir: %w", err)
	}
	if err := fsutil.SyncDir(filepath.Dir(dir)); err != nil {
		return fmt.Errorf("streamdir: %w", err)
	}
	return nil
}

// Logs lists every log in the store, sorted.
func (s *Store) Logs(ctx context.Context) ([]shard.LogID, error) {
	streams, err := subdirs(s.cfg.Root)
	if err != nil {
		return nil, err
	}
	var out []shard.LogID
	for _, st := range streams {
		if !validName(st) {
			continue
		}
		shards, err := subdirs(filepath.Join(s.cfg.Root, st))
		if err != nil {
			return nil, err
		}
		for _, sh := range shards {
			if validName(sh) {
				out = append(out, shard.LogID{Stream: st, Shard: sh})
			}
		}
	}
	slices.SortFunc(out, func(a, b shard.LogID) int { return strings.Compare(a.String(), b.String()) })
	return out, nil
}

// Remove deletes a closed log: its directory and its segment indexes. It
// works on a full disk, which is when operators delete to make room, and
// may be retried after an error:
//   - the rename to a ".deleted" name is the commit point: a crash before
//     it leaves the log, after it nothing (NewStore finishes the removal);
//   - the files go before the index is written, since bbolt needs free
//     pages to write: an index that could not be updated is only logged
//     (its entries are a cache, and stream ids are never reused).
func (s *Store) Remove(ctx context.Context, id shard.LogID) error {
	if err := checkID(id); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[id] != nil {
		return fmt.Errorf("streamdir: remove log %s: it is open", id)
	}
	dir := s.dir(id)
	if err := os.Rename(dir, dir+deletedSuffix); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("streamdir: remove log %s: %w", id, err)
		}
		if _, serr := os.Stat(dir + deletedSuffix); serr != nil {
			return nil // no such log
		}
		// A retry after a failure past the rename.
	}
	if err := fsutil.SyncDir(filepath.Dir(dir)); err != nil {
		return fmt.Errorf("streamdir: remove log %s: %w", id, err)
	}
	return s.finishRemove(id)
}

// finishRemove removes a log renamed aside, then its segment indexes and
// its stream's directory once empty.
func (s *Store) finishRemove(id shard.LogID) error {
	gone := s.dir(id) + deletedSuffix
	firsts := segmentFirsts(gone)
	if err := os.RemoveAll(gone); err != nil {
		return fmt.Errorf("streamdir: remove log %s: %w", id, err)
	}
	if s.cfg.Index != nil && len(firsts) > 0 {
		if err := s.cfg.Index.DeleteSegments(id.String(), firsts...); err != nil {
			s.cfg.Logger.Warn("streamdir: the removed log's segment indexes stay in the catalog", "log", id.String(), "err", err)
		}
	}
	streamDir := filepath.Dir(gone)
	if err := os.Remove(streamDir); err == nil {
		if err := fsutil.SyncDir(s.cfg.Root); err != nil {
			return fmt.Errorf("streamdir: remove log %s: %w", id, err)
		}
	}
	return nil
}

// segmentFirsts lists the first sequence numbers of the segment files in dir.
func segmentFirsts(dir string) []uint64 {
	des, _ := os.ReadDir(dir)
	var out []uint64
	for _, de := range des {
		name, ok := strings.CutSuffix(de.Name(), ".seg")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(name, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// Close closes the logs still open and the store.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed = true
	logs := make([]*fileLog, 0, len(s.open))
	for _, l := range s.open {
		logs = append(logs, l)
	}
	s.mu.Unlock()
	var errs []error
	for _, l := range logs {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}
