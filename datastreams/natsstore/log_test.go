package natsstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/shard"
)

var bg = context.Background()

// env is one test's view of a NATS server: a prefix of its own and a clock.
type env struct {
	t      *testing.T
	url    string
	prefix string
	clock  *clock
}

func (e *env) conn() *Conn {
	return connect(e.t, e.url, Config{Prefix: e.prefix, Now: e.clock.now})
}

func (e *env) open(c *Conn, id shard.LogID, o shard.LogOptions) shard.Log {
	e.t.Helper()
	l, err := c.Store().Open(bg, id, o)
	if err != nil {
		e.t.Fatalf("open %s: %v", id, err)
	}
	e.t.Cleanup(func() { l.Close() })
	return l
}

var testID = shard.LogID{Stream: "s-1.a/b", Shard: "shardId-000000000000"}

func entry(i int) shard.Entry {
	return shard.Entry{Meta: fmt.Appendf(nil, "pk-%d", i), Data: bytes.Repeat([]byte{byte(i)}, 10+i%200)}
}

func appendN(t *testing.T, l shard.Log, from, n, per int) {
	t.Helper()
	for i := from; i < from+n; i += per {
		var batch []shard.Entry
		for j := i; j < i+per && j < from+n; j++ {
			batch = append(batch, entry(j))
		}
		if _, err := l.Append(bg, batch); err != nil {
			t.Fatalf("append: %v", err)
		}
	}
}

func checkRecords(t *testing.T, recs []shard.Record, firstSeq uint64, firstEntry int) {
	t.Helper()
	for i, r := range recs {
		want := entry(firstEntry + i)
		if r.Seq != firstSeq+uint64(i) {
			t.Fatalf("record %d: seq %d, want %d", i, r.Seq, firstSeq+uint64(i))
		}
		if !bytes.Equal(r.Meta, want.Meta) || !bytes.Equal(r.Data, want.Data) {
			t.Fatalf("record seq %d: got meta %q data %d bytes, want %q %d bytes", r.Seq, r.Meta, len(r.Data), want.Meta, len(want.Data))
		}
		if i > 0 && r.Time < recs[i-1].Time {
			t.Fatalf("record seq %d: time went backwards", r.Seq)
		}
	}
}

// logTests are run against the embedded server and a nats-server process.
var logTests = []struct {
	name string
	fn   func(t *testing.T, e *env)
}{
	{"AppendRead", testAppendRead},
	{"ReadLimits", testReadLimits},
	{"SeekTime", testSeekTime},
	{"FirstSeqSkipToReopen", testSkipTo},
	{"Trim", testTrim},
	{"NotifyAcrossConns", testNotifyAcrossConns},
	{"Concurrent", testConcurrent},
	{"CloseTooLarge", testCloseTooLarge},
	{"LogsRemove", testLogsRemove},
	{"BigRecords", testBigRecords},
	{"Catalog", testCatalog},
	{"Keyring", testKeyring},
}

func runLogTests(t *testing.T, url string) {
	for i, tc := range logTests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, &env{t: t, url: url, prefix: fmt.Sprintf("t%d-%d", i, time.Now().UnixNano()), clock: newClock()})
		})
	}
}

func TestEmbedded(t *testing.T) {
	url, _ := embedded(t, t.TempDir(), 0)
	runLogTests(t, url)
}

