package audit

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// line is what a Sink got.
type line struct {
	key  string
	data string
}

// blockingSink takes nothing until release is closed: each Append waits
// for release or its context.
type blockingSink struct {
	entered chan struct{} // one send per Append called
	release chan struct{}
	got     chan line
}

func (s *blockingSink) Append(ctx context.Context, key string, data []byte) error {
	s.entered <- struct{}{}
	select {
	case <-s.release:
		s.got <- line{key, string(data)}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// The file writer and Record never wait for a Sink: with the Sink stuck
// in its first Append, its queue fills and the rest count as SinkFailed
// while the file gets every line.
func TestBlockingSinkNeverBlocksTheLog(t *testing.T) {
	const queue = 4
	sink := &blockingSink{entered: make(chan struct{}, 1000), release: make(chan struct{}), got: make(chan line, 1000)}
	path := filepath.Join(t.TempDir(), "audit.log")
	l := open(t, Config{Path: path, Queue: queue, Sink: sink})

	l.Record(event(0))
	<-sink.entered // the Sink holds line 0 and waits
	const n = 100
	for i := 1; i < n; i++ {
		l.Record(event(i))
		if i%queue == 0 {
			if err := l.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := readEvents(t, path); len(got) != n {
		t.Fatalf("file has %d lines, want %d", len(got), n)
	}
	s := l.Stats()
	if s.Written != n || s.Dropped != 0 || s.SinkFailed != n-1-queue {
		t.Errorf("stats %+v, want Written %d, SinkFailed %d", s, n, n-1-queue)
	}
	close(sink.release)
	// The Sink gets line 0 and the lines its queue held: 1..queue.
	for i := 0; i <= queue; i++ {
		ln := <-sink.got
		e := parseLine(t, []byte(ln.data+"\n"))
		if e.RequestID != strconv.Itoa(i) {
			t.Fatalf("sink line %d is %+v", i, e)
		}
		if ln.key != e.Principal {
			t.Errorf("partition key %q, want the principal", ln.key)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// flakySink fails its first failures calls, then takes every line.
type flakySink struct {
	mu       sync.Mutex
	failures int
	calls    int
	got      chan line
}

func (s *flakySink) Append(_ context.Context, key string, data []byte) error {
	s.mu.Lock()
	s.calls++
	fail := s.calls <= s.failures
	s.mu.Unlock()
	if fail {
		return errors.New("stream unavailable")
	}
	s.got <- line{key, string(data)}
	return nil
}

func TestSinkRecoversInOrder(t *testing.T) {
	const n = 50
	sink := &flakySink{failures: 3, got: make(chan line, n)}
	path := filepath.Join(t.TempDir(), "audit.log")
	l := open(t, Config{Path: path, Sink: sink})
	for i := range n {
		e := event(i)
		if i%3 == 0 {
			e.Principal, e.KeyID = "", "" // anonymous
		}
		l.Record(e)
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	file := readEvents(t, path)
	for i := range n {
		ln := <-sink.got
		e := parseLine(t, []byte(ln.data+"\n"))
		if !sameEvent(e, file[i]) {
			t.Fatalf("sink line %d: %+v, file has %+v", i, e, file[i])
		}
		if want := partitionKey(ptr(event(i))); i%3 == 0 && ln.key != "anonymous" || i%3 != 0 && ln.key != want {
			t.Errorf("line %d: partition key %q", i, ln.key)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if s := l.Stats(); s.SinkFailed != 0 || s.Written != n {
		t.Errorf("stats %+v", s)
	}
}

// Without a file, the lines still reach the Sink.
func TestSinkWithoutFile(t *testing.T) {
	sink := &flakySink{got: make(chan line, 10)}
	l := open(t, Config{Sink: sink})
	for i := range 10 {
		l.Record(event(i))
	}
	for i := range 10 {
		if e := parseLine(t, []byte((<-sink.got).data+"\n")); e.RequestID != strconv.Itoa(i) {
			t.Fatalf("line %d: %+v", i, e)
		}
	}
}
