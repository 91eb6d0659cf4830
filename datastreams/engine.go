package datastreams

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/fsutil"
	"github.com/shardcast/shardcast/datastreams/ratelog"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/datastreams/streamdir"
	"github.com/shardcast/shardcast/index"
)

// Config configures an Engine.
type Config struct {
	// Dir holds one directory per stream; "" keeps everything in memory
	// (nothing survives Close) and needs no Catalog.
	Dir     string
	Catalog *index.Catalog
	Keyring *envelope.Keyring

	Account string // 12-digit account id used in ARNs and messages
	Region  string

	ShardLimit               int           // open shards per account (default 500)
	OnDemandStreamCountLimit int           // ON_DEMAND streams per account (default 50)
	IteratorTTL              time.Duration // shard iterator lifetime (default 5m)
	RetentionCheck           time.Duration // how often expired segments are dropped (default 1m)
	EnforceLimits            bool          // enforce per-shard throughput limits as AWS does
	SegmentMaxBytes          int64         // shard segment size (default 64 MiB)
	// OnDiskFull, when set, is called (without waiting) when an append
	// meets a full disk, so space-based retention can run at once.
	OnDiskFull func()

	Now    func() time.Time
	Logger *slog.Logger
}

// Defaults and bounds that follow AWS.
const (
	DefaultRetentionHours = 24
	MinRetentionHours     = 24
	MaxRetentionHours     = 8760
	DefaultOnDemandShards = 4
	DefaultMaxRecordKiB   = 1024
	MaxTagsPerStream      = 50
	MaxGetRecordsBytes    = 10 << 20
	manifestName          = "stream.json"
	deletedSuffix         = ".deleted"
)

// Engine runs the data streams of one server.
type Engine struct {
	cfg     Config
	iterKey []byte

	sd      *streamdir.Dir
	mu      sync.RWMutex // guards streams; held briefly
	streams map[string]*stream

	diskFullLog ratelog.Limiter // appends refused by a full disk, logged at a bounded rate

	stop chan struct{}
	wg   sync.WaitGroup
}

// stream is a live stream: its definition and its open shard logs.
type stream struct {
	dir   string
	state atomic.Pointer[streamState]
	mu    sync.Mutex // serializes control-plane changes to this stream
}

// streamState is an immutable snapshot; changes publish a new one.
type streamState struct {
	meta   *index.Stream
	shards []*shardRT // by shard index
	open   []*shardRT // open shards in hash-key order, for routing
}

type shardRT struct {
	info       index.Shard
	start, end hashKey
	createdSec int64
	log        *shard.SealedLog
	limits     *shardLimits
}

