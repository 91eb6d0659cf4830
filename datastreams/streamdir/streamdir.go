package streamdir

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/index"
)

const (
	manifestName  = "stream.json"
	deletedSuffix = ".deleted"
)

// Config configures a Dir.
type Config struct {
	Root    string         // directory of the streams; "" keeps everything in memory
	Kind    string         // index.KindData or index.KindVideo
	Catalog *index.Catalog // required with a Root
	Keyring *envelope.Keyring
	Now     func() time.Time
	Logger  *slog.Logger
}

// Dir is the set of streams of one kind.
type Dir struct {
	cfg Config

	kmu      sync.Mutex
	dataKeys map[string][]byte // stream id + "/" + version -> plaintext data key
}

// Stream is a loaded stream: its definition and where it lives.
type Stream struct {
	Meta *index.Stream
	Path string // "" in memory
}

// Open loads every stream under cfg.Root, finishing interrupted creates and
// deletes, and makes the catalog match the manifests.
func Open(cfg Config) (*Dir, []Stream, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Keyring == nil {
		return nil, nil, errors.New("streamdir: a keyring is required")
	}
	d := &Dir{cfg: cfg, dataKeys: map[string][]byte{}}
	if cfg.Root == "" {
		return d, nil, nil
	}
	if cfg.Catalog == nil {
		return nil, nil, errors.New("streamdir: a catalog is required with a directory")
	}
	if err := os.MkdirAll(cfg.Root, 0o755); err != nil {
		return nil, nil, fmt.Errorf("streamdir: %w", err)
	}
	des, err := os.ReadDir(cfg.Root)
	if err != nil {
		return nil, nil, fmt.Errorf("streamdir: %w", err)
	}
	var out []Stream
	var metas []*index.Stream
	names := map[string]bool{}
	for _, de := range des {
		if !de.IsDir() {
			continue
		}
		path := filepath.Join(cfg.Root, de.Name())
		if strings.HasSuffix(de.Name(), deletedSuffix) {
			if err := os.RemoveAll(path); err != nil {
				return nil, nil, fmt.Errorf("streamdir: finish delete of %s: %w", path, err)
			}
			continue
		}
		b, err := os.ReadFile(filepath.Join(path, manifestName))
		if errors.Is(err, os.ErrNotExist) {
			// A create that did not finish: nothing was acknowledged in it.
			cfg.Logger.Warn("streamdir: removing stream directory without manifest", "dir", path)
			if err := os.RemoveAll(path); err != nil {
				return nil, nil, fmt.Errorf("streamdir: %w", err)
			}
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("streamdir: %w", err)
		}
		meta := new(index.Stream)
		if err := json.Unmarshal(b, meta); err != nil {
			return nil, nil, fmt.Errorf("streamdir: manifest %s: %w", filepath.Join(path, manifestName), err)
		}
		if names[meta.Name] {
			return nil, nil, fmt.Errorf("streamdir: two directories hold %s stream %q", cfg.Kind, meta.Name)
		}
		names[meta.Name] = true
		out = append(out, Stream{Meta: meta, Path: path})
		metas = append(metas, meta)
	}
	n, err := cfg.Catalog.Sync(cfg.Kind, metas)
	if err != nil {
		return nil, nil, fmt.Errorf("streamdir: %w", err)
	}
	if n > 0 {
		cfg.Logger.Info("streamdir: catalog reconciled from manifests", "kind", cfg.Kind, "changed", n)
	}
	return d, out, nil
}

// Prune drops time-index entries of logs that belong to no stream of ids
// (the union over every Dir sharing a catalog).
func Prune(cat *index.Catalog, ids map[string]bool) error {
	if cat == nil {
		return nil
	}
	_, err := cat.PruneLogs(func(log string) bool {
		id, _, _ := strings.Cut(log, "/")
		return ids[id]
	})
	return err
}

// NewID returns a fresh stream id (unique per incarnation).
func NewID() string {
	b := make([]byte, 10)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Create makes a new stream: its directory, then its manifest, then its
// catalog entry. meta.ID must be set; meta.Version is set to 1.
func (d *Dir) Create(meta *index.Stream) (Stream, error) {
	st := Stream{Meta: meta}
	meta.Version = 0
	if d.cfg.Root != "" {
		st.Path = filepath.Join(d.cfg.Root, meta.ID)
		if err := os.MkdirAll(st.Path, 0o755); err != nil {
			return st, fmt.Errorf("streamdir: %w", err)
		}
		if err := fsutil.SyncDir(d.cfg.Root); err != nil {
			return st, err
		}
	}
	// The manifest makes the stream exist; a crash before it leaves a
	// directory that the next Open removes.
	if err := d.Save(st.Path, meta); err != nil {
		if st.Path != "" {
			os.RemoveAll(st.Path)
		}
		return st, err
	}
	return st, nil
}

// Save persists a changed definition: manifest first (the truth), then the
// catalog. meta.Version is bumped.
func (d *Dir) Save(path string, meta *index.Stream) error {
	meta.Version++
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return fmt.Errorf("streamdir: encode manifest: %w", err)
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(path, manifestName), b, 0o644); err != nil {
		return fmt.Errorf("streamdir: %w", err)
	}
	if err := d.cfg.Catalog.PutStream(meta); err != nil {
		return fmt.Errorf("streamdir: %w", err)
	}
	return nil
}

