package audit

import (
	"time"
)

// Backoff between attempts to write a batch the disk refused.
const (
	retryMin = 100 * time.Millisecond
	retryMax = 30 * time.Second
)

// batch is the writer's encoded lines not yet written.
type batch struct {
	buf  []byte   // the lines, each ending in '\n'
	ends []int    // the end offset in buf of each line
	keys []string // each line's partition key (with a Sink only)
	next int      // lines already written
}

// start returns the offset of line i.
func (b *batch) start(i int) int {
	if i == 0 {
		return 0
	}
	return b.ends[i-1]
}

func (b *batch) reset() {
	b.buf, b.ends, b.keys, b.next = b.buf[:0], b.ends[:0], b.keys[:0], 0
}

// run is the writer: it takes what was recorded, encodes it and writes it
// in batches (one write and one fsync a batch, rotating between lines
// when the file would pass MaxBytes), then hands the lines to the Sink.
// A batch the disk refuses is kept and retried with backoff; meanwhile
// the queue fills and Record drops.
func (l *Log) run() {
	defer close(l.done)
	var b batch
	backoff := time.Duration(0)
	for {
		if b.next == len(b.ends) {
			b.reset()
			closing := l.take(&b)
			if len(b.ends) == 0 {
				if closing {
					l.end(nil)
					return
				}
				<-l.wake
				continue
			}
		}
		err := l.write(&b)
		if err == nil {
			backoff = 0
			continue
		}
		l.writeFails.Add(1)
		backoff = min(max(2*backoff, retryMin), retryMax)
		l.log.Error("audit log write failed; the batch is kept and retried", "err", err, "events", len(b.ends)-b.next, "retryIn", backoff)
		if !l.pause(backoff) {
			// Closing: one last attempt, then give up on what is left.
			if err := l.write(&b); err != nil {
				l.mu.Lock()
				lost := uint64(len(b.ends)-b.next) + uint64(len(l.queue))
				l.queue = nil
				l.mu.Unlock()
				l.log.Error("audit log closed with events unwritten", "err", err, "events", lost)
				l.drop(lost, "the disk still failed at Close")
				l.end(err)
				return
			}
		}
	}
}

// take moves the queued events into b, encoded, and reports whether the
// log is closing.
func (l *Log) take(b *batch) bool {
	l.mu.Lock()
	events := l.queue
	l.queue = l.spare[:0]
	closing := l.closing
	l.mu.Unlock()
	for i := range events {
		b.buf = appendLine(b.buf, &events[i])
		b.ends = append(b.ends, len(b.buf))
		if l.sink != nil {
			b.keys = append(b.keys, partitionKey(&events[i]))
		}
	}
	clear(events) // let go of the strings
	l.spare = events
	return closing
}

// write writes the rest of b to the file and the Sink's queue, and
// publishes the progress to Flush.
func (l *Log) write(b *batch) error {
	from := b.next
	var err error
	if l.file != nil {
		var rotations int
		b.next, rotations, err = l.file.write(b.buf, b.ends, b.next)
		l.rotations.Add(uint64(rotations))
	} else {
		b.next = len(b.ends)
	}
	if b.next == from {
		return err
	}
	if l.sink != nil {
		for i := from; i < b.next; i++ {
			data := append([]byte(nil), b.buf[b.start(i):b.ends[i]-1]...) // without the newline
			l.sink.push(b.keys[i], data)
		}
	}
	n := uint64(b.next - from)
	l.written.Add(n)
	l.mu.Lock()
	l.durable += n
	close(l.progress)
	l.progress = make(chan struct{})
	l.mu.Unlock()
	return err
}

// pause waits d, and reports false when the log starts closing meanwhile.
func (l *Log) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		l.mu.Lock()
		closing := l.closing
		l.mu.Unlock()
		if closing {
			return false
		}
		select {
		case <-t.C:
			return true
		case <-l.wake:
		}
	}
}

// end records that the writer returns, and why events were left.
func (l *Log) end(err error) {
	l.mu.Lock()
	l.ended = true
	l.endErr = err
	close(l.progress)
	l.progress = make(chan struct{})
	l.mu.Unlock()
}