// Open loads every stream under cfg.Dir and starts the retention loop.
func Open(cfg Config) (*Engine, error) {
	if cfg.Account == "" {
		cfg.Account = "000000000000"
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.ShardLimit <= 0 {
		cfg.ShardLimit = DefaultShardLimit
	}
	if cfg.OnDemandStreamCountLimit <= 0 {
		cfg.OnDemandStreamCountLimit = DefaultOnDemandStreamCountLimit
	}
	if cfg.IteratorTTL <= 0 {
		cfg.IteratorTTL = DefaultIteratorTTL
	}
	if cfg.RetentionCheck <= 0 {
		cfg.RetentionCheck = DefaultRetentionCheck
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Keyring == nil {
		return nil, errors.New("datastreams: a keyring is required")
	}
	e := &Engine{cfg: cfg, streams: map[string]*stream{}, stop: make(chan struct{})}
	sd, loaded, err := streamdir.Open(streamdir.Config{Root: cfg.Dir, Kind: index.KindData, Catalog: cfg.Catalog,
		Keyring: cfg.Keyring, Now: cfg.Now, Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("datastreams: %w", err)
	}
	e.sd = sd
	if cfg.Dir == "" {
		e.iterKey = make([]byte, 32)
		rand.Read(e.iterKey)
	} else {
		key, err := fsutil.LoadOrCreateSecret(filepath.Join(cfg.Dir, "iterator.key"))
		if err != nil {
			return nil, err
		}
		e.iterKey = key
	}
	for _, l := range loaded {
		st := &stream{dir: l.Path}
		state, err := e.openShards(st, l.Meta)
		if err != nil {
			e.closeStreams()
			return nil, err
		}
		st.state.Store(state)
		e.streams[l.Meta.Name] = st
	}
	e.wg.Add(1)
	go e.retentionLoop()
	return e, nil
}

// openShards opens the logs of every shard of meta.
func (e *Engine) openShards(st *stream, meta *index.Stream) (*streamState, error) {
	state := &streamState{meta: meta}
	keys := func() []index.DataKey {
		if cur := st.state.Load(); cur != nil {
			return cur.meta.DataKeys
		}
		return meta.DataKeys
	}
	for _, info := range meta.Shards {
		start, ok1 := parseHashKey(info.StartHash)
		end, ok2 := parseHashKey(info.EndHash)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("datastreams: stream %s shard %s: bad hash range", meta.Name, info.ID)
		}
		l, err := e.sd.OpenLog(streamdir.Stream{Meta: meta, Path: st.dir}, info.ID, keys,
			streamdir.LogOptions{SegmentMaxBytes: e.cfg.SegmentMaxBytes, SegmentMaxAge: segmentAge(meta.RetentionHours)})
		if err != nil {
			for _, s := range state.shards {
				s.log.Close()
			}
			return nil, fmt.Errorf("datastreams: %w", err)
		}
		l.SetKey(meta.Encryption.KeyVersion)
		rt := &shardRT{info: info, start: start, end: end, createdSec: info.Created.Unix(), log: l}
		if e.cfg.EnforceLimits {
			rt.limits = newShardLimits(e.cfg.Now)
		}
		state.shards = append(state.shards, rt)
	}
	state.open = openShards(state.shards)
	return state, nil
}

// segmentAge rolls segments often enough that retention frees space in
// steps of about 1/24 of the retention period.
func segmentAge(hours int) time.Duration {
	d := time.Duration(hours) * time.Hour / 24
	return max(d, time.Minute)
}

// maxRecordBytes is the stream's limit on a record's data plus partition key.

func openShards(all []*shardRT) []*shardRT {
	var open []*shardRT
	for _, s := range all {
		if s.info.Closed.IsZero() {
			open = append(open, s)
		}
	}
	sort.Slice(open, func(i, j int) bool { return open[i].start.cmp(open[j].start) < 0 })
	return open
}

// persist writes a stream's new definition (manifest, then catalog).
func (e *Engine) persist(st *stream, meta *index.Stream) error {
	if err := e.sd.Save(st.dir, meta); err != nil {
		return fmt.Errorf("datastreams: %w", err)
	}
	return nil
}

// IDs returns the ids of the engine's streams.
func (e *Engine) IDs() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	ids := make([]string, 0, len(e.streams))
	for _, st := range e.streams {
		ids = append(ids, st.state.Load().meta.ID)
	}
	return ids
}

// lookup finds a stream by name.
func (e *Engine) lookup(name string) *stream {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.streams[name]
}

// StreamRef names a stream by name or ARN (the ARN wins when both are set).
type StreamRef struct {
	Name string
	ARN  string
}

// resolve returns the stream a reference names.
func (e *Engine) resolve(ref StreamRef) (*stream, string, error) {
	name := ref.Name
	if ref.ARN != "" {
		n, err := e.nameFromARN(ref.ARN)
		if err != nil {
			return nil, "", err
		}
		name = n
	}
	if name == "" {
		return nil, "", errorf(ErrInvalidArgument, "Either StreamName or StreamARN must be provided.")
	}
	st := e.lookup(name)
	if st == nil {
		return nil, name, e.streamNotFound(name)
	}
	return st, name, nil
}

func (e *Engine) arn(name string) string {
	return fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", e.cfg.Region, e.cfg.Account, name)
}

// nameFromARN accepts arn:<partition>:kinesis:<region>:<account>:stream/<name>
// for this server's region and account.
func (e *Engine) nameFromARN(arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "kinesis" || !strings.HasPrefix(parts[5], "stream/") {
		return "", errorf(ErrInvalidArgument, "Invalid StreamARN %s.", arn)
	}
	name := strings.TrimPrefix(parts[5], "stream/")
	if parts[3] != e.cfg.Region || parts[4] != e.cfg.Account {
		return "", errorf(ErrResourceNotFound, "Stream %s under account %s not found.", name, parts[4])
	}
	return name, nil
}

// retentionLoop drops expired segments of every shard.
func (e *Engine) retentionLoop() {
	defer e.wg.Done()
	t := time.NewTicker(e.cfg.RetentionCheck)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			e.EnforceRetention()
		}
	}
}

