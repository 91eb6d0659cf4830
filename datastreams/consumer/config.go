package consumer

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// KinesisAPI is the part of *kinesis.Client the worker uses.
type KinesisAPI interface {
	ListShards(context.Context, *kinesis.ListShardsInput, ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
	GetShardIterator(context.Context, *kinesis.GetShardIteratorInput, ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(context.Context, *kinesis.GetRecordsInput, ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
	DescribeStreamSummary(context.Context, *kinesis.DescribeStreamSummaryInput, ...func(*kinesis.Options)) (*kinesis.DescribeStreamSummaryOutput, error)
	DescribeStreamConsumer(context.Context, *kinesis.DescribeStreamConsumerInput, ...func(*kinesis.Options)) (*kinesis.DescribeStreamConsumerOutput, error)
	RegisterStreamConsumer(context.Context, *kinesis.RegisterStreamConsumerInput, ...func(*kinesis.Options)) (*kinesis.RegisterStreamConsumerOutput, error)
	SubscribeToShard(context.Context, *kinesis.SubscribeToShardInput, ...func(*kinesis.Options)) (*kinesis.SubscribeToShardOutput, error)
}

// InitialPosition is where a worker starts shards that have no checkpoint.
type InitialPosition string

const (
	TrimHorizon InitialPosition = SentinelTrimHorizon
	Latest      InitialPosition = SentinelLatest
	AtTimestamp InitialPosition = SentinelAtTimestamp
)

// Record is one user record: a Kinesis record, or one sub-record of a KPL
// aggregated record (then SubSequenceNumber is its index in the
// aggregate and Aggregated is true).
type Record struct {
	SequenceNumber              string
	SubSequenceNumber           int64
	Aggregated                  bool
	PartitionKey                string
	ExplicitHashKey             string
	Data                        []byte
	ApproximateArrivalTimestamp time.Time
}

// Position returns where r is, for CheckpointAt.
func (r Record) Position() Position {
	return Position{Sequence: r.SequenceNumber, SubSequence: r.SubSequenceNumber}
}

// Processor handles the records of one shard lease. The worker calls it
// from one goroutine: Initialize, then ProcessRecords for each batch in
// order, then exactly one of LeaseLost, ShardEnded or Shutdown.
type Processor interface {
	// Initialize is called before the first batch; start is the
	// checkpoint the shard resumes after (a sentinel for a fresh shard).
	Initialize(ctx context.Context, shardID string, start Position) error
	// ProcessRecords handles one batch, in shard order. The checkpointer
	// records progress in the lease table; records after the last
	// checkpoint are delivered again if the lease moves.
	ProcessRecords(ctx context.Context, records []Record, cp *Checkpointer) error
	// LeaseLost says another worker holds the lease now; checkpointing is
	// no longer possible.
	LeaseLost(ctx context.Context)
	// ShardEnded says the shard is closed and fully read. The processor
	// must call cp.Checkpoint (which writes SHARD_END) so the shard's
	// children can be processed.
	ShardEnded(ctx context.Context, cp *Checkpointer) error
	// Shutdown says the worker is stopping; the processor may checkpoint.
	Shutdown(ctx context.Context, cp *Checkpointer) error
}

// Config configures a Worker.
type Config struct {
	Kinesis  KinesisAPI
	DynamoDB DynamoDBAPI
	// StreamName or StreamARN names the stream (one is enough; enhanced
	// fan-out looks the ARN up from the name).
	StreamName string
	StreamARN  string
	// ApplicationName is the lease table name and, for enhanced fan-out,
	// the default stream consumer name.
	ApplicationName string
	// WorkerID identifies this worker in the lease table; unique per
	// process. It must not equal a shard id.
	WorkerID string
	// InitialPosition for shards without a checkpoint (default
	// TRIM_HORIZON); Timestamp goes with AT_TIMESTAMP.
	InitialPosition InitialPosition
	Timestamp       time.Time
	// NewProcessor makes the processor of one shard lease.
	NewProcessor func() Processor

	// FailoverTime: a lease whose counter has not moved for this long is
	// taken by others (default 10s). Leases are renewed every third of it.
	FailoverTime time.Duration
	// MaxLeasesToStealAtOneTime bounds each balancing step (default 1).
	MaxLeasesToStealAtOneTime int
	// ShardSyncInterval is how often ListShards is compared with the
	// table (default 60s; children of an ended shard are added at once).
	ShardSyncInterval time.Duration

	// Polling: MaxRecords per GetRecords (default 10000) and the wait
	// after an empty answer (default 1s).
	MaxRecords           int32
	IdleTimeBetweenReads time.Duration

	// EnhancedFanOut reads with SubscribeToShard through a stream
	// consumer named ConsumerName (default ApplicationName), registered
	// if missing.
	EnhancedFanOut bool
	ConsumerName   string

	Logger *slog.Logger
}

func (c *Config) defaults() error {
	if c.Kinesis == nil || c.DynamoDB == nil {
		return errors.New("consumer: Kinesis and DynamoDB clients are required")
	}
	if c.StreamName == "" && c.StreamARN == "" {
		return errors.New("consumer: StreamName or StreamARN is required")
	}
	if c.ApplicationName == "" || c.WorkerID == "" {
		return errors.New("consumer: ApplicationName and WorkerID are required")
	}
	if c.NewProcessor == nil {
		return errors.New("consumer: NewProcessor is required")
	}
	switch c.InitialPosition {
	case "":
		c.InitialPosition = TrimHorizon
	case TrimHorizon, Latest:
	case AtTimestamp:
		if c.Timestamp.IsZero() {
			return errors.New("consumer: AT_TIMESTAMP needs Timestamp")
		}
	default:
		return errors.New("consumer: InitialPosition is TRIM_HORIZON, LATEST or AT_TIMESTAMP")
	}
	if c.FailoverTime <= 0 {
		c.FailoverTime = 10 * time.Second
	}
	if c.MaxLeasesToStealAtOneTime <= 0 {
		c.MaxLeasesToStealAtOneTime = 1
	}
	if c.ShardSyncInterval <= 0 {
		c.ShardSyncInterval = time.Minute
	}
	if c.MaxRecords <= 0 {
		c.MaxRecords = 10000
	}
	if c.IdleTimeBetweenReads <= 0 {
		c.IdleTimeBetweenReads = time.Second
	}
	if c.ConsumerName == "" {
		c.ConsumerName = c.ApplicationName
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}
