package natsstore

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/shardcast/shardcast/datastreams/shard"
)

// Read fetches records with direct gets, readWindow at a time.
func (l *jsLog) Read(ctx context.Context, from uint64, max, maxBytes int) ([]shard.Record, error) {
	reload := l.reloadNeeded()
	for attempt := 0; ; attempt++ {
		if reload {
			// Another process moved the numbering: reload it.
			st, err := l.loadState(ctx)
			if err != nil {
				return nil, err
			}
			l.mu.Lock()
			l.st, l.reload = st, false
			l.mu.Unlock()
		}
		recs, mismatch, err := l.read(ctx, from, max, maxBytes)
		if err != nil || !mismatch || attempt > 0 {
			return recs, err
		}
		reload = true
	}
}

func (l *jsLog) read(ctx context.Context, from uint64, max, maxBytes int) (out []shard.Record, mismatch bool, err error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, false, shard.ErrClosed
	}
	st, firstJS, lastJS := l.st, l.firstJS, l.lastJS
	l.mu.Unlock()
	cur := st.jsSeq(from)
	if cur < firstJS {
		cur = firstJS
	}
	total := 0
	var bigs []*bigRead
	for cur <= lastJS && len(out) < max {
		n := min(uint64(max-len(out)), lastJS-cur+1, readWindow)
		msgs := make([]*jetstream.RawStreamMsg, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { msgs[i], errs[i] = l.stream.GetMsg(ctx, cur+i) })
		}
		wg.Wait()
		// Choose the records to return by their sizes (a large record's
		// is in its header), then fetch the chunks of those alone.
		next, full := cur+n, false
		first := len(out)
		bigs = bigs[:0]
		for i := range n {
			if errors.Is(errs[i], jetstream.ErrMsgNotFound) {
				continue // trimmed meanwhile
			}
			if errs[i] != nil {
				return out, mismatch, fmt.Errorf("natsstore: read %s at %d: %w", l.id, cur+i, errs[i])
			}
			seq, t, err := recordHeader(msgs[i].Header)
			if err != nil {
				return out, mismatch, err
			}
			if seq != st.ourSeq(cur+i) {
				mismatch = true
			}
			if seq < from {
				continue
			}
			rec := shard.Record{Seq: seq, Time: t}
			ref, isBig, err := parseChunkRef(msgs[i].Header)
			var sz int
			switch {
			case err != nil:
				l.addDamage(shard.Damage{File: l.name, FromSeq: seq, ToSeq: seq, Reason: err.Error()})
				continue
			case isBig:
				sz = ref.metaLen + ref.dataLen
			default:
				if rec.Meta, rec.Data, err = unframe(msgs[i].Data); err != nil {
					return out, mismatch, err
				}
				sz = len(rec.Meta) + len(rec.Data)
			}
			if len(out) > 0 && total+sz > maxBytes {
				next, full = cur+i, true
				break
			}
			total += sz
			out = append(out, rec)
			if isBig {
				bigs = append(bigs, &bigRead{js: cur + i, ref: ref, idx: len(out) - 1})
			}
			if total >= maxBytes || len(out) >= max {
				next, full = cur+i+1, true
				break
			}
		}
		if len(bigs) > 0 {
			var lost int
			if out, lost, err = l.readBig(ctx, out, first, bigs); err != nil {
				return out[:first], mismatch, err
			}
			if lost > 0 {
				// Records passed over free their room: read on after
				// the last one chosen.
				total -= lost
				full = false
			}
		}
		if full {
			break
		}
		cur = next
	}
	return out, mismatch, nil
}

// readBig fetches the chunks of the large records among out[first:] and
// fills them in; those that cannot be read back are reported as damage and
// removed from out (lost is their size), and those trimmed meanwhile are
// removed without a report.
func (l *jsLog) readBig(ctx context.Context, out []shard.Record, first int, bigs []*bigRead) ([]shard.Record, int, error) {
	for _, b := range bigs {
		b.rec = &out[b.idx]
	}
	if err := l.fetchChunks(ctx, bigs); err != nil {
		return out, 0, err
	}
	drop := map[int]bool{}
	lost := 0
	for _, b := range bigs {
		if b.bad == "" {
			continue
		}
		drop[b.idx] = true
		lost += b.ref.metaLen + b.ref.dataLen
		// A trim removes the record before its chunks: a record gone
		// meanwhile is no damage.
		if _, err := l.stream.GetMsg(ctx, b.js); errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		} else if err != nil {
			return out, 0, fmt.Errorf("natsstore: read %s at %d: %w", l.id, b.js, err)
		}
		l.addDamage(shard.Damage{File: l.bigName, Offset: int64(b.ref.first), End: int64(b.ref.first) + int64(b.ref.count),
			FromSeq: b.rec.Seq, ToSeq: b.rec.Seq, Reason: "large record: " + b.bad})
	}
	if len(drop) == 0 {
		return out, 0, nil
	}
	kept := out[:first]
	for i := first; i < len(out); i++ {
		if !drop[i] {
			kept = append(kept, out[i])
		}
	}
	clear(out[len(kept):])
	return kept, lost, nil
}

// seekJS returns the first JetStream sequence in firstJS..lastJS whose
// record's time is >= t, lastJS+1 when none, and that record's number.
// Records trimmed meanwhile count as older than t.
func (l *jsLog) seekJS(ctx context.Context, t int64, firstJS, lastJS uint64) (uint64, uint64, error) {
	lo, hi := firstJS, lastJS+1
	var seq uint64
	for lo < hi {
		mid := lo + (hi-lo)/2
		m, err := l.stream.GetMsg(ctx, mid)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			lo = mid + 1
			continue
		}
		if err != nil {
			return 0, 0, fmt.Errorf("natsstore: seek %s at %d: %w", l.id, mid, err)
		}
		s, mt, err := recordHeader(m.Header)
		if err != nil {
			return 0, 0, err
		}
		if mt >= t {
			hi, seq = mid, s
		} else {
			lo = mid + 1
		}
	}
	return lo, seq, nil
}

// SeekTime binary-searches the records' time headers with direct gets.
func (l *jsLog) SeekTime(ctx context.Context, t int64) (uint64, error) {
	l.mu.Lock()
	firstJS, lastJS, next, closed := l.firstJS, l.lastJS, l.next, l.closed
	l.mu.Unlock()
	if closed {
		return 0, shard.ErrClosed
	}
	js, seq, err := l.seekJS(ctx, t, firstJS, lastJS)
	if err != nil {
		return 0, err
	}
	if js > lastJS {
		return next, nil
	}
	return seq, nil
}
