package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Record is one record on its way to a destination.
type Record struct {
	// ID is the record's stable id: the same on every attempt and across
	// restarts (it derives from the log position). Lambda recordIds and
	// OpenSearch document ids are built from it.
	ID string
	// Data is the payload after processing.
	Data []byte
	// Arrival is when the record reached shardcast (PutRecord, or the
	// source stream's ApproximateArrivalTimestamp).
	Arrival time.Time
	// PartitionKeys holds the dynamic partitioning keys of the record:
	// from a MetadataExtraction query and from a Lambda's metadata.
	PartitionKeys map[string]string
	// Source is set when the delivery stream reads a Kinesis data stream.
	Source *KinesisSource
}

// KinesisSource is where a record came from in a Kinesis data stream.
type KinesisSource struct {
	ShardID        string
	PartitionKey   string
	SequenceNumber string
	SubSequence    int
}

// Batch is what a destination receives in one delivery.
type Batch struct {
	// RequestID is the same on every attempt to deliver this batch.
	RequestID  string
	StreamName string
	StreamARN  string
	// Version is the delivery stream's VersionId (it goes into S3 keys).
	Version string
	// Prefix is the evaluated S3 prefix of this batch's partition (for
	// S3-shaped destinations; "" for others).
	Prefix  string
	Records []Record
}

// Oldest returns the arrival time of the batch's oldest record.
func (b Batch) Oldest() time.Time {
	var t time.Time
	for _, r := range b.Records {
		if t.IsZero() || r.Arrival.Before(t) {
			t = r.Arrival
		}
	}
	return t
}

// Bytes returns the size of the batch's payloads.
func (b Batch) Bytes() int {
	n := 0
	for _, r := range b.Records {
		n += len(r.Data)
	}
	return n
}

// Destination delivers batches to one target. The engine calls Deliver for
// one batch at a time per destination, and again with the same batch after a
// failure until the retry duration runs out.
type Destination interface {
	// Deliver delivers b whole, or returns an error (an *Error when the
	// destination can say more).
	Deliver(ctx context.Context, b Batch) error
	// ErrorOutputType names the records this destination gives up on in the
	// error output ("http-endpoint-failed", "splunk-failed", ...).
	ErrorOutputType() string
	// Close releases the destination's connections.
	Close() error
}

// ObjectStore stores objects: a directory tree (the embedded default) or an
// S3-compatible server.
type ObjectStore interface {
	// Put stores body under bucket/key durably before it returns.
	Put(ctx context.Context, bucket, key string, body []byte, meta ObjectMeta) error
}

// ObjectMeta is what goes with an object.
type ObjectMeta struct {
	ContentType     string
	ContentEncoding string
}

// Error is a failed delivery attempt.
type Error struct {
	// Code is the Firehose error code ("HttpEndpoint.DestinationException",
	// "Splunk.AckTimeout", an OpenSearch status, ...), written into the
	// error output.
	Code    string
	Message string
	// Permanent: retrying the same batch cannot succeed (an HTTP endpoint's
	// 413); the records go to the error output at once.
	Permanent bool
	// Failed lists the indexes (into Batch.Records) of the records that
	// failed when the others were delivered (OpenSearch's per-document
	// errors); nil means the whole batch failed. A retry sends only these.
	Failed []int
	Err    error
}

func (e *Error) Error() string {
	msg := e.Code
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a retryable *Error with a code and a message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// AsError returns err as an *Error, wrapping errors of other types under
// code.
func AsError(err error, code string) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: code, Message: err.Error(), Err: err}
}
