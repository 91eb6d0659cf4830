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
// means the reader has caught up. The log keeps what reader (a name
// unique among the stream's readers) has not read yet, even when every
// destination has delivered it, until ReleaseLog, a restart of the
// engine, or the 24-hour limit.
func (e *Engine) ReadLog(ctx context.Context, name, reader string, from uint64, limit int) ([]LogRecord, error) {
	s, err := e.get(name)
	if err != nil {
		return nil, err
	}
	rt := s.Runtime()
	if rt == nil || rt.log == nil {
		return nil, errorf(registry.ErrResourceNotFound, "Firehose %s under account %s is not ACTIVE.", name, e.cfg.Account)
	}
	rt.mu.Lock()
	if rt.holds == nil {
		rt.holds = map[string]uint64{}
	}
	rt.holds[reader] = from
	rt.mu.Unlock()
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

// ReleaseLog lets the delivery stream trim what reader has not read.
func (e *Engine) ReleaseLog(name, reader string) {
	s, err := e.get(name)
	if err != nil {
		return
	}
	if rt := s.Runtime(); rt != nil {
		rt.mu.Lock()
		delete(rt.holds, reader)
		rt.mu.Unlock()
	}
}
