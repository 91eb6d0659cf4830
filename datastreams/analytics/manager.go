package analytics

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/datastreams/analytics/sqlfunc"
	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/index"
)

// Kind is the catalog kind of analytics applications.
const Kind = "analytics"

// checkpointShard names the log that holds snapshots too large for the
// catalog.
const checkpointShard = "checkpoints"

// DataStreams is what applications read from and write to
// (*datastreams.Engine is one).
type DataStreams interface {
	ListShards(in datastreams.ListShardsInput) ([]datastreams.ShardInfo, string, error)
	GetShardIterator(ctx context.Context, ref datastreams.StreamRef, shardID, typ, startSeq string, ts *time.Time) (string, error)
	GetRecords(ctx context.Context, iter string, limit int) (datastreams.GetRecordsOutput, error)
	PutRecords(ctx context.Context, ref datastreams.StreamRef, entries []datastreams.PutEntry) (datastreams.PutOutput, error)
}

// DeliveryStreams takes an application's output into a delivery stream
// (*firehose.Engine is one, through a small adapter in cmd).
type DeliveryStreams interface {
	// PutBatch stores records in the delivery stream called name; it
	// fails whole or not at all.
	PutBatch(ctx context.Context, name string, data [][]byte) error
}

// DeliveryLogs reads what was put into delivery streams, for inputs
// that read one (*firehose.Engine is one, through a small adapter in cmd).
type DeliveryLogs interface {
	// SeekLog returns the position of the first record stored at or
	// after t (the log's end when none was).
	SeekLog(ctx context.Context, name string, t time.Time) (uint64, error)
	// ReadLog returns up to limit records from position from on, in
	// order; none means the reader has caught up. The delivery stream
	// keeps what reader (an application's ARN) has not read.
	ReadLog(ctx context.Context, name, reader string, from uint64, limit int) ([]DeliveryRecord, error)
	// HoldLog stores that reader resumes at position from: the delivery
	// stream keeps the records from there on across restarts.
	HoldLog(ctx context.Context, name, reader string, from uint64) error
	// ReleaseLog lets the delivery stream trim what reader has not read
	// and forgets its stored position.
	ReleaseLog(ctx context.Context, name, reader string) error
}

// DeliveryRecord is one record put into a delivery stream.
type DeliveryRecord struct {
	Seq     uint64
	Arrival time.Time // when the delivery stream stored it
	Data    []byte
}

// Objects reads reference data objects (Firehose's object store).
type Objects interface {
	Get(ctx context.Context, bucket, key string) ([]byte, error)
}

// Config configures a Manager.
type Config struct {
	Catalog registry.Catalog
	// Store holds each application's log of large checkpoints; it belongs
	// to this manager.
	Store   shard.Store
	Keyring *envelope.Keyring
	Account string
	Region  string
	Streams DataStreams
	// Firehose takes outputs into delivery streams; nil refuses them.
	Firehose DeliveryStreams
	// FirehoseInputs reads delivery streams that inputs name; nil refuses
	// such inputs.
	FirehoseInputs DeliveryLogs
	// Objects holds reference data; nil refuses reference data sources.
	Objects Objects
	// LambdaEndpoints maps function ARNs to HTTP URLs (preprocessing).
	LambdaEndpoints map[string]string
	// Functions is the SQL function library.
	Functions *sqlfunc.Library
	// CheckpointInterval is how often a running application checkpoints
	// (default 1s).
	CheckpointInterval time.Duration
	// Poll is how often a caught-up input shard is read (default 20ms).
	Poll time.Duration
	// ArrivalSlack is how far behind the wall clock an idle shard's
	// watermark stays, for appends under way when it was read (default 50ms).
	ArrivalSlack time.Duration
	// InlineSnapshot is the largest snapshot kept in the catalog itself;
	// larger ones go to the application's checkpoint log (default 128 KiB,
	// well under a NATS key-value entry's 1 MB).
	InlineSnapshot int
	// ApplicationLimit bounds the applications (default 50, as AWS).
	ApplicationLimit int
	Now              func() time.Time
	Logger           *slog.Logger
}

// Manager serves the Kinesis Data Analytics (SQL) API: applications on a
// registry, and one runner goroutine per running application.
type Manager struct {
	cfg Config
	reg *registry.Registry[*app]

	ctx    context.Context // of the runners; canceled by Close
	cancel context.CancelFunc
}

// app is the runtime of one application.
type app struct {
	log *shard.SealedLog

	mu     sync.Mutex
	status string // a transient status shown over the stored one; "" none
	run    *runner
}

// stored is what an application keeps in index.Stream.Extra.
type stored struct {
	Description string          `json:"description,omitempty"`
	Code        string          `json:"code,omitempty"`
	VersionID   int64           `json:"versionId"`
	Running     bool            `json:"running,omitempty"`
	Updated     time.Time       `json:"updated,omitzero"`
	Inputs      []storedInput   `json:"inputs,omitempty"`
	Outputs     []storedOutput  `json:"outputs,omitempty"`
	References  []storedRef     `json:"references,omitempty"`
	Logging     []storedLogging `json:"logging,omitempty"`
	Counters    map[string]int  `json:"counters,omitempty"`
	// Start is the starting position of the current run; StartTime is
	// when it started (NOW reads from there), ms.
	Start      string      `json:"start,omitempty"`
	StartTime  int64       `json:"startTime,omitempty"`
	Checkpoint *checkpoint `json:"checkpoint,omitempty"`
}

