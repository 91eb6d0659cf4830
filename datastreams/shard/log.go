package shard

import (
	"context"
	"errors"
)

// Errors returned by logs; check them with errors.Is.
var (
	ErrClosed   = errors.New("shard: log is closed")
	ErrCorrupt  = errors.New("shard: corrupt data")
	ErrTooLarge = errors.New("shard: record too large")
	ErrNoKey    = errors.New("shard: data key unavailable")
	ErrFailed   = errors.New("shard: log failed and must be reopened")
	// ErrDiskFull: the file system had no space for a write. Nothing of the
	// failed append was kept and the log stays usable: appends succeed
	// again once space is freed.
	ErrDiskFull = errors.New("shard: disk full")
	// ErrFormat: stored data is whole but of a format this build does not
	// read (a segment of an older version). Nothing is changed.
	ErrFormat = errors.New("shard: unsupported storage format")
)

// MaxRecordSize bounds one record's meta plus data, as a producer gives them.
const MaxRecordSize = 64 << 20

// SealOverhead is the most bytes SealedLog adds to an entry's meta plus data.
const SealOverhead = sealedMetaSize + sealedLenSize + gcmTagSize

// MaxStoredSize bounds the meta plus data of an entry that a store is given:
// a record of MaxRecordSize once sealed. Every store accepts entries up to it.
const MaxStoredSize = MaxRecordSize + SealOverhead

// Entry is what a producer appends: meta is small (a partition key, fragment
// timestamps), data is the payload. Both are opaque to the log.
type Entry struct {
	Meta []byte
	Data []byte
}

// Record is a committed entry.
type Record struct {
	Seq    uint64
	Time   int64  // server time, unix nanoseconds; never decreases along the log
	KeyVer uint32 // data-key version it was sealed with (set by SealedLog); 0 when stored in plaintext
	Meta   []byte
	Data   []byte
}

// Appended says where a batch landed: its entries got FirstSeq, FirstSeq+1,
// ... and all share Time.
type Appended struct {
	FirstSeq uint64
	Time     int64
}

// Bounds describes a log's extent: records First..Next-1 are readable.
// First == Next when the log is empty.
type Bounds struct {
	First    uint64
	Next     uint64
	LastTime int64 // time of record Next-1, 0 when empty
}

// Damage is a stretch of a log that cannot be read back: bytes
// Offset..End of a segment file, holding records FromSeq..ToSeq (none when
// ToSeq < FromSeq, as when only framing was hit). Readers pass over it: a
// Read jumps from the record before it to the record after it. Damage
// found above the store (a record SealedLog cannot authenticate) names no
// file; Offset and End are then 0.
type Damage struct {
	File    string `json:"file"`
	Offset  int64  `json:"offset"`
	End     int64  `json:"end"`
	FromSeq uint64 `json:"fromSeq"`
	ToSeq   uint64 `json:"toSeq"`
	Reason  string `json:"reason"`
}

// Lost reports whether the damage took records with it.
func (d Damage) Lost() bool { return d.ToSeq >= d.FromSeq }

// KeySource returns the data key of a version (1, 2, ...). SealedLog calls
// it the first time it seals or opens a record with that version.
type KeySource func(version uint32) ([]byte, error)

// Log is one shard's append-only log. All methods are safe for concurrent use.
type Log interface {
	// Append stores entries durably, in order, and reports their position.
	Append(ctx context.Context, entries []Entry) (Appended, error)
	// Read returns up to max committed records with Seq >= from whose meta
	// plus data fit in maxBytes (at least one record when any is available).
	// A from below the first retained record reads from the first one.
	// The records' memory is the caller's: a log never aliases it to what
	// it keeps or hands out again (SealedLog opens records in place).
	Read(ctx context.Context, from uint64, max, maxBytes int) ([]Record, error)
	// SeekTime returns the sequence number of the first record with Time >= t,
	// or Bounds().Next when there is none.
	SeekTime(ctx context.Context, t int64) (uint64, error)
	// Bounds returns the readable extent.
	Bounds() Bounds
	// SkipTo makes the next record's sequence number at least seq, durably:
	// the numbers passed over are never used. It never moves numbering back.
	SkipTo(ctx context.Context, seq uint64) error
	// Notify returns a channel closed at the next commit (or at Close).
	Notify() <-chan struct{}
	// Damaged lists the stretches known to be unreadable, in sequence order.
	Damaged() []Damage
	// TrimBefore drops whole stored units whose records are all older than t
	// and returns how many records were dropped.
	TrimBefore(t int64) (int, error)
	// Close stops the log; pending appends finish first.
	Close() error
}
