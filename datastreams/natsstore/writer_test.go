package natsstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/shard"
)

// syncBuffer is a buffer a logger may write to from any goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestGroupCommit: many appenders on one log share rounds, and each gets
// its own numbers and the records it appended at them.
func TestGroupCommit(t *testing.T) {
	url, _ := embedded(t, t.TempDir(), 0)
	c := connect(t, url, Config{Prefix: "gc"})
	l, err := c.Store().Open(bg, testID, shard.LogOptions{FirstSeq: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const writers, per, batch = 16, 20, 25
	var mu sync.Mutex
	got := map[uint64][]byte{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range per {
				entries := make([]shard.Entry, batch)
				for j := range entries {
					entries[j] = shard.Entry{Meta: []byte("pk"), Data: fmt.Appendf(nil, "w%d-i%d-j%d", w, i, j)}
				}
				res, err := l.Append(bg, entries)
				if err != nil {
					t.Errorf("append: %v", err)
					return
				}
				mu.Lock()
				for j, e := range entries {
					if _, dup := got[res.FirstSeq+uint64(j)]; dup {
						t.Errorf("sequence %d given twice", res.FirstSeq+uint64(j))
					}
					got[res.FirstSeq+uint64(j)] = e.Data
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	const total = writers * per * batch
	if b := l.Bounds(); b.First != 1000 || b.Next != 1000+total {
		t.Fatalf("bounds %+v, want 1000..%d", b, 1000+total)
	}
	for from := uint64(1000); from < 1000+total; {
		recs, err := l.Read(bg, from, 1000, 1<<30)
		if err != nil || len(recs) == 0 {
			t.Fatalf("read at %d: %d records, %v", from, len(recs), err)
		}
		for _, r := range recs {
			if r.Seq != from || !bytes.Equal(r.Data, got[r.Seq]) {
				t.Fatalf("seq %d (want %d) holds %q, acknowledged %q", r.Seq, from, r.Data, got[r.Seq])
			}
			from++
		}
	}
	if n := l.(*jsLog).rounds.Load(); n >= writers*per {
		t.Logf("%d appends took %d rounds: no grouping happened", writers*per, n)
	} else {
		t.Logf("%d appends took %d rounds", writers*per, n)
	}
}

// clientGoroutines returns the stacks of the goroutines that are not the
// embedded server's (which keeps a few per stream while the stream exists).
func clientGoroutines() []string {
	buf := make([]byte, 4<<20)
	var out []string
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if !strings.Contains(g, "nats-server/v2/server.") {
			out = append(out, g)
		}
	}
	return out
}

// waitGoroutines waits (generously) for the client goroutines to come back
// to at most n, and fails with their stacks if they do not.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		g := clientGoroutines()
		if len(g) <= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before the log was opened:\n%s", len(g), n, strings.Join(g, "\n\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCloseInFlight closes a log while appenders keep it busy: every
// caller is answered (its real outcome or ErrClosed), every acknowledged
// record is there after reopening, and no goroutine is left behind.
func TestCloseInFlight(t *testing.T) {
	url, _ := embedded(t, t.TempDir(), 0)
	c := connect(t, url, Config{Prefix: "cf"})
	// Warm the connection up (its own goroutines) before counting.
	warm, err := c.Store().Open(bg, shard.LogID{Stream: "warm", Shard: "0"}, shard.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, warm, 0, 3, 3)
	warm.Close()
	time.Sleep(100 * time.Millisecond)
	base := len(clientGoroutines())

	for rep := range 5 {
		id := shard.LogID{Stream: "busy", Shard: fmt.Sprint(rep)}
		l, err := c.Store().Open(bg, id, shard.LogOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var (
			mu    sync.Mutex
			acked = map[uint64][]byte{}
			wg    sync.WaitGroup
			start = make(chan struct{})
			first sync.WaitGroup
		)
		first.Add(16)
		for w := range 16 {
			wg.Go(func() {
				once := false
				for i := 0; ; i++ {
					e := shard.Entry{Meta: []byte("pk"), Data: fmt.Appendf(nil, "r%d-w%d-i%d", rep, w, i)}
					res, err := l.Append(bg, []shard.Entry{e, e})
					if !once {
						once = true
						first.Done()
						<-start
					}
					if errors.Is(err, shard.ErrClosed) {
						return
					}
					if err != nil {
						t.Errorf("append: %v", err)
						return
					}
					mu.Lock()
					acked[res.FirstSeq], acked[res.FirstSeq+1] = e.Data, e.Data
					mu.Unlock()
				}
			})
		}
		first.Wait()
		close(start)
		time.Sleep(time.Duration(rep) * 5 * time.Millisecond)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait() // every caller was answered
		if _, err := l.Append(bg, []shard.Entry{entry(0)}); !errors.Is(err, shard.ErrClosed) {
			t.Fatalf("append after close: %v", err)
		}

		l, err = c.Store().Open(bg, id, shard.LogOptions{})
		if err != nil {
			t.Fatal(err)
		}
		recs, err := l.Read(bg, 1, len(acked)+1000, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		have := map[uint64][]byte{}
		for _, r := range recs {
			have[r.Seq] = r.Data
		}
		for seq, data := range acked {
			if !bytes.Equal(have[seq], data) {
				t.Fatalf("acknowledged seq %d (%q) reads %q", seq, data, have[seq])
			}
		}
		t.Logf("round %d: %d records acknowledged before close, %d stored", rep, len(acked), len(recs))
		l.Close()
	}
	waitGoroutines(t, base)
}

// TestCloseStalledServer: Close of a log whose round waits for a server
// that stopped answering (SIGSTOP) still returns, answering the caller
// with ErrClosed, and leaves no goroutine of the log behind.
func TestCloseStalledServer(t *testing.T) {
	p := startProcess(t, t.TempDir(), 0)
	c := connect(t, p.URL, Config{Prefix: "stall"})
	warm, err := c.Store().Open(bg, shard.LogID{Stream: "warm", Shard: "0"}, shard.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, warm, 0, 3, 3)
	warm.Close()
	time.Sleep(100 * time.Millisecond)
	base := len(clientGoroutines())

	l, err := c.Store().Open(bg, testID, shard.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 0, 5, 5)
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer p.cmd.Process.Signal(syscall.SIGCONT)
	// The signal is sent, not yet taken: wait until the kernel shows the
	// server stopped, so that no thread of it still answers the append.
	for deadline := time.Now().Add(20 * time.Second); !stopped(p.cmd.Process.Pid); {
		if time.Now().After(deadline) {
			t.Fatal("nats-server did not stop")
		}
		time.Sleep(5 * time.Millisecond)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := l.Append(context.Background(), []shard.Entry{entry(5)})
		errc <- err
	}()
	// Wait until the round is in flight: the writer took the request.
	deadline := time.Now().Add(20 * time.Second)
	for l.(*jsLog).rounds.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the append never went out")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, shard.ErrClosed) {
		t.Fatalf("append in flight at close: %v, want ErrClosed", err)
	}
	p.cmd.Process.Signal(syscall.SIGCONT)
	waitGoroutines(t, base)
}

// stopped reports whether the process is stopped by a signal (state T in
// /proc/<pid>/stat).
func stopped(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'T'
}
