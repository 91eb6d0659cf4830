package datastreams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardcast/shardcast/datastreams/autoscale"
	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/ratelog"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/index"
)

// Config configures an Engine.
type Config struct {
	// Catalog keeps the stream definitions and Store the shard logs (cmd
	// chooses them: files, memory, JetStream). Store belongs to the engine:
	// logs in it of no data stream are removed at Open.
	Catalog registry.Catalog
	Store   shard.Store
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
	// OnDemand tunes the scaling of ON_DEMAND streams (zero fields take
	// autoscale's defaults; the capacity of a shard is AWS's).
	OnDemand autoscale.Config

	// CreateDelay, UpdateDelay and DeleteDelay are how long a stream
	// stays CREATING after CreateStream, UPDATING after a reshard or an
	// encryption change, and DELETING before it is gone. Zero (the
	// default) makes the change visible at once: CreateStream answers
	// with the stream ACTIVE, DeleteStream with it gone, and a reshard is
	// UPDATING only while it runs.
	CreateDelay time.Duration
	UpdateDelay time.Duration
	DeleteDelay time.Duration

	// ConsumerDelay is how long a registered consumer stays CREATING and a
	// deregistered one DELETING (default 0: the change is made at once,
	// after the answer).
	ConsumerDelay time.Duration
	// SubscriptionLifetime is how long a SubscribeToShard stream lasts
	// (default 5m, as AWS); SubscriptionTakeover how old an active
	// subscription must be for a new one of the same consumer and shard to
	// take it over, instead of being refused (default 5s); SubscriptionHeartbeat
	// how often an idle subscription gets an event without records
	// (default 5s).
	SubscriptionLifetime  time.Duration
	SubscriptionTakeover  time.Duration
	SubscriptionHeartbeat time.Duration

	Now    func() time.Time
	Logger *slog.Logger

	// resharder carries out on-demand scaling (nil: the engine's own).
	resharder resharder
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
)

// Engine runs the data streams of one server: the Kinesis rules over the
// registry of data streams.
type Engine struct {
	cfg     Config
	iterKey []byte
	reg     *registry.Registry[*shardSet]

	diskFullLog ratelog.Limiter // appends refused by a full disk, logged at a bounded rate

	subs         *subscriptions // active SubscribeToShard streams
	consumerWake chan struct{}  // wakes the consumer loop
	done         chan struct{}  // closed by Close: background work and subscriptions end
	bgCtx        context.Context
	bgCancel     context.CancelFunc // cancels bgCtx, the context of background work, at Close
	closeOnce    sync.Once
	wg           sync.WaitGroup
	modeMu       sync.Mutex // serializes capacity-mode changes and ON_DEMAND creates
	scale        *scaler    // the scaling loop of ON_DEMAND streams
	// Delayed status transitions (lifecycle.go) run in goroutines that
	// Close stops and waits for.
	laterMu sync.Mutex
	closed  bool
	stop    chan struct{}
	laterWG sync.WaitGroup
}

// stream is a data stream of the registry; its runtime is its shards.
type stream = registry.Stream[*shardSet]

// shardSet is a stream's shard logs: a view published whole (replaced,
// never changed, by a reshard) and the locks that order writes against
// reshards (see the package documentation).
type shardSet struct {
	view atomic.Pointer[shardView]
	// gate is held shared by every write (routing and appending) and
	// alone by a reshard while it closes parents and publishes children.
	gate sync.RWMutex
	// reshard serializes the reshards of the stream and the drop of its
	// expired closed shards.
	reshard sync.Mutex
}

// shardView is the stream's shards at one moment.
type shardView struct {
	shards []*shardRT // by shard index
	open   []*shardRT // open shards in hash-key order, for routing
}

// streamState is a stream's definition with its shards, as one request sees them.
type streamState struct {
	meta   *index.Stream
	shards []*shardRT
	open   []*shardRT
}

// stateOf returns the stream's current definition and shards.
func stateOf(st *stream) *streamState {
	v := st.Runtime().view.Load()
	return &streamState{meta: st.Def(), shards: v.shards, open: v.open}
}

type shardRT struct {
	info       index.Shard
	start, end hashKey
	createdSec int64
	log        *shard.SealedLog
	limits     *shardLimits
	meter      *autoscale.Meter // writes offered to the shard, for on-demand scaling
	traffic    *shardTraffic    // shared by the copies a reshard makes
}

