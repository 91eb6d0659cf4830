package firehose

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
	"github.com/shardcast/shardcast/datastreams/firehose/format"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/index"
)

// logShard names the one shard log of a delivery stream.
const logShard = "shardId-000000000000"

// maxRetention is how long DirectPut records are kept undelivered, as AWS.
const maxRetention = 24 * time.Hour

// Config configures an Engine.
type Config struct {
	Catalog registry.Catalog
	// Store holds the delivery streams' logs; it belongs to this engine.
	Store   shard.Store
	Keyring *envelope.Keyring
	Account string
	Region  string
	// Objects stores S3 objects for every bucket (a directory tree or an
	// S3-compatible server). Required.
	Objects delivery.ObjectStore
	// LambdaEndpoints maps Lambda function ARNs to the URLs of the HTTP
	// services that answer Firehose transformation events.
	LambdaEndpoints map[string]string
	// Tables holds the schemas of DataFormatConversionConfiguration.
	Tables format.TableResolver
	// Destinations builds the non-S3 destinations; nil refuses them.
	Destinations DestinationFactory
	// Sources reads data streams for KinesisStreamAsSource; nil refuses them.
	Sources SourceStreams
	// CreateDelay is how long a new stream stays CREATING (default 0:
	// ACTIVE at once).
	CreateDelay time.Duration
	// StreamLimit bounds the delivery streams of the account (default 5000).
	StreamLimit int
	// RetentionCheck is how often delivered records are trimmed (default 1m).
	RetentionCheck time.Duration
	// MaxBackoff caps the wait between delivery attempts (default 10s).
	MaxBackoff time.Duration
	Now        func() time.Time
	Logger     *slog.Logger
}

// Engine serves the Firehose API over a registry of delivery streams.
type Engine struct {
	cfg Config
	reg *registry.Registry[*stream]

	ctx    context.Context // of the delivery loops; canceled by Close
	cancel context.CancelFunc
}

// stored is what a delivery stream keeps in index.Stream.Extra.
type stored struct {
	Type         string                            `json:"type"`
	VersionID    int                               `json:"versionId"`
	Source       *KinesisStreamSourceConfiguration `json:"source,omitempty"`
	SourceStart  time.Time                         `json:"sourceStart,omitzero"`
	KeyType      string                            `json:"keyType,omitempty"`
	KeyARN       string                            `json:"keyArn,omitempty"`
	Destinations []DestinationConfig               `json:"destinations"`
	LastUpdate   time.Time                         `json:"lastUpdate,omitzero"`
	// Checkpoints: per destination id, the next log position to deliver.
	Checkpoints map[string]uint64 `json:"checkpoints,omitempty"`
	// SourceCheckpoints: per source shard, the last sequence number read
	// and delivered ("" = from the start position).
	SourceCheckpoints map[string]string `json:"sourceCheckpoints,omitempty"`
	// Holds: per reader of the log other than the destinations (an
	// analytics application), the oldest position it may read again
	// after a restart; retention keeps it.
	Holds map[string]uint64 `json:"holds,omitempty"`
}

func decodeStored(def *index.Stream) (*stored, error) {
	var st stored
	if err := json.Unmarshal(def.Extra, &st); err != nil {
		return nil, fmt.Errorf("firehose: stream %s: bad definition: %w", def.Name, err)
	}
	return &st, nil
}

func mustStored(def *index.Stream) *stored {
	st, err := decodeStored(def)
	if err != nil {
		return &stored{}
	}
	return st
}

func (st *stored) encode(def *index.Stream) {
	b, _ := json.Marshal(st)
	def.Extra = b
}

