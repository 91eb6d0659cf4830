package producer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// Config configures a Producer. Exactly one of StreamName/StreamARN (with
// Kinesis) or DeliveryStreamName (with Firehose) is set.
type Config struct {
	Kinesis            KinesisAPI
	StreamName         string
	StreamARN          string
	Firehose           FirehoseAPI
	DeliveryStreamName string
	// DisableAggregation sends each user record as its own Kinesis
	// record; by default they are packed into KPL aggregated records
	// (Firehose never aggregates).
	DisableAggregation bool
	// AggregationMaxSize bounds one aggregated record in bytes (default
	// 51200, the KPL's; at most 1 MiB less room for the partition key).
	AggregationMaxSize int
	// Linger bounds how long a record waits in a buffer (default 100ms).
	Linger time.Duration
	// MaxBufferedBytes bounds the bytes held; Put blocks beyond it
	// (default 64 MiB).
	MaxBufferedBytes int64
	// MaxRetries per record (default 10), then it is reported.
	MaxRetries int
	// BackoffBase and BackoffMax shape the exponential backoff between
	// tries of a record (defaults 100ms and 5s); each wait is drawn
	// between half and all of base·2^(try-1), capped at BackoffMax.
	BackoffBase, BackoffMax time.Duration
	// ShardBytesPerSec and ShardRecordsPerSec bound what the producer
	// sends to one shard (defaults 1 MiB and 1000 Kinesis records a
	// second, a provisioned shard's write limits); negative means none.
	ShardBytesPerSec, ShardRecordsPerSec int64
	// MaxRequestRecords and MaxRequestBytes bound one PutRecords or
	// PutRecordBatch call (defaults 500 and 5 MiB for Kinesis, 500 and
	// 4 MiB for Firehose).
	MaxRequestRecords int
	MaxRequestBytes   int
	// MaxInFlight bounds concurrent calls (default 8).
	MaxInFlight int
	// Ordered keeps each shard's records in Put order in the stream
	// (Kinesis only; ignored with Firehose): at most one Kinesis record of
	// a shard is in flight at a time, a failed one is tried again before
	// the shard's next one goes, and a child shard gets records only once
	// its parents have none in flight. A call still carries one record for
	// each of many shards. When a record is given up on (or its outcome is
	// unknown), the shard's records put after it are not sent: they are
	// reported with ErrHeldBack, until a Flush that returns after the
	// failure was reported, so that the caller can put them again in
	// order.
	Ordered bool
	// RetryUnknownOutcome says whether a call whose outcome is unknown (no
	// answer: a dropped connection, a timeout; or a 5xx answer) is sent
	// again, as it is by default (nil means true): then a record can be
	// stored twice. When false, such records go to OnFailure with an
	// error matching ErrUnknownOutcome, and the AWS SDK's own retries of
	// the call are turned off (the producer's own backoff retries the
	// errors that say nothing was stored: throttling, entries that
	// failed).
	RetryUnknownOutcome *bool
	// OnFailure receives every record that was not delivered, with why.
	OnFailure func(Failure)
	// OnDelivered, when set, receives every delivered user record.
	OnDelivered func(Delivered)
	// Logger receives shard-map refreshes and retries (default: discard).
	Logger *slog.Logger
	// Protocol is how PutRecords goes when Kinesis is a *kinesis.Client:
	// "cbor" (the default) sends it in application/x-amz-cbor-1.1, as the
	// Java SDKs do, over the client's HTTP client, endpoint, region and
	// credentials (without the SDK's retries or middleware: the producer
	// retries); "json" calls the client's PutRecords. Other KinesisAPI
	// implementations are always called.
	Protocol string
}

// Failure is one user record given up on.
type Failure struct {
	PartitionKey string
	Data         []byte
	Err          error
	Tag          any
}

// Delivered is one user record stored by the service.
type Delivered struct {
	PartitionKey   string
	Data           []byte
	ShardID        string
	SequenceNumber string
	SubSequence    int
	// Tag is the value given to PutTagged.
	Tag any
}