// Open loads every data stream of the catalog and starts the retention loop.
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
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SubscriptionLifetime <= 0 {
		cfg.SubscriptionLifetime = DefaultSubscriptionLifetime
	}
	if cfg.SubscriptionTakeover <= 0 {
		cfg.SubscriptionTakeover = DefaultSubscriptionTakeover
	}
	if cfg.SubscriptionHeartbeat <= 0 {
		cfg.SubscriptionHeartbeat = DefaultSubscriptionHeartbeat
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Keyring == nil {
		return nil, errors.New("datastreams: a keyring is required")
	}
	if cfg.Catalog == nil || cfg.Store == nil {
		return nil, errors.New("datastreams: a catalog and a store are required")
	}
	cfg.OnDemand = cfg.OnDemand.WithDefaults()
	if err := cfg.OnDemand.Validate(); err != nil {
		return nil, fmt.Errorf("datastreams: on-demand scaling: %w", err)
	}
	ctx := context.Background()
	e := &Engine{cfg: cfg, stop: make(chan struct{}), subs: newSubscriptions(), consumerWake: make(chan struct{}, 1), done: make(chan struct{})}
	if e.cfg.resharder == nil {
		e.cfg.resharder = engineResharder{e}
	}
	key, err := cfg.Catalog.Secret(ctx, "iterator", 32)
	if err != nil {
		return nil, fmt.Errorf("datastreams: iterator key: %w", err)
	}
	e.iterKey = key
	e.reg, err = registry.Open(ctx, registry.Config[*shardSet]{
		Kind: index.KindData, Catalog: cfg.Catalog, Store: cfg.Store, Keyring: cfg.Keyring,
		RetentionCheck: cfg.RetentionCheck, Now: cfg.Now, Logger: cfg.Logger,
		Hooks: registry.Hooks[*shardSet]{Open: e.openShards, Close: e.closeShards, Retention: e.retention},
	})
	if err != nil {
		return nil, fmt.Errorf("datastreams: %w", err)
	}
	if err := e.removeStrayLogs(ctx); err != nil {
		e.reg.Close()
		return nil, err
	}
	if err := e.recoverStatus(ctx); err != nil {
		e.reg.Close()
		return nil, err
	}
	e.startScaler()
	e.bgCtx, e.bgCancel = context.WithCancel(context.Background())
	e.wg.Add(1)
	go e.consumerLoop()
	return e, nil
}

// removeStrayLogs removes the logs of a stream's shards that its definition
// does not hold: what a crash left of a reshard before its definition was
// stored, or of an expired shard's removal after it.
func (e *Engine) removeStrayLogs(ctx context.Context) error {
	logs, err := e.cfg.Store.Logs(ctx)
	if err != nil {
		return fmt.Errorf("datastreams: list logs: %w", err)
	}
	for _, id := range logs {
		st := e.reg.ByID(id.Stream)
		if st == nil || slices.ContainsFunc(st.Def().Shards, func(s index.Shard) bool { return s.ID == id.Shard }) {
			continue
		}
		e.cfg.Logger.Warn("datastreams: removing the log of a shard that its stream does not hold", "log", id.String())
		if err := st.RemoveLog(ctx, id.Shard, false); err != nil {
			return fmt.Errorf("datastreams: %w", err)
		}
	}
	return nil
}

// openShards opens the logs of every shard of a stream: the registry's
// Open hook.
func (e *Engine) openShards(ctx context.Context, st *stream) (*shardSet, error) {
	meta := st.Def()
	var shards []*shardRT
	fail := func(err error) (*shardSet, error) {
		for _, s := range shards {
			s.log.Close()
		}
		return nil, err
	}
	for _, info := range meta.Shards {
		rt, err := e.openShard(ctx, st, meta, info)
		if err != nil {
			return fail(err)
		}
		shards = append(shards, rt)
	}
	set := &shardSet{}
	set.view.Store(&shardView{shards: shards, open: openShards(shards)})
	return set, nil
}