// stream is the runtime of one delivery stream.
type stream struct {
	log *shard.SealedLog

	mu     sync.Mutex
	loops  []*loop
	holds  map[string]uint64 // readers other than destinations: the next position each reads
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Open loads the delivery streams and starts their delivery.
func Open(cfg Config) (*Engine, error) {
	if cfg.Objects == nil {
		return nil, errors.New("firehose: an object store is required")
	}
	if cfg.StreamLimit <= 0 {
		cfg.StreamLimit = 5000
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{cfg: cfg}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	reg, err := registry.Open(context.Background(), registry.Config[*stream]{
		Kind: index.KindFirehose, Catalog: cfg.Catalog, Store: cfg.Store, Keyring: cfg.Keyring,
		RetentionCheck: cfg.RetentionCheck, Now: cfg.Now, Logger: cfg.Logger,
		Hooks: registry.Hooks[*stream]{Open: e.openStream, Close: e.closeStream, Retention: e.retention},
	})
	if err != nil {
		e.cancel()
		return nil, err
	}
	e.reg = reg
	for _, s := range reg.All() {
		e.start(s)
	}
	return e, nil
}

// IDs lists the incarnation ids of the delivery streams.
func (e *Engine) IDs() []string {
	var ids []string
	for _, s := range e.reg.All() {
		ids = append(ids, s.Def().ID)
	}
	return ids
}

// Close stops delivery (buffered records are delivered again after the
// next start) and closes the logs.
func (e *Engine) Close() error {
	e.cancel()
	for _, s := range e.reg.All() {
		s.Runtime().stop()
	}
	return e.reg.Close()
}

func (e *Engine) openStream(ctx context.Context, s *registry.Stream[*stream]) (*stream, error) {
	l, err := s.OpenLog(ctx, logShard, shard.LogOptions{SegmentMaxAge: time.Hour}, false)
	if err != nil {
		return nil, err
	}
	return &stream{log: l}, nil
}

func (e *Engine) closeStream(s *registry.Stream[*stream]) {
	rt := s.Runtime()
	if rt == nil {
		return
	}
	rt.stop()
	rt.log.Close()
}

// start starts a delivery loop per destination (and the source reader).
func (e *Engine) start(s *registry.Stream[*stream]) {
	rt := s.Runtime()
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.cancel != nil || e.ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithCancel(e.ctx)
	rt.cancel = cancel
	st := mustStored(s.Def())
	rt.loops = nil
	for _, dc := range deliveries(st) {
		l := &loop{e: e, s: s, rt: rt, dest: dc}
		rt.loops = append(rt.loops, l)
		rt.wg.Add(1)
		go func() {
			defer rt.wg.Done()
			l.run(ctx)
		}()
	}
	if st.Type == TypeKinesisSource && e.cfg.Sources != nil {
		rt.wg.Add(1)
		go func() {
			defer rt.wg.Done()
			e.readSource(ctx, s)
		}()
	}
}

// stop stops the loops and waits for them.
func (rt *stream) stop() {
	rt.mu.Lock()
	cancel := rt.cancel
	rt.cancel = nil
	rt.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	rt.wg.Wait()
}

// restart makes the loops pick up a changed definition.
func (e *Engine) restart(s *registry.Stream[*stream]) {
	s.Runtime().stop()
	e.start(s)
}

// retention trims what every destination delivered, and what is older
// than 24 hours.
func (e *Engine) retention(ctx context.Context, s *registry.Stream[*stream]) {
	rt := s.Runtime()
	st := mustStored(s.Def())
	b := rt.log.Bounds()
	low := b.Next
	for _, dc := range deliveries(st) {
		if c := st.Checkpoints[dc.ID]; c < low {
			low = c
		}
	}
	for _, h := range st.Holds {
		low = min(low, h)
	}
	rt.mu.Lock()
	for _, h := range rt.holds {
		low = min(low, h)
	}
	rt.mu.Unlock()
	cut := e.cfg.Now().Add(-maxRetention).UnixNano()
	if low >= b.Next {
		if b.LastTime+1 > cut {
			cut = b.LastTime + 1
		}
	} else if recs, err := rt.log.Read(ctx, low, 1, 1<<20); err == nil && len(recs) > 0 && recs[0].Time > cut {
		cut = recs[0].Time
	}
	if n, err := rt.log.TrimBefore(cut); err != nil {
		e.cfg.Logger.Warn("firehose: trim", "stream", s.Def().Name, "err", err)
	} else if n > 0 {
		e.cfg.Logger.Debug("firehose: trimmed", "stream", s.Def().Name, "records", n)
	}
}

// EnforceRetention runs retention now (tests).
func (e *Engine) EnforceRetention() { e.reg.EnforceRetention(context.Background()) }

// backupSuffix names the delivery of a destination's S3 backup.
const backupSuffix = "-backup"

// deliveries lists what a stream delivers: each destination, and the S3
// backup of source records (delivered without processing, from its own
// checkpoint): an ExtendedS3 or Redshift destination with S3BackupMode
// Enabled writes them to S3BackupConfiguration; an HTTP endpoint,
// OpenSearch or Splunk destination backing up all data (AllData,
// AllDocuments, AllEvents) writes them to its S3Configuration.
func deliveries(st *stored) []DestinationConfig {
	var out []DestinationConfig
	for _, dc := range st.Destinations {
		out = append(out, dc)
		var c struct {
			S3BackupMode          string
			S3BackupConfiguration json.RawMessage
			S3Configuration       json.RawMessage
		}
		if json.Unmarshal(dc.Config, &c) != nil {
			continue
		}
		var backup json.RawMessage
		switch {
		case (dc.Kind == DestExtendedS3 || dc.Kind == DestRedshift) && c.S3BackupMode == "Enabled":
			backup = c.S3BackupConfiguration
		case c.S3BackupMode == "AllData" || c.S3BackupMode == "AllDocuments" || c.S3BackupMode == "AllEvents":
			backup = c.S3Configuration
		}
		if len(backup) > 0 {
			out = append(out, DestinationConfig{ID: dc.ID + backupSuffix, Kind: DestS3, Config: backup})
		}
	}
	return out
}
