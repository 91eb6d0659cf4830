package firehose

import (
	"context"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
)

// LogRecord is one record of a delivery stream's log, as a reader other
// than the delivery stream's own destinations (an analytics application
// reading the delivery stream as its input) sees it.
type LogRecord struct {
	Seq     uint64    // position in the log; never decreases
	Arrival time.Time // when the record was stored
	Data    []byte
}

// ReadLog returns up to limit records of the delivery stream's log from
// position from on (0 reads from its oldest record kept); an empty answer
// means the reader has caught up.
func (e *Engine) ReadLog(ctx context.Context, name string, from uint64, limit int) ([]LogRecord, error) {
	s, err := e.get(name)
	if err != nil {
		return nil, err
	}
	rt := s.Runtime()
	if rt == nil || rt.log == nil {
		return nil, errorf(registry.ErrResourceNotFound, "Firehose %s under account %s is not ACTIVE.", name, e.cfg.Account)
	}
	recs, err := rt.log.Read(ctx, from, limit, 4<<20)
	out := make([]LogRecord, len(recs))
	for i, r := range recs {
		out[i] = LogRecord{Seq: r.Seq, Arrival: time.Unix(0, r.Time), Data: r.Data}
	}
	return out, err
}

// SeekLog returns the position of the first record of the delivery
// stream's log stored at or after t (the log's end when none was).
func (e *Engine) SeekLog(ctx context.Context, name string, t time.Time) (uint64, error) {
	s, err := e.get(name)
	if err != nil {
		return 0, err
	}
	rt := s.Runtime()
	if rt == nil || rt.log == nil {
		return 0, errorf(registry.ErrResourceNotFound, "Firehose %s under account %s is not ACTIVE.", name, e.cfg.Account)
	}
	b := rt.log.Bounds()
	if b.LastTime < t.UnixNano() {
		return b.Next, nil
	}
	return rt.log.SeekTime(ctx, t.UnixNano())
}