// openShard opens the log of one shard of a stream.
func (e *Engine) openShard(ctx context.Context, st *stream, meta *index.Stream, info index.Shard) (*shardRT, error) {
	start, ok1 := parseHashKey(info.StartHash)
	end, ok2 := parseHashKey(info.EndHash)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("datastreams: stream %s shard %s: bad hash range", meta.Name, info.ID)
	}
	l, err := st.OpenLog(ctx, info.ID, shard.LogOptions{SegmentMaxBytes: e.cfg.SegmentMaxBytes, SegmentMaxAge: segmentAge(meta.RetentionHours)}, false)
	if err != nil {
		return nil, fmt.Errorf("datastreams: %w", err)
	}
	rt := &shardRT{info: info, start: start, end: end, createdSec: info.Created.Unix(), log: l,
		meter: autoscale.NewMeter(start.key(), end.key()), traffic: new(shardTraffic)}
	if e.cfg.EnforceLimits {
		rt.limits = newShardLimits(e.cfg.Now)
	}
	return rt, nil
}

// closeShards closes a stream's shard logs: the registry's Close hook.
func (e *Engine) closeShards(st *stream) {
	for _, s := range st.Runtime().view.Load().shards {
		if err := s.log.Close(); err != nil && !errors.Is(err, shard.ErrClosed) {
			e.cfg.Logger.Warn("datastreams: close shard", "stream", st.Def().Name, "shard", s.info.ID, "err", err)
		}
	}
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

// IDs returns the ids of the engine's streams.
func (e *Engine) IDs() []string {
	var ids []string
	for _, st := range e.reg.All() {
		ids = append(ids, st.Def().ID)
	}
	return ids
}

// lookup finds a stream by name.
func (e *Engine) lookup(name string) *stream { return e.reg.Get(name) }

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
		return nil, "", errorf(registry.ErrInvalidArgument, "Either StreamName or StreamARN must be provided.")
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
		return "", errorf(registry.ErrInvalidArgument, "Invalid StreamARN %s.", arn)
	}
	name := strings.TrimPrefix(parts[5], "stream/")
	if parts[3] != e.cfg.Region || parts[4] != e.cfg.Account {
		return "", errorf(registry.ErrResourceNotFound, "Stream %s under account %s not found.", name, parts[4])
	}
	return name, nil
}

// EnforceRetention drops the stored records of every shard that are past
// their stream's retention period. It runs periodically on its own.
func (e *Engine) EnforceRetention() { e.reg.EnforceRetention(context.Background()) }

// retention drops a stream's expired records: the registry's retention hook.
func (e *Engine) retention(ctx context.Context, st *stream) {
	state := stateOf(st)
	cutoff := e.cfg.Now().Add(-time.Duration(state.meta.RetentionHours) * time.Hour).UnixNano()
	e.dropExpired(ctx, st, time.Unix(0, cutoff))
	for _, s := range state.shards {
		n, err := s.log.TrimBefore(cutoff)
		if err != nil && !errors.Is(err, shard.ErrClosed) {
			e.cfg.Logger.Warn("datastreams: retention", "stream", state.meta.Name, "shard", s.info.ID, "err", err)
		} else if n > 0 {
			e.cfg.Logger.Debug("datastreams: retention dropped records", "stream", state.meta.Name, "shard", s.info.ID, "records", n)
		}
	}
}

// Damaged returns the damage known in the shard logs, keyed by
// "<stream>/<shard id>"; shards without damage are left out.
func (e *Engine) Damaged() map[string][]shard.Damage {
	out := map[string][]shard.Damage{}
	for _, st := range e.reg.All() {
		name := st.Def().Name
		for _, s := range st.Runtime().view.Load().shards {
			if d := s.log.Damaged(); len(d) > 0 {
				out[name+"/"+s.info.ID] = d
			}
		}
	}
	return out
}

// Close stops background work (the retention loop, the scaling loop,
// delayed status transitions, the consumer loop), ends every subscription
// and closes every shard log.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		close(e.done)
		e.bgCancel()
		e.wg.Wait()
	})
	e.stopScaler()
	e.stopLater()
	return e.reg.Close()
}

// trimHorizon is the first readable position of a shard: its first record
// that is not past the retention period.
func (e *Engine) trimHorizon(ctx context.Context, s *shardRT, meta *index.Stream) (uint64, error) {
	cutoff := e.cfg.Now().Add(-time.Duration(meta.RetentionHours) * time.Hour).UnixNano()
	return s.log.SeekTime(ctx, cutoff)
}