// EnforceRetention drops the stored records of every shard that are past
// their stream's retention period. It runs periodically on its own.
func (e *Engine) EnforceRetention() {
	e.mu.RLock()
	streams := make([]*stream, 0, len(e.streams))
	for _, st := range e.streams {
		streams = append(streams, st)
	}
	e.mu.RUnlock()
	now := e.cfg.Now()
	for _, st := range streams {
		state := st.state.Load()
		cutoff := now.Add(-time.Duration(state.meta.RetentionHours) * time.Hour).UnixNano()
		for _, s := range state.shards {
			n, err := s.log.TrimBefore(cutoff)
			if err != nil && !errors.Is(err, shard.ErrClosed) {
				e.cfg.Logger.Warn("datastreams: retention", "stream", state.meta.Name, "shard", s.info.ID, "err", err)
			} else if n > 0 {
				e.cfg.Logger.Debug("datastreams: retention dropped records", "stream", state.meta.Name, "shard", s.info.ID, "records", n)
			}
		}
	}
}

// Damaged returns the damage known in the shard logs, keyed by
// "<stream>/<shard id>"; shards without damage are left out.
func (e *Engine) Damaged() map[string][]shard.Damage {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := map[string][]shard.Damage{}
	for name, st := range e.streams {
		for _, s := range st.state.Load().shards {
			if d := s.log.Damaged(); len(d) > 0 {
				out[name+"/"+s.info.ID] = d
			}
		}
	}
	return out
}

// Close stops background work and closes every shard log.
func (e *Engine) Close() error {
	select {
	case <-e.stop:
		return nil
	default:
	}
	close(e.stop)
	e.wg.Wait()
	e.closeStreams()
	return nil
}

func (e *Engine) closeStreams() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for name, st := range e.streams {
		for _, s := range st.state.Load().shards {
			if err := s.log.Close(); err != nil {
				e.cfg.Logger.Warn("datastreams: close shard", "stream", name, "shard", s.info.ID, "err", err)
			}
		}
	}
	e.streams = map[string]*stream{}
}

// trimHorizon is the first readable position of a shard: its first record
// that is not past the retention period.
func (e *Engine) trimHorizon(s *shardRT, meta *index.Stream) (uint64, error) {
	cutoff := e.cfg.Now().Add(-time.Duration(meta.RetentionHours) * time.Hour).UnixNano()
	return s.log.SeekTime(context.TODO(), cutoff)
}

// StorageStats sums the counters of every durable shard log.
func (e *Engine) StorageStats() shard.Stats {
	var total shard.Stats
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, st := range e.streams {
		for _, s := range st.state.Load().shards {
			if fl, ok := s.log.Log.(*shard.FileLog); ok {
				x := fl.Stats()
				total.Commits += x.Commits
				total.Records += x.Records
				total.Bytes += x.Bytes
				total.SyncTime += x.SyncTime
			}
		}
	}
	return total
}