func testAppendRead(t *testing.T, e *env) {
	l := e.open(e.conn(), testID, shard.LogOptions{})
	if b := l.Bounds(); b.First != 1 || b.Next != 1 {
		t.Fatalf("empty bounds %+v", b)
	}
	if recs, err := l.Read(bg, 1, 10, 1<<20); err != nil || len(recs) != 0 {
		t.Fatalf("read empty: %v %d", err, len(recs))
	}
	res, err := l.Append(bg, []shard.Entry{entry(0), entry(1), entry(2)})
	if err != nil || res.FirstSeq != 1 {
		t.Fatalf("append: %+v %v", res, err)
	}
	appendN(t, l, 3, 297, 7)
	if b := l.Bounds(); b.First != 1 || b.Next != 301 {
		t.Fatalf("bounds %+v", b)
	}
	recs, err := l.Read(bg, 1, 1000, 1<<30)
	if err != nil || len(recs) != 300 {
		t.Fatalf("read: %v, %d records", err, len(recs))
	}
	checkRecords(t, recs, 1, 0)
	for _, from := range []uint64{2, 77, 150, 299, 300} {
		recs, err := l.Read(bg, from, 1000, 1<<30)
		if err != nil || len(recs) != int(301-from) {
			t.Fatalf("read from %d: %v, %d", from, err, len(recs))
		}
		checkRecords(t, recs, from, int(from-1))
	}
	if recs, _ := l.Read(bg, 301, 10, 1<<20); len(recs) != 0 {
		t.Fatalf("read past end returned %d", len(recs))
	}
	// A batch shares one time, and times never go back even when the
	// clock does.
	e.clock.add(-time.Hour)
	res2, err := l.Append(bg, []shard.Entry{entry(300), entry(301)})
	if err != nil || res2.Time < res.Time {
		t.Fatalf("append with the clock back: %+v %v (before %d)", res2, err, res.Time)
	}
	recs, _ = l.Read(bg, 301, 10, 1<<20)
	if len(recs) != 2 || recs[0].Time != res2.Time || recs[1].Time != res2.Time {
		t.Fatalf("batch times %+v, want %d", recs, res2.Time)
	}
	// Records survive a close and a new connection.
	l.Close()
	l2 := e.open(e.conn(), testID, shard.LogOptions{})
	if b := l2.Bounds(); b.First != 1 || b.Next != 303 || b.LastTime != res2.Time {
		t.Fatalf("bounds after reopen %+v", b)
	}
	recs, err = l2.Read(bg, 1, 1000, 1<<30)
	if err != nil || len(recs) != 302 {
		t.Fatalf("read after reopen: %v %d", err, len(recs))
	}
	checkRecords(t, recs, 1, 0)
}

func testReadLimits(t *testing.T, e *env) {
	l := e.open(e.conn(), testID, shard.LogOptions{})
	appendN(t, l, 0, 150, 150)
	if recs, _ := l.Read(bg, 1, 7, 1<<20); len(recs) != 7 {
		t.Fatalf("max records: got %d", len(recs))
	}
	// entry(i) is len("pk-i") + 10+i bytes; the first three are 14+15+16 = 45.
	if recs, _ := l.Read(bg, 1, 100, 45); len(recs) != 3 {
		t.Fatalf("max bytes 45: got %d records", len(recs))
	}
	if recs, _ := l.Read(bg, 1, 100, 1); len(recs) != 1 {
		t.Fatalf("a record over maxBytes must still be returned alone, got %d", len(recs))
	}
	// More than one window of direct gets.
	recs, err := l.Read(bg, 3, 140, 1<<30)
	if err != nil || len(recs) != 140 {
		t.Fatalf("read 140: %d %v", len(recs), err)
	}
	checkRecords(t, recs, 3, 2)
}

func testSeekTime(t *testing.T, e *env) {
	l := e.open(e.conn(), testID, shard.LogOptions{})
	if seq, err := l.SeekTime(bg, 0); err != nil || seq != 1 {
		t.Fatalf("seek on empty: %d %v", seq, err)
	}
	var times []int64
	for i := 0; i < 40; i++ {
		res, err := l.Append(bg, []shard.Entry{entry(2 * i), entry(2*i + 1)})
		if err != nil {
			t.Fatal(err)
		}
		times = append(times, res.Time)
		e.clock.add(time.Second)
	}
	for i, ts := range times {
		if seq, err := l.SeekTime(bg, ts); err != nil || seq != uint64(2*i+1) {
			t.Fatalf("seek %d: got %d %v, want %d", i, seq, err, 2*i+1)
		}
		if seq, _ := l.SeekTime(bg, ts-1); seq != uint64(2*i+1) {
			t.Fatalf("seek just before batch %d: got %d", i, seq)
		}
	}
	if seq, _ := l.SeekTime(bg, 0); seq != 1 {
		t.Fatalf("seek 0: %d", seq)
	}
	if seq, _ := l.SeekTime(bg, times[len(times)-1]+1); seq != 81 {
		t.Fatalf("seek after last: %d, want 81", seq)
	}
}

