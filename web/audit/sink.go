package audit

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// Delivery to the Sink: backoff between attempts at one line, and how
// long Close lets it finish what is queued.
const (
	sinkRetryMin = 100 * time.Millisecond
	sinkRetryMax = 10 * time.Second
	sinkGrace    = 5 * time.Second
)

// sinkLine is one line on its way to the Sink.
type sinkLine struct {
	key  string
	data []byte
}

// sinkQueue delivers lines to a Sink from its own goroutine, in order,
// retrying each line until the Sink takes it. Its queue is bounded: the
// writer never waits for it, and a line that finds it full is counted in
// failed.
type sinkQueue struct {
	sink   Sink
	log    *slog.Logger
	failed *atomic.Uint64

	lines  chan sinkLine
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	// The writer's own: lines dropped since the last warning, and when.
	full         uint64
	lastFullWarn time.Time
}

func newSinkQueue(s Sink, size int, log *slog.Logger, failed *atomic.Uint64) *sinkQueue {
	ctx, cancel := context.WithCancel(context.Background())
	q := &sinkQueue{
		sink:   s,
		log:    log,
		failed: failed,
		lines:  make(chan sinkLine, size),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	go q.run()
	return q
}

// push queues a line without waiting. Only the writer calls it.
func (q *sinkQueue) push(key string, data []byte) {
	select {
	case q.lines <- sinkLine{key, data}:
	default:
		q.failed.Add(1)
		q.full++
		if now := time.Now(); now.Sub(q.lastFullWarn) >= time.Minute {
			q.log.Warn("audit sink queue full: lines dropped", "dropped", q.full, "queue", cap(q.lines))
			q.lastFullWarn, q.full = now, 0
		}
	}
}

func (q *sinkQueue) run() {
	defer close(q.done)
	for ln := range q.lines {
		if !q.deliver(ln) {
			q.failed.Add(1)
		}
	}
}

// deliver appends one line, retrying with backoff until it is taken or
// the queue is cancelled.
func (q *sinkQueue) deliver(ln sinkLine) bool {
	backoff := time.Duration(0)
	for attempt := 1; ; attempt++ {
		err := q.sink.Append(q.ctx, ln.key, ln.data)
		if err == nil {
			if attempt > 1 {
				q.log.Info("audit sink recovered", "attempts", attempt)
			}
			return true
		}
		if q.ctx.Err() != nil {
			return false
		}
		backoff = min(max(2*backoff, sinkRetryMin), sinkRetryMax)
		if attempt == 1 || backoff == sinkRetryMax {
			q.log.Warn("audit sink append failed; retrying", "err", err, "attempt", attempt, "retryIn", backoff)
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-q.ctx.Done():
			t.Stop()
			return false
		}
	}
}

// close ends the queue once the writer has stopped: the Sink gets
// sinkGrace to take what is queued, then its context is cancelled and
// whatever is left counts as failed. A Sink that ignores its context is
// left behind after another sinkGrace.
func (q *sinkQueue) close() {
	close(q.lines)
	t := time.NewTimer(sinkGrace)
	defer t.Stop()
	select {
	case <-q.done:
		q.cancel()
		return
	case <-t.C:
	}
	q.cancel()
	t.Reset(sinkGrace)
	select {
	case <-q.done:
	case <-t.C:
		q.log.Warn("audit sink still busy after close; left behind")
	}
}
