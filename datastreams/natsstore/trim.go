package natsstore

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/shardcast/shardcast/datastreams/shard"
)

// SkipTo records a break in the bucket before it returns.
func (l *jsLog) SkipTo(ctx context.Context, seq uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.Lock()
	closed, stale := l.closed, l.stale || l.reload
	l.mu.Unlock()
	if closed {
		return shard.ErrClosed
	}
	if stale {
		if err := l.resync(ctx); err != nil {
			return err
		}
	}
	l.mu.Lock()
	next, lastJS, st := l.next, l.lastJS, l.st
	l.mu.Unlock()
	if seq <= next {
		return nil
	}
	st = st.skip(lastJS+1, seq)
	if err := l.saveState(ctx, st); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.first == l.next {
		l.first = seq
	}
	l.st, l.next = st, seq
	return nil
}

// TrimBefore purges the records older than t, record by record: JetStream
// purges up to a sequence, so the cut is exact.
func (l *jsLog) TrimBefore(t int64) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.Lock()
	closed, firstJS, lastJS, next, st := l.closed, l.firstJS, l.lastJS, l.next, l.st
	l.mu.Unlock()
	if closed {
		return 0, shard.ErrClosed
	}
	if firstJS > lastJS {
		return 0, nil
	}
	keep, _, err := l.seekJS(ctx, t, firstJS, lastJS)
	if err != nil || keep <= firstJS {
		return 0, err
	}
	if keep > lastJS && st.Floor < next {
		// Emptying the log: keep the position in the bucket too.
		st.Floor = next
		if err := l.saveState(ctx, st); err != nil {
			return 0, err
		}
		l.mu.Lock()
		l.st.Floor = next
		l.mu.Unlock()
	}
	if err := l.stream.Purge(ctx, jetstream.WithPurgeSequence(keep)); err != nil {
		return 0, fmt.Errorf("natsstore: trim %s: %w", l.id, err)
	}
	// The records are gone; chunks left behind take no reader's time and
	// go with the next trim.
	if err := l.trimChunks(ctx, keep); err != nil {
		l.c.log.Warn("natsstore: trim of large records' chunks failed; the next trim retries", "log", l.id.String(), "err", err)
	}
	l.dropDamageBefore(st.ourSeq(keep))
	l.mu.Lock()
	defer l.mu.Unlock()
	l.firstJS = max(l.firstJS, keep)
	if l.firstJS > l.lastJS {
		l.first = l.next
	} else {
		l.first = l.st.ourSeq(l.firstJS)
	}
	return int(keep - firstJS), nil
}