func testSkipTo(t *testing.T, e *env) {
	c := e.conn()
	l := e.open(c, testID, shard.LogOptions{FirstSeq: 500})
	if b := l.Bounds(); b.First != 500 || b.Next != 500 {
		t.Fatalf("FirstSeq bounds %+v", b)
	}
	appendN(t, l, 0, 5, 2)
	if err := l.SkipTo(bg, 3); err != nil {
		t.Fatal(err)
	}
	if err := l.SkipTo(bg, 505); err != nil || l.Bounds().Next != 505 {
		t.Fatalf("skip to the end: %v %+v", err, l.Bounds())
	}
	if err := l.SkipTo(bg, 1000); err != nil {
		t.Fatal(err)
	}
	if b := l.Bounds(); b.First != 500 || b.Next != 1000 {
		t.Fatalf("bounds after skip %+v", b)
	}
	e.clock.add(time.Second)
	res, err := l.Append(bg, []shard.Entry{entry(5), entry(6)})
	if err != nil || res.FirstSeq != 1000 {
		t.Fatalf("append after skip: %+v %v", res, err)
	}
	check := func(l shard.Log) {
		t.Helper()
		recs, err := l.Read(bg, 1, 100, 1<<20)
		if err != nil || len(recs) != 7 {
			t.Fatalf("read across the gap: %d records, %v", len(recs), err)
		}
		checkRecords(t, recs[:5], 500, 0)
		checkRecords(t, recs[5:], 1000, 5)
		if recs, _ := l.Read(bg, 600, 100, 1<<20); len(recs) != 2 || recs[0].Seq != 1000 {
			t.Fatalf("read from inside the gap: %+v", recs)
		}
		if seq, _ := l.SeekTime(bg, e.clock.unix()); seq != 1000 {
			t.Fatalf("seek to the newest time: %d", seq)
		}
	}
	check(l)
	// A skip at the end survives a reopen (nothing appended after it),
	// so does the numbering before it.
	if err := l.SkipTo(bg, 5000); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l = e.open(e.conn(), testID, shard.LogOptions{FirstSeq: 7}) // FirstSeq only counts for a new log
	if b := l.Bounds(); b.First != 500 || b.Next != 5000 {
		t.Fatalf("after reopen bounds %+v", b)
	}
	check(l)
	if res, err := l.Append(bg, []shard.Entry{entry(7)}); err != nil || res.FirstSeq != 5000 {
		t.Fatalf("append after reopen: %+v %v", res, err)
	}
	// A skip on an empty log moves First too.
	l2 := e.open(c, shard.LogID{Stream: "other", Shard: "s"}, shard.LogOptions{})
	if err := l2.SkipTo(bg, 42); err != nil {
		t.Fatal(err)
	}
	if b := l2.Bounds(); b.First != 42 || b.Next != 42 {
		t.Fatalf("skip on an empty log: %+v", b)
	}
}

func testTrim(t *testing.T, e *env) {
	l := e.open(e.conn(), testID, shard.LogOptions{})
	for i := 0; i < 100; i++ {
		appendN(t, l, i, 1, 1)
		e.clock.add(time.Minute)
	}
	cut := e.clock.unix() - int64(50*time.Minute)
	n, err := l.TrimBefore(cut)
	if err != nil {
		t.Fatal(err)
	}
	b := l.Bounds()
	if n != 50 || b.First != 51 || b.Next != 101 {
		t.Fatalf("trim removed %d, bounds %+v", n, b)
	}
	recs, _ := l.Read(bg, 1, 1000, 1<<30)
	if len(recs) != 50 || recs[0].Seq != 51 {
		t.Fatalf("after trim read %d", len(recs))
	}
	checkRecords(t, recs, 51, 50)
	if seq, _ := l.SeekTime(bg, 0); seq != 51 {
		t.Fatalf("seek 0 after trim: %d", seq)
	}
	if n, err := l.TrimBefore(cut); n != 0 || err != nil {
		t.Fatalf("second trim: %d %v", n, err)
	}
	// Everything expires; the position is kept, also across a reopen.
	e.clock.add(time.Hour)
	if n, err := l.TrimBefore(e.clock.unix()); n != 50 || err != nil {
		t.Fatalf("full trim: %d %v", n, err)
	}
	if b := l.Bounds(); b.First != 101 || b.Next != 101 {
		t.Fatalf("after full trim bounds %+v", b)
	}
	l.Close()
	l = e.open(e.conn(), testID, shard.LogOptions{})
	if b := l.Bounds(); b.First != 101 || b.Next != 101 {
		t.Fatalf("after full trim and reopen bounds %+v", b)
	}
	res, err := l.Append(bg, []shard.Entry{entry(100)})
	if err != nil || res.FirstSeq != 101 {
		t.Fatalf("append after full trim: %+v %v", res, err)
	}
	recs, _ = l.Read(bg, 1, 10, 1<<20)
	if len(recs) != 1 || recs[0].Seq != 101 {
		t.Fatalf("read after full trim: %+v", recs)
	}
}