type storedInput struct {
	ID string `json:"id"`
	Input
	Start string `json:"start,omitempty"`
}

type storedOutput struct {
	ID string `json:"id"`
	Output
}

type storedRef struct {
	ID string `json:"id"`
	ReferenceDataSource
}

type storedLogging struct {
	ID string `json:"id"`
	CloudWatchLoggingOption
}

// checkpoint is a running application's state at one point: the
// runner's snapshot and the input positions it has consumed, taken
// together after every row the runner emitted before it was written.
type checkpoint struct {
	Time int64 `json:"time"` // wall clock, ms
	// Rowtime is the last ROWTIME given to a row; Bound the last Advance.
	Rowtime int64 `json:"rowtime"`
	Bound   int64 `json:"bound"`
	// Positions: per input shard, the last sequence number consumed
	// ("-": read to its end).
	Positions map[string]string `json:"positions,omitempty"`
	// Snapshot is the runner's state inline, or at SnapshotSeq in the
	// checkpoint log; Plan identifies the code and schemas it belongs to.
	Snapshot    []byte  `json:"snapshot,omitempty"`
	SnapshotSeq *uint64 `json:"snapshotSeq,omitempty"`
	Plan        string  `json:"plan,omitempty"`
}

func decodeStored(def *index.Stream) (*stored, error) {
	var st stored
	if err := json.Unmarshal(def.Extra, &st); err != nil {
		return nil, fmt.Errorf("analytics: application %s: bad definition: %w", def.Name, err)
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

// nextID issues the next id of a kind of item: "1.1", "1.2", ...
func (st *stored) nextID(kind string) string {
	if st.Counters == nil {
		st.Counters = map[string]int{}
	}
	st.Counters[kind]++
	return fmt.Sprintf("1.%d", st.Counters[kind])
}

// plan identifies what a snapshot belongs to: the code and the schemas
// it was compiled against.
func (st *stored) plan() string {
	h := sha256.New()
	json.NewEncoder(h).Encode([]any{st.Code, st.Inputs, st.References})
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// Open loads the applications and starts those that were running.
func Open(cfg Config) (*Manager, error) {
	if cfg.Streams == nil {
		return nil, errors.New("analytics: the data streams are required")
	}
	if cfg.Functions == nil {
		cfg.Functions = sqlfunc.New(sqlfunc.Config{})
	}
	if cfg.CheckpointInterval <= 0 {
		cfg.CheckpointInterval = time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 20 * time.Millisecond
	}
	if cfg.ArrivalSlack <= 0 {
		cfg.ArrivalSlack = 50 * time.Millisecond
	}
	if cfg.InlineSnapshot <= 0 {
		cfg.InlineSnapshot = 128 << 10
	}
	if cfg.ApplicationLimit <= 0 {
		cfg.ApplicationLimit = 50
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{cfg: cfg}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	reg, err := registry.Open(context.Background(), registry.Config[*app]{
		Kind: Kind, Catalog: cfg.Catalog, Store: cfg.Store, Keyring: cfg.Keyring, Now: cfg.Now, Logger: cfg.Logger,
		Hooks: registry.Hooks[*app]{Open: m.openApp, Close: m.closeApp},
	})
	if err != nil {
		m.cancel()
		return nil, err
	}
	m.reg = reg
	for _, s := range reg.All() {
		if mustStored(s.Def()).Running {
			m.startRunner(s, true)
		}
	}
	return m, nil
}

// IDs lists the incarnation ids of the applications.
func (m *Manager) IDs() []string {
	var ids []string
	for _, s := range m.reg.All() {
		ids = append(ids, s.Def().ID)
	}
	return ids
}

// Close stops every runner (each checkpoints first) and closes the logs.
func (m *Manager) Close() error {
	for _, s := range m.reg.All() {
		s.Runtime().stopRunner()
	}
	m.cancel()
	return m.reg.Close()
}

func (m *Manager) openApp(ctx context.Context, s *registry.Stream[*app]) (*app, error) {
	l, err := s.OpenLog(ctx, checkpointShard, shard.LogOptions{SegmentMaxAge: time.Hour}, false)
	if err != nil {
		return nil, err
	}
	return &app{log: l}, nil
}

func (m *Manager) closeApp(s *registry.Stream[*app]) {
	a := s.Runtime()
	if a == nil {
		return
	}
	a.stopRunner()
	a.log.Close()
}

func (m *Manager) arn(name string) string {
	return fmt.Sprintf("arn:aws:kinesisanalytics:%s:%s:application/%s", m.cfg.Region, m.cfg.Account, name)
}

// lookup finds an application by name.
func (m *Manager) lookup(name string) (*registry.Stream[*app], error) {
	s := m.reg.Get(name)
	if s == nil {
		return nil, errorf(registry.ErrResourceNotFound, "Application %s is not found.", name)
	}
	return s, nil
}

// status is the status an application shows: a transient one while a
// change is under way, else RUNNING or READY.
func (m *Manager) status(s *registry.Stream[*app], st *stored) string {
	a := s.Runtime()
	a.mu.Lock()
	t := a.status
	a.mu.Unlock()
	if t != "" {
		return t
	}
	if st.Running {
		return StatusRunning
	}
	return StatusReady
}

func (a *app) setStatus(s string) {
	a.mu.Lock()
	a.status = s
	a.mu.Unlock()
}
