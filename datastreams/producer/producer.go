package producer

import (
	"context"
	"time"
)

// SKELETON: the producer helper owns this package; the names below are what
// the agent helper codes against (the helper may add, not rename).

// Config configures a Producer. Exactly one of StreamName/StreamARN (with
// Kinesis) or DeliveryStreamName (with Firehose) is set.
type Config struct {
	Kinesis            KinesisAPI
	StreamName         string
	StreamARN          string
	Firehose           FirehoseAPI
	DeliveryStreamName string
	// Aggregate packs user records into KPL aggregated records (default
	// on for Kinesis; Firehose never aggregates).
	DisableAggregation bool
	// Linger bounds how long a record waits in a buffer (default 100ms).
	Linger time.Duration
	// MaxBufferedBytes bounds the bytes held; Put blocks beyond it.
	MaxBufferedBytes int64
	// MaxRetries per record (default 10), then it is reported.
	MaxRetries int
	// OnFailure receives every record that was not delivered, with why.
	OnFailure func(Failure)
	// OnDelivered, when set, receives every delivered user record.
	OnDelivered func(Delivered)
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
type KinesisAPI interface{}

// FirehoseAPI is the part of *firehose.Client the producer uses.
type FirehoseAPI interface{}

// Producer is safe for concurrent use.
type Producer struct{}

// New starts a producer.
func New(ctx context.Context, cfg Config) (*Producer, error) { panic("skeleton") }

// Put buffers one user record; it blocks while the buffers are full
// (backpressure) and fails only when ctx ends or the producer is closed.
func (p *Producer) Put(ctx context.Context, partitionKey string, data []byte) error {
	panic("skeleton")
}

// PutTagged is Put with a value handed back in Delivered/Failure (the
// agent uses it to learn which file positions are delivered).
func (p *Producer) PutTagged(ctx context.Context, partitionKey string, data []byte, tag any) error {
	panic("skeleton")
}

// Flush sends everything buffered and returns when every record put
// before it is delivered or reported.
func (p *Producer) Flush(ctx context.Context) error { panic("skeleton") }

// Close flushes and stops.
func (p *Producer) Close(ctx context.Context) error { panic("skeleton") }

// Metrics is a snapshot of the counters.
type Metrics struct {
	UserRecords, KinesisRecords, Bytes, Retries, Failed int64
	// PutLatency is a recent average of PutRecords call latency.
	PutLatency time.Duration
}

func (p *Producer) Metrics() Metrics { panic("skeleton") }