// testNotifyAcrossConns: a second connection (another server process)
// sees the first one's appends through the stream itself.
func testNotifyAcrossConns(t *testing.T, e *env) {
	writer := e.open(e.conn(), testID, shard.LogOptions{})
	reader := e.open(e.conn(), testID, shard.LogOptions{})
	for i := 0; i < 3; i++ {
		ch, own := reader.Notify(), writer.Notify()
		appendN(t, writer, i, 1, 1)
		select {
		case <-own:
		default:
			t.Fatal("the writer's own notify was not closed by its acked append")
		}
		select {
		case <-ch:
		case <-time.After(20 * time.Second):
			t.Fatalf("append %d did not wake the other connection's reader", i)
		}
		if b := reader.Bounds(); b.Next != uint64(i+2) || b.First != 1 {
			t.Fatalf("reader bounds %+v after append %d", b, i)
		}
		recs, err := reader.Read(bg, uint64(i+1), 10, 1<<20)
		if err != nil || len(recs) != 1 {
			t.Fatalf("reader read %d %v", len(recs), err)
		}
		checkRecords(t, recs, uint64(i+1), i)
	}
	// A skip made by the writer is followed by the reader's reads.
	if err := writer.SkipTo(bg, 100); err != nil {
		t.Fatal(err)
	}
	ch := reader.Notify()
	appendN(t, writer, 3, 1, 1)
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatal("append after skip did not wake the reader")
	}
	recs, err := reader.Read(bg, 50, 10, 1<<20)
	if err != nil || len(recs) != 1 || recs[0].Seq != 100 {
		t.Fatalf("reader after the writer skipped: %+v %v", recs, err)
	}
}