// KinesisAPI is the part of *kinesis.Client the producer uses.
type KinesisAPI interface {
	PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
	ListShards(ctx context.Context, in *kinesis.ListShardsInput, optFns ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
}

// FirehoseAPI is the part of *firehose.Client the producer uses.
type FirehoseAPI interface {
	PutRecordBatch(ctx context.Context, in *firehose.PutRecordBatchInput, optFns ...func(*firehose.Options)) (*firehose.PutRecordBatchOutput, error)
}

// ErrClosed is returned by Put after Close.
var ErrClosed = errors.New("producer: closed")

// ErrUnknownOutcome marks a record (in Failure.Err) whose call got no
// verdict, with RetryUnknownOutcome false: it may or may not be stored.
var ErrUnknownOutcome = errors.New("producer: outcome unknown (the record may be stored)")

// ErrHeldBack marks a record (in Failure.Err) that was not sent, with
// Ordered, because an earlier record of its shard was not delivered.
var ErrHeldBack = errors.New("producer: not sent: an earlier record of its shard was not delivered")

// Limits of the services.
const (
	maxKinesisRecord  = 1 << 20    // data plus partition key
	maxFirehoseRecord = 1000 << 10 // data
	maxPartitionKey   = 256        // characters
)

// Producer is safe for concurrent use.
type Producer struct {
	cfg       Config
	log       *slog.Logger
	firehose  bool
	aggregate bool
	ordered   bool // Config.Ordered with Kinesis
	blind     bool // calls with an unknown outcome are retried
	// putRecords sends one PutRecords call (chosen at New: CBOR or SDK).
	putRecords putRecordsFunc

	// ctx is the life of the calls; abort ends them when Close gives up.
	ctx   context.Context
	abort context.CancelFunc

	mu        sync.Mutex
	closed    bool
	shards    []*shard // open shards by starting hash key
	known     map[string]shardRange
	unrouted  *shard // records with no predicted shard (Firehose, or a gap in the map)
	ready     []*kRecord
	wrong     []landed // landed on an unexpected shard; settled after a refresh
	inflight  int
	buffered  int64
	order     ring
	events    []slot
	reported  uint64 // records whose callbacks have run
	flushing  bool
	refresh   refreshState
	hashKeys  hashCache
	changed   chan struct{} // closed and replaced when space or progress is made
	m         Metrics
	latencyNs float64

	wake   chan struct{} // the dispatcher
	cbWake chan struct{} // the callback runner
	done   chan struct{} // closed by Close to stop the goroutines
	wg     sync.WaitGroup
}

// New starts a producer. With Kinesis it reads the stream's shard map
// first (ctx bounds that call).
func New(ctx context.Context, cfg Config) (*Producer, error) {
	cfg, err := withDefaults(cfg)
	if err != nil {
		return nil, err
	}
	p := &Producer{
		cfg: cfg, log: cfg.Logger, firehose: cfg.Firehose != nil,
		known: map[string]shardRange{}, changed: make(chan struct{}),
		wake: make(chan struct{}, 1), cbWake: make(chan struct{}, 1), done: make(chan struct{}),
	}
	p.aggregate = !p.firehose && !cfg.DisableAggregation
	p.ordered = cfg.Ordered && !p.firehose
	p.blind = cfg.RetryUnknownOutcome == nil || *cfg.RetryUnknownOutcome
	p.order.keep = cfg.OnDelivered != nil || cfg.OnFailure != nil
	p.unrouted = p.newShard(shardRange{}, time.Now())
	if !p.firehose {
		if p.putRecords, err = kinesisPut(ctx, cfg, p.blind); err != nil {
			return nil, err
		}
		ranges, err := p.listShards(ctx)
		if err != nil {
			return nil, err
		}
		p.applyShards(ranges, time.Now())
	}
	p.ctx, p.abort = context.WithCancel(context.Background())
	p.wg.Add(2)
	go p.dispatch()
	go p.runCallbacks()
	return p, nil
}

func withDefaults(cfg Config) (Config, error) {
	switch {
	case cfg.Kinesis != nil && cfg.Firehose != nil:
		return cfg, errors.New("producer: set Kinesis or Firehose, not both")
	case cfg.Kinesis != nil && cfg.StreamName == "" && cfg.StreamARN == "":
		return cfg, errors.New("producer: Kinesis needs StreamName or StreamARN")
	case cfg.Firehose != nil && cfg.DeliveryStreamName == "":
		return cfg, errors.New("producer: Firehose needs DeliveryStreamName")
	case cfg.Kinesis == nil && cfg.Firehose == nil:
		return cfg, errors.New("producer: set Kinesis or Firehose")
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.AggregationMaxSize, 51200)
	// Room for the outer partition key (256 characters of up to 4 bytes).
	cfg.AggregationMaxSize = min(cfg.AggregationMaxSize, maxKinesisRecord-4*maxPartitionKey)
	def(&cfg.MaxRetries, 10)
	def(&cfg.MaxRequestRecords, 500)
	cfg.MaxRequestRecords = min(cfg.MaxRequestRecords, 500)
	if cfg.Firehose != nil {
		def(&cfg.MaxRequestBytes, 4<<20)
	} else {
		def(&cfg.MaxRequestBytes, 5<<20)
	}
	def(&cfg.MaxInFlight, 8)
	if cfg.Linger <= 0 {
		cfg.Linger = 100 * time.Millisecond
	}
	if cfg.MaxBufferedBytes <= 0 {
		cfg.MaxBufferedBytes = 64 << 20
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = 100 * time.Millisecond
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 5 * time.Second
	}
	if cfg.ShardBytesPerSec == 0 {
		cfg.ShardBytesPerSec = 1 << 20
	}
	if cfg.ShardRecordsPerSec == 0 {
		cfg.ShardRecordsPerSec = 1000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg, nil
}

// Put buffers one user record; it blocks while the buffers are full
// (backpressure) and fails only when ctx ends, the producer is closed, or
// the record cannot be sent at all (a partition key of 1 to 256
// characters; data within the record size limit). Put copies data.
func (p *Producer) Put(ctx context.Context, partitionKey string, data []byte) error {
	return p.PutTagged(ctx, partitionKey, data, nil)
}

// PutTagged is Put with a value handed back in Delivered/Failure (the
// agent uses it to learn which file positions are delivered).
func (p *Producer) PutTagged(ctx context.Context, partitionKey string, data []byte, tag any) error {
	size, err := p.check(partitionKey, data)
	if err != nil {
		return err
	}
	p.mu.Lock()
	for {
		if p.closed {
			p.mu.Unlock()
			return ErrClosed
		}
		// A record larger than the whole buffer still goes when the
		// buffer is empty.
		if p.buffered+int64(size) <= p.cfg.MaxBufferedBytes || p.buffered == 0 {
			break
		}
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		p.mu.Lock()
	}
	p.buffered += int64(size)
	u := userRecord{pk: partitionKey, tag: tag, size: size, seq: p.order.push()}
	if !p.firehose {
		u.hash = p.hashKeys.of(partitionKey)
	}
	p.add(u, data)
	p.mu.Unlock()
	return nil
}

// check validates a record and returns its size as the service counts it.
func (p *Producer) check(pk string, data []byte) (int, error) {
	if p.firehose {
		if len(data) > maxFirehoseRecord {
			return 0, fmt.Errorf("producer: record of %d bytes is over Firehose's %d", len(data), maxFirehoseRecord)
		}
		return len(data), nil
	}
	if pk == "" || len(pk) > maxPartitionKey && utf8.RuneCountInString(pk) > maxPartitionKey {
		return 0, fmt.Errorf("producer: partition key must have 1 to %d characters", maxPartitionKey)
	}
	if size := len(pk) + len(data); size > maxKinesisRecord {
		return 0, fmt.Errorf("producer: record of %d bytes with its partition key is over Kinesis's %d", size, maxKinesisRecord)
	} else {
		return size, nil
	}
}

// Flush sends everything buffered and returns when every record put
// before it is delivered or reported (its callback has returned).
func (p *Producer) Flush(ctx context.Context) error {
	p.mu.Lock()
	target := p.order.next()
	p.flushing = true
	p.mu.Unlock()
	p.poke()
	if err := p.waitReported(ctx, target); err != nil {
		return err
	}
	p.mu.Lock()
	p.releaseHolds(target)
	p.mu.Unlock()
	return nil
}

func (p *Producer) waitReported(ctx context.Context, target uint64) error {
	p.mu.Lock()
	for p.reported < target {
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		p.mu.Lock()
	}
	p.mu.Unlock()
	return nil
}

// Close flushes and stops. When ctx ends first, the calls in flight are
// cancelled and every record not yet delivered is reported to OnFailure;
// Close returns ctx's error then. Put fails with ErrClosed afterwards.
func (p *Producer) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	p.closed = true
	p.broadcast()
	p.mu.Unlock()
	err := p.Flush(ctx)
	if err != nil {
		// Give up: cancel the calls; with closed set, whatever fails now
		// is reported rather than retried.
		p.abort()
		p.mu.Lock()
		p.failPending(fmt.Errorf("producer: closed before delivery: %w", err))
		target := p.order.next()
		p.mu.Unlock()
		_ = p.waitReported(context.Background(), target)
	}
	// Everything is reported; end what may still run (a shard-map
	// refresh waiting to try again).
	p.abort()
	close(p.done)
	p.wg.Wait()
	return err
}

// Metrics is a snapshot of the counters.
type Metrics struct {
	UserRecords, KinesisRecords, Bytes, Retries, Failed int64
	// PutLatency is a recent average of PutRecords call latency.
	PutLatency time.Duration
	// Requests counts PutRecords or PutRecordBatch calls; BufferedBytes
	// is what is held now.
	Requests, BufferedBytes int64
}

// Metrics returns the counters: delivered user and Kinesis records
// (Firehose records count as both), the bytes of delivered Kinesis records,
// retries of Kinesis records, and user records given up on.
func (p *Producer) Metrics() Metrics {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.m
	m.PutLatency = time.Duration(p.latencyNs)
	m.BufferedBytes = p.buffered
	return m
}

// broadcast wakes everyone waiting on p.changed; p.mu is held.
func (p *Producer) broadcast() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// poke wakes the dispatcher.
func (p *Producer) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}
