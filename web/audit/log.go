package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for the zero values of Config.
const (
	DefaultMaxBytes = 64 << 20
	DefaultKeep     = 5
	DefaultQueue    = 8192
)

// ErrClosed is returned by Flush on a closed Log.
var ErrClosed = errors.New("audit: log closed")

// Sink receives each line as well (a data stream): Append is called from
// the log's own goroutine, never on the request path, one line at a time
// and in the order the lines were written.
type Sink interface {
	Append(ctx context.Context, partitionKey string, data []byte) error
}

// Config configures a Log. The zero value of each field takes its
// default.
type Config struct {
	Path     string // the file, e.g. <data-dir>/audit/audit.log; "" writes no file
	MaxBytes int64  // rotate when the file would pass this (default 64 MiB)
	Keep     int    // rotated files kept: audit.log.1 (newest) .. audit.log.N (default 5)
	Sink     Sink   // optional
	Queue    int    // events buffered between callers and the writer (default 8192); the Sink's own queue holds as many lines
	Logger   *slog.Logger
	Now      func() time.Time
}

// Stats counts what a Log did since Open.
type Stats struct {
	Written    uint64 // events written (and fsynced, when there is a file)
	Dropped    uint64 // events refused because the queue was full, or unwritten at Close
	SinkFailed uint64 // lines the Sink never got: its queue was full, or it still failed at Close
	Rotations  uint64 // files rotated
	WriteFails uint64 // failed attempts to write or fsync a batch (each retried)
}

// Log is the audit log. Its methods are safe for concurrent use.
type Log struct {
	cfg Config
	log *slog.Logger
	now func() time.Time

	mu       sync.Mutex
	queue    []Event       // recorded, not yet taken by the writer
	spare    []Event       // the writer's last batch, reused as the next queue
	recorded uint64        // events accepted by Record
	durable  uint64        // of those, events written
	progress chan struct{} // closed and replaced when durable grows or the writer ends
	closing  bool
	ended    bool  // the writer has returned
	endErr   error // why the last events could not be written, at Close

	wake chan struct{} // a one-slot doorbell for the writer
	done chan struct{} // closed when the writer has returned

	written, dropped, sinkFailed, rotations, writeFails atomic.Uint64
	droppedLogged                                       atomic.Uint64 // dropped count at the last warning
	lastDropLog                                         atomic.Int64  // unix nanoseconds of the last warning

	file *file // nil without Path; the writer's alone after Open
	sink *sinkQueue
}

// Open opens (or creates, with its directory) the file at cfg.Path for
// appending and starts the writer, and the Sink's goroutine when there is
// one.
func Open(cfg Config) (*Log, error) {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Keep <= 0 {
		cfg.Keep = DefaultKeep
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	l := &Log{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "audit"),
		now:      cfg.Now,
		queue:    make([]Event, 0, min(cfg.Queue, 256)),
		progress: make(chan struct{}),
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	if cfg.Path != "" {
		f, err := openFile(cfg.Path, cfg.MaxBytes, cfg.Keep)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		l.file = f
	}
	if cfg.Sink != nil {
		l.sink = newSinkQueue(cfg.Sink, cfg.Queue, l.log, &l.sinkFailed)
	}
	go l.run()
	return l, nil
}

// Record queues e, filling e.Time with Config.Now when zero. It never
// blocks on the disk or the Sink: when the queue is full it counts the
// event as dropped (Stats.Dropped), and warns at most once a minute with
// the count. Events recorded after Close are dropped too.
func (l *Log) Record(e Event) {
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	l.mu.Lock()
	if l.closing || len(l.queue) >= l.cfg.Queue {
		closing := l.closing
		l.mu.Unlock()
		if closing {
			l.drop(1, "the log is closed")
		} else {
			l.drop(1, "the queue is full")
		}
		return
	}
	l.queue = append(l.queue, e)
	l.recorded++
	first := len(l.queue) == 1
	l.mu.Unlock()
	if first {
		l.ring()
	}
}

// ring wakes the writer.
func (l *Log) ring() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// drop counts n dropped events and warns, with why, when the last
// warning is a minute old.
func (l *Log) drop(n uint64, why string) {
	total := l.dropped.Add(n)
	now := l.now().UnixNano()
	last := l.lastDropLog.Load()
	if now-last < int64(time.Minute) || !l.lastDropLog.CompareAndSwap(last, now) {
		return
	}
	since := total - l.droppedLogged.Swap(total)
	l.log.Warn("audit events dropped", "reason", why, "dropped", since, "droppedTotal", total, "queue", l.cfg.Queue)
}

// Flush waits until every event recorded before it is written and
// fsynced, or until ctx ends. On a full disk it waits for the writer's
// retries to succeed.
func (l *Log) Flush(ctx context.Context) error {
	l.mu.Lock()
	target := l.recorded
	l.mu.Unlock()
	l.ring()
	for {
		l.mu.Lock()
		durable, ended, ch, endErr := l.durable, l.ended, l.progress, l.endErr
		l.mu.Unlock()
		if durable >= target {
			return nil
		}
		if ended {
			if endErr != nil {
				return endErr
			}
			return ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("audit: flush: %w", ctx.Err())
		}
	}
}

// Close flushes, stops the writer and closes the file. On a disk that
// still fails, the events it could not write are counted as dropped and
// the write error is returned. The Sink gets a short grace to take the
// lines queued for it (sinkGrace), then its context is cancelled.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		<-l.done
		return nil
	}
	l.closing = true
	l.mu.Unlock()
	l.ring()
	<-l.done
	if l.sink != nil {
		l.sink.close()
	}
	if n := l.dropped.Load() - l.droppedLogged.Load(); n > 0 {
		l.log.Warn("audit events dropped", "dropped", n, "droppedTotal", l.dropped.Load())
	}
	l.mu.Lock()
	err := l.endErr
	l.mu.Unlock()
	if l.file != nil {
		if cerr := l.file.close(); cerr != nil && err == nil {
			err = fmt.Errorf("audit: %w", cerr)
		}
	}
	return err
}

// Stats returns the counters.
func (l *Log) Stats() Stats {
	return Stats{
		Written:    l.written.Load(),
		Dropped:    l.dropped.Load(),
		SinkFailed: l.sinkFailed.Load(),
		Rotations:  l.rotations.Load(),
		WriteFails: l.writeFails.Load(),
	}
}