func testConcurrent(t *testing.T, e *env) {
	l := e.open(e.conn(), testID, shard.LogOptions{})
	const writers, per = 8, 40
	var mu sync.Mutex
	seen := map[uint64]shard.Entry{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var readErr atomic.Value
	done := make(chan struct{})
	go func() {
		defer close(done)
		next := uint64(1)
		for {
			ch := l.Notify()
			recs, err := l.Read(bg, next, 100, 1<<20)
			if err != nil {
				readErr.Store(err)
				return
			}
			for _, r := range recs {
				if r.Seq != next {
					readErr.Store(fmt.Errorf("tail read seq %d, want %d", r.Seq, next))
					return
				}
				next++
			}
			if len(recs) > 0 {
				continue
			}
			select {
			case <-ch:
			case <-stop:
				return
			}
		}
	}()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				en := shard.Entry{Meta: fmt.Appendf(nil, "w%d", w), Data: fmt.Appendf(nil, "w%d-i%d", w, i)}
				res, err := l.Append(bg, []shard.Entry{en, en})
				if err != nil {
					t.Errorf("append: %v", err)
					return
				}
				mu.Lock()
				for _, s := range []uint64{res.FirstSeq, res.FirstSeq + 1} {
					if _, dup := seen[s]; dup {
						t.Errorf("sequence %d given twice", s)
					}
					seen[s] = en
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	close(stop)
	<-done
	if err, _ := readErr.Load().(error); err != nil {
		t.Fatal(err)
	}
	recs, err := l.Read(bg, 1, 2*writers*per+10, 1<<30)
	if err != nil || len(recs) != 2*writers*per {
		t.Fatalf("read %d records, err %v", len(recs), err)
	}
	for _, r := range recs {
		if en := seen[r.Seq]; !bytes.Equal(en.Data, r.Data) || !bytes.Equal(en.Meta, r.Meta) {
			t.Fatalf("seq %d holds %q, acknowledged %q", r.Seq, r.Data, en.Data)
		}
	}
}

func testCloseTooLarge(t *testing.T, e *env) {
	c := e.conn()
	l := e.open(c, testID, shard.LogOptions{})
	if _, err := l.Append(bg, []shard.Entry{entry(0), {Data: make([]byte, shard.MaxStoredSize+1)}}); !errors.Is(err, shard.ErrTooLarge) {
		t.Fatalf("over MaxStoredSize: %v", err)
	}
	if b := l.Bounds(); b.Next != 1 {
		t.Fatalf("a refused append changed the log: %+v", b)
	}
	appendN(t, l, 0, 3, 3)
	ch := l.Notify()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake tailing readers")
	}
	if _, err := l.Append(bg, []shard.Entry{entry(3)}); !errors.Is(err, shard.ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if err := l.SkipTo(bg, 10); !errors.Is(err, shard.ErrClosed) {
		t.Fatalf("skip after close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

func testLogsRemove(t *testing.T, e *env) {
	c := e.conn()
	st := c.Store()
	ids := []shard.LogID{testID, {Stream: "x_y", Shard: "1"}, {Stream: "x", Shard: "y_1"}}
	for _, id := range ids {
		l := e.open(c, id, shard.LogOptions{FirstSeq: 10})
		appendN(t, l, 0, 2, 2)
		l.Close()
	}
	// Another prefix's logs are not listed.
	other := connect(t, e.url, Config{Prefix: e.prefix + "-other"})
	e.open(other, testID, shard.LogOptions{}).Close()
	got, err := st.Logs(bg)
	if err != nil || len(got) != len(ids) {
		t.Fatalf("logs %v %v", got, err)
	}
	for _, id := range ids {
		found := false
		for _, g := range got {
			found = found || g == id
		}
		if !found {
			t.Fatalf("%v not listed in %v", id, got)
		}
	}
	if err := st.Remove(bg, ids[1]); err != nil {
		t.Fatal(err)
	}
	if err := st.Remove(bg, ids[1]); err != nil {
		t.Fatalf("removing an absent log: %v", err)
	}
	if got, _ := st.Logs(bg); len(got) != 2 {
		t.Fatalf("after remove: %v", got)
	}
	// Opened again, it is a new log, numbered from its FirstSeq.
	l := e.open(c, ids[1], shard.LogOptions{FirstSeq: 3})
	if b := l.Bounds(); b.First != 3 || b.Next != 3 {
		t.Fatalf("reopened after remove: %+v", b)
	}
}

// TestProcess runs the same checks against Debian's nats-server as a real
// process (2.9 there: nothing newer may be relied on), then kills it with
// SIGKILL and starts it again over the same directory: every acked record,
// the numbering and a full trim's position survive.
func TestProcess(t *testing.T) {
	dir := t.TempDir()
	p := startProcess(t, dir, 0)
	runLogTests(t, p.URL)

	e := &env{t: t, url: p.URL, prefix: "crash", clock: newClock()}
	c := e.conn()
	l, err := c.Store().Open(bg, testID, shard.LogOptions{FirstSeq: 10})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 0, 20, 5)
	e.clock.add(time.Hour)
	if n, err := l.TrimBefore(e.clock.unix()); n != 20 || err != nil {
		t.Fatalf("full trim: %d %v", n, err)
	}
	emptied := shard.LogID{Stream: "emptied", Shard: "0"}
	l2, err := c.Store().Open(bg, emptied, shard.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l2, 0, 7, 7)
	if err := l2.SkipTo(bg, 300); err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 20, 30, 10) // 30..59 acked
	left := shard.LogID{Stream: "left-empty", Shard: "0"}
	l3, err := c.Store().Open(bg, left, shard.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l3, 0, 4, 4)
	e.clock.add(time.Hour)
	if n, err := l3.TrimBefore(e.clock.unix()); n != 4 || err != nil {
		t.Fatalf("full trim: %d %v", n, err)
	}
	big := shard.LogID{Stream: "big", Shard: "0"}
	l4, err := c.Store().Open(bg, big, shard.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bigs := []shard.Entry{bigEntry(1, 3<<20), entry(1), bigEntry(2, 5<<20)}
	if _, err := l4.Append(bg, bigs); err != nil {
		t.Fatal(err)
	}
	p.kill()
	l.Close()
	l2.Close()
	l3.Close()
	l4.Close()
	c.Close()

	startProcess(t, dir, p.port)
	c = e.conn()
	l = e.open(c, testID, shard.LogOptions{})
	if b := l.Bounds(); b.First != 30 || b.Next != 60 {
		t.Fatalf("after kill -9 bounds %+v, want 30..59", b)
	}
	recs, err := l.Read(bg, 1, 100, 1<<20)
	if err != nil || len(recs) != 30 {
		t.Fatalf("after kill -9 read %d %v", len(recs), err)
	}
	checkRecords(t, recs, 30, 20)
	l2 = e.open(c, emptied, shard.LogOptions{})
	if b := l2.Bounds(); b.First != 1 || b.Next != 300 {
		t.Fatalf("skip after kill -9: %+v", b)
	}
	l3 = e.open(c, left, shard.LogOptions{})
	if b := l3.Bounds(); b.First != 5 || b.Next != 5 {
		t.Fatalf("emptied log after kill -9: %+v", b)
	}
	l4 = e.open(c, big, shard.LogOptions{})
	recs, err = l4.Read(bg, 1, 10, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, recs, 1, bigs...)
	info, err := c.js.Stream(bg, c.streamName(left))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("emptied stream after kill -9: JetStream state %+v", info.CachedInfo().State)
}
