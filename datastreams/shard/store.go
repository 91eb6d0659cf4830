package shard

import (
	"context"
	"time"
)

// LogID names one shard log: the id of its stream (unique per incarnation
// of a name) and the shard's id within it.
type LogID struct {
	Stream string
	Shard  string
}

func (id LogID) String() string { return id.Stream + "/" + id.Shard }

// LogOptions tune a log as it is opened. A store ignores the hints its
// medium has no use for.
type LogOptions struct {
	// FirstSeq is the first sequence number of a log that has never been
	// written (default 1).
	FirstSeq uint64
	// SegmentMaxBytes and SegmentMaxAge size the units that retention drops
	// whole (the file store's segments).
	SegmentMaxBytes int64
	SegmentMaxAge   time.Duration
}

// Store holds shard logs; cmd chooses one (files, memory, JetStream) and
// hands it to the registry. All methods are safe for concurrent use.
type Store interface {
	// Open opens the log id, creating it empty when it does not exist.
	Open(ctx context.Context, id LogID, o LogOptions) (Log, error)
	// Logs lists every log the store holds.
	Logs(ctx context.Context) ([]LogID, error)
	// Remove deletes a closed log and all it holds; a log that does not
	// exist is not an error. It must work on a full disk.
	Remove(ctx context.Context, id LogID) error
	// Close releases the store; its logs must be closed first.
	Close() error
}