// Delete removes a stream whose logs are closed: its files, catalog entry,
// time index and cached data keys. It works on a full disk, which is when
// operators delete to make room, and may be retried after an error:
//   - the rename to a ".deleted" name is the commit point: a crash before
//     it leaves the stream, after it nothing (Open finishes the removal);
//   - the files go before the catalog is written, since bbolt needs free
//     pages to write: a catalog that could not be updated is only logged,
//     and Open reconciles it from the manifests and prunes its indexes.
func (d *Dir) Delete(st Stream) error {
	d.ForgetKeys(st.Meta.ID)
	if st.Path == "" {
		return nil
	}
	gone := st.Path + deletedSuffix
	if err := os.Rename(st.Path, gone); err != nil {
		// A retry after a failure past the rename finds only gone.
		if _, serr := os.Stat(gone); !errors.Is(err, os.ErrNotExist) || serr != nil {
			return fmt.Errorf("streamdir: delete %s: %w", st.Meta.Name, err)
		}
	}
	if err := fsutil.SyncDir(d.cfg.Root); err != nil {
		return fmt.Errorf("streamdir: delete %s: %w", st.Meta.Name, err)
	}
	if err := os.RemoveAll(gone); err != nil {
		return fmt.Errorf("streamdir: delete %s: %w", st.Meta.Name, err)
	}
	if err := d.cfg.Catalog.DeleteStream(d.cfg.Kind, st.Meta.Name); err != nil {
		d.cfg.Logger.Warn("streamdir: deleted stream stays in the catalog until the next start", "stream", st.Meta.Name, "err", err)
	} else if err := d.cfg.Catalog.DropStreamIndexes(st.Meta.ID); err != nil {
		d.cfg.Logger.Warn("streamdir: deleted stream's indexes stay in the catalog until the next start", "stream", st.Meta.Name, "err", err)
	}
	return nil
}

// LogOptions tune a shard log.
type LogOptions struct {
	SegmentMaxBytes int64
	SegmentMaxAge   time.Duration
	FirstSeq        uint64 // where an empty log starts numbering (default 1)
	Memory          bool   // keep this log in memory even when the Dir is on disk
}

// OpenLog opens the shard log name of a stream. keys returns the stream's
// current data keys (the stream's definition changes over time).
func (d *Dir) OpenLog(st Stream, name string, keys func() []index.DataKey, o LogOptions) (*shard.SealedLog, error) {
	src := d.KeySource(st.Meta.ID, keys)
	if st.Path == "" || o.Memory {
		return shard.Seal(shard.NewMem(d.cfg.Now, o.FirstSeq), src, st.Meta.ID+"/"+name), nil
	}
	l, err := shard.Open(shard.Options{
		Dir:             filepath.Join(st.Path, name),
		Name:            st.Meta.ID + "/" + name,
		Index:           d.cfg.Catalog,
		SegmentMaxBytes: o.SegmentMaxBytes,
		SegmentMaxAge:   o.SegmentMaxAge,
		FirstSeq:        o.FirstSeq,
		Now:             d.cfg.Now,
		Logger:          d.cfg.Logger.With("stream", st.Meta.Name, "shard", name),
	})
	if err != nil {
		return nil, fmt.Errorf("streamdir: stream %s: %w", st.Meta.Name, err)
	}
	return shard.Seal(l, src, st.Meta.ID+"/"+name), nil
}

// RemoveLog deletes a closed log's files and time index.
func (d *Dir) RemoveLog(st Stream, name string) error {
	if st.Path == "" {
		return nil
	}
	if err := os.RemoveAll(filepath.Join(st.Path, name)); err != nil {
		return fmt.Errorf("streamdir: %w", err)
	}
	return d.cfg.Catalog.DropLogs(st.Meta.ID + "/" + name)
}

// KeySource resolves a stream's data-key versions, unwrapping each once.
func (d *Dir) KeySource(streamID string, keys func() []index.DataKey) shard.KeySource {
	return func(ver uint32) ([]byte, error) {
		id := streamID + "/" + fmt.Sprint(ver)
		d.kmu.Lock()
		defer d.kmu.Unlock()
		if k := d.dataKeys[id]; k != nil {
			return k, nil
		}
		for _, dk := range keys() {
			if dk.Version == ver {
				k, _, err := d.cfg.Keyring.Decrypt(dk.Wrapped)
				if err != nil {
					return nil, err
				}
				d.dataKeys[id] = k
				return k, nil
			}
		}
		return nil, fmt.Errorf("stream %s has no data key version %d", streamID, ver)
	}
}

// ForgetKeys drops a stream's cached data keys.
func (d *Dir) ForgetKeys(streamID string) {
	d.kmu.Lock()
	defer d.kmu.Unlock()
	for k := range d.dataKeys {
		if strings.HasPrefix(k, streamID+"/") {
			delete(d.dataKeys, k)
		}
	}
}

// NewDataKey makes a data key under the master key keyID and appends it to
// meta.DataKeys, returning its version.
func (d *Dir) NewDataKey(meta *index.Stream, keyID string) (uint32, error) {
	dk, err := d.cfg.Keyring.GenerateDataKey(keyID)
	if err != nil {
		return 0, err
	}
	ver := uint32(len(meta.DataKeys) + 1)
	meta.DataKeys = append(meta.DataKeys, index.DataKey{Version: ver, KeyID: dk.KeyID, Wrapped: dk.Wrapped, Created: d.cfg.Now().UTC()})
	return ver, nil
}

// Rewrap moves every data key of meta that the master key keyID wraps onto
// its newest version, and reports how many changed.
func (d *Dir) Rewrap(meta *index.Stream, keyID string) (int, error) {
	n := 0
	for i, dk := range meta.DataKeys {
		if dk.KeyID != keyID {
			continue
		}
		w, changed, err := d.cfg.Keyring.Rewrap(dk.Wrapped)
		if err != nil {
			return n, err
		}
		if changed {
			meta.DataKeys[i].Wrapped = w
			n++
		}
	}
	return n, nil
}
