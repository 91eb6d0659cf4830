package firehose

import (
	"context"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
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
// engine, or the 24-hour limit; HoldLog keeps a position across
// restarts.
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

// HoldLog stores, in the catalog, that reader may read the delivery
// stream's log again from position from on (the position its own
// checkpoint resumes at): retention keeps those records, across restarts
// of the engine, until a later HoldLog, ReleaseLog or the 24-hour limit.
func (e *Engine) HoldLog(ctx context.Context, name, reader string, from uint64) error {
	s, err := e.get(name)
	if err != nil {
		return err
	}
	return updateStored(ctx, s, func(st *stored) error {
		if h, ok := st.Holds[reader]; ok && h == from {
			return registry.ErrUnchanged
		}
		if st.Holds == nil {
			st.Holds = map[string]uint64{}
		}
		st.Holds[reader] = from
		return nil
	})
}

// ReleaseLog lets the delivery stream trim what reader has not read, and
// removes its stored hold.
func (e *Engine) ReleaseLog(ctx context.Context, name, reader string) error {
	s, err := e.get(name)
	if err != nil {
		return err
	}
	if rt := s.Runtime(); rt != nil {
		rt.mu.Lock()
		delete(rt.holds, reader)
		rt.mu.Unlock()
	}
	return updateStored(ctx, s, func(st *stored) error {
		if _, ok := st.Holds[reader]; !ok {
			return registry.ErrUnchanged
		}
		delete(st.Holds, reader)
		return nil
	})
}

// updateStored changes a delivery stream's stored definition through
// fn, which may answer registry.ErrUnchanged to leave it as it is.
func updateStored(ctx context.Context, s *registry.Stream[*stream], fn func(st *stored) error) error {
	_, err := s.Update(ctx, func(def *index.Stream) error {
		st, err := decodeStored(def)
		if err != nil {
			return err
		}
		if err := fn(st); err != nil {
			return err
		}
		st.encode(def)
		return nil
	})
	return err
}
