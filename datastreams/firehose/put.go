package firehose

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
)

// Limits of PutRecord and PutRecordBatch.
const (
	MaxRecordBytes = 1000 * 1024
	MaxBatchBytes  = 4 << 20
	MaxBatchCount  = 500
)

// PutResult is the answer for one record.
type PutResult struct {
	RecordID     string `json:"RecordId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// Put appends records durably (the answer comes after the log's fsync)
// and returns their ids and whether they were sealed. Sizes are checked
// by the caller (the handler's validation).
func (e *Engine) Put(ctx context.Context, name string, data [][]byte) ([]PutResult, bool, error) {
	s, err := e.get(name)
	if err != nil {
		return nil, false, err
	}
	def := s.Def()
	st := mustStored(def)
	if st.Type != TypeDirectPut {
		return nil, false, errorf(registry.ErrInvalidArgument, "This operation is not permitted on KinesisStreamAsSource delivery stream type.")
	}
	if def.Status != StatusActive {
		return nil, false, errorf(registry.ErrResourceNotFound, "Firehose %s under account %s is not ACTIVE.", name, e.cfg.Account)
	}
	entries := make([]shard.Entry, len(data))
	for i, d := range data {
		entries[i] = shard.Entry{Data: d}
	}
	app, err := s.Runtime().log.Append(ctx, entries)
	if err != nil {
		if errors.Is(err, shard.ErrDiskFull) {
			return nil, false, errorf(registry.ErrUnavailable, "Slow down.")
		}
		return nil, false, fmt.Errorf("%w: firehose: append to %s: %w", registry.ErrInternal, name, err)
	}
	out := make([]PutResult, len(data))
	ids := newRecordIDs(def.ID)
	for i := range out {
		out[i].RecordID = ids.id(app.FirstSeq + uint64(i))
	}
	return out, def.Encryption.KeyVersion != 0, nil
}

// recordIDs makes the record ids of one stream: opaque, stable, the same
// in PutRecord's answer and in delivery (they derive from the log position).
type recordIDs struct{ tail []byte }

func newRecordIDs(streamID string) recordIDs {
	tail, err := hex.DecodeString(streamID)
	if err != nil {
		tail = nil
	}
	return recordIDs{tail: append(tail, 0x46, 0x48)} // pads the id to a base64 boundary
}

func (r recordIDs) id(seq uint64) string {
	var b [32]byte
	binary.BigEndian.PutUint64(b[:8], seq)
	n := 8 + copy(b[8:], r.tail)
	return base64.StdEncoding.EncodeToString(b[:n])
}
