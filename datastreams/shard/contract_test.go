package shard

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a manual clock for tests.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }
func (c *clock) unix() int64         { return c.ns.Load() }
func testKeys(t testing.TB) KeySource {
	keys := map[uint32][]byte{}
	for v := uint32(1); v <= 3; v++ {
		k := make([]byte, 32)
		rand.Read(k)
		keys[v] = k
	}
	return func(v uint32) ([]byte, error) {
		if k, ok := keys[v]; ok {
			return k, nil
		}
		return nil, fmt.Errorf("no key version %d", v)
	}
}

// impl opens a Log of one implementation; dir is where a durable one lives.
type impl struct {
	name  string
	file  bool
	keyed bool
}

var impls = []impl{{"mem", false, false}, {"mem-encrypted", false, true}, {"file", true, false}, {"file-encrypted", true, true}}

type harness struct {
	t     *testing.T
	im    impl
	dir   string
	clock *clock
	keys  KeySource
	log   Log
}

func (h *harness) open() Log {
	h.t.Helper()
	var l Log
	if h.im.file {
		fl, err := Open(Options{Dir: h.dir, Keys: h.keys, SegmentMaxBytes: 1 << 10, Now: h.clock.now})
		if err != nil {
			h.t.Fatalf("open: %v", err)
		}
		l = fl
	} else {
		l = NewMem(h.keys, h.clock.now, 0)
	}
	if h.im.keyed {
		l.(interface{ SetKey(uint32) }).SetKey(1)
	}
	h.log = l
	return l
}

// contract runs fn against every implementation.
func contract(t *testing.T, fn func(t *testing.T, h *harness)) {
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) {
			h := &harness{t: t, im: im, dir: t.TempDir(), clock: newClock(), keys: testKeys(t)}
			h.open()
			t.Cleanup(func() { h.log.Close() })
			fn(t, h)
		})
	}
}

func entry(i int) Entry {
	return Entry{Meta: []byte(fmt.Sprintf("pk-%d", i)), Data: bytes.Repeat([]byte{byte(i)}, 10+i%200)}
}

func appendN(t *testing.T, l Log, from, n, per int) {
	t.Helper()
	for i := from; i < from+n; i += per {
		var batch []Entry
		for j := i; j < i+per && j < from+n; j++ {
			batch = append(batch, entry(j))
		}
		if _, err := l.Append(context.Background(), batch); err != nil {
			t.Fatalf("append: %v", err)
		}
	}
}

func checkRecords(t *testing.T, recs []Record, firstSeq uint64, firstEntry int) {
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

func TestContractAppendRead(t *testing.T) {
	contract(t, func(t *testing.T, h *harness) {
		l := h.log
		if b := l.Bounds(); b.First != 1 || b.Next != 1 {
			t.Fatalf("empty bounds %+v", b)
		}
		if recs, err := l.Read(context.Background(), 1, 10, 1<<20); err != nil || len(recs) != 0 {
			t.Fatalf("read empty: %v %d", err, len(recs))
		}
		res, err := l.Append(context.Background(), []Entry{entry(0), entry(1), entry(2)})
		if err != nil || res.FirstSeq != 1 {
			t.Fatalf("append: %+v %v", res, err)
		}
		appendN(t, l, 3, 297, 7)
		if b := l.Bounds(); b.First != 1 || b.Next != 301 {
			t.Fatalf("bounds %+v", b)
		}
		recs, err := l.Read(context.Background(), 1, 1000, 1<<30)
		if err != nil || len(recs) != 300 {
			t.Fatalf("read: %v, %d records", err, len(recs))
		}
		checkRecords(t, recs, 1, 0)
		wantVer := uint32(0)
		if h.im.keyed {
			wantVer = 1
		}
		for _, r := range recs {
			if r.KeyVer != wantVer {
				t.Fatalf("record %d key version %d, want %d", r.Seq, r.KeyVer, wantVer)
			}
		}
		// From the middle, and across segments for the file log.
		for _, from := range []uint64{2, 77, 150, 299, 300} {
			recs, err := l.Read(context.Background(), from, 1000, 1<<30)
			if err != nil || len(recs) != int(301-from) {
				t.Fatalf("read from %d: %v, %d", from, err, len(recs))
			}
			checkRecords(t, recs, from, int(from-1))
		}
		if recs, _ := l.Read(context.Background(), 301, 10, 1<<20); len(recs) != 0 {
			t.Fatalf("read past end returned %d", len(recs))
		}
	})
}

func TestContractReadLimits(t *testing.T) {
	contract(t, func(t *testing.T, h *harness) {
		appendN(t, h.log, 0, 50, 50)
		recs, _ := h.log.Read(context.Background(), 1, 7, 1<<20)
		if len(recs) != 7 {
			t.Fatalf("max records: got %d", len(recs))
		}
		// entry(i) is len("pk-i") + 10+i bytes; the first three are 14+15+16 = 45.
		recs, _ = h.log.Read(context.Background(), 1, 100, 45)
		if len(recs) != 3 {
			t.Fatalf("max bytes 45: got %d records", len(recs))
		}
		recs, _ = h.log.Read(context.Background(), 1, 100, 1)
		if len(recs) != 1 {
			t.Fatalf("a record over maxBytes must still be returned alone, got %d", len(recs))
		}
	})
}

func TestContractSeekTime(t *testing.T) {
	contract(t, func(t *testing.T, h *harness) {
		var times []int64
		for i := 0; i < 40; i++ {
			res, err := h.log.Append(context.Background(), []Entry{entry(2 * i), entry(2*i + 1)})
			if err != nil {
				t.Fatal(err)
			}
			times = append(times, res.Time)
			h.clock.add(time.Second)
		}
		for i, ts := range times {
			seq, err := h.log.SeekTime(context.Background(), ts)
			if err != nil || seq != uint64(2*i+1) {
				t.Fatalf("seek %d: got %d %v, want %d", i, seq, err, 2*i+1)
			}
			seq, _ = h.log.SeekTime(context.Background(), ts-1)
			if seq != uint64(2*i+1) {
				t.Fatalf("seek just before batch %d: got %d", i, seq)
			}
		}
		if seq, _ := h.log.SeekTime(context.Background(), 0); seq != 1 {
			t.Fatalf("seek 0: %d", seq)
		}
		if seq, _ := h.log.SeekTime(context.Background(), times[len(times)-1]+1); seq != 81 {
			t.Fatalf("seek after last: %d, want 81", seq)
		}
	})
}

func TestContractNotify(t *testing.T) {
	contract(t, func(t *testing.T, h *harness) {
		ch := h.log.Notify()
		got := make(chan []Record)
		go func() {
			<-ch
			recs, _ := h.log.Read(context.Background(), 1, 10, 1<<20)
			got <- recs
		}()
		appendN(t, h.log, 0, 1, 1)
		select {
		case recs := <-got:
			if len(recs) != 1 {
				t.Fatalf("woken reader saw %d records", len(recs))
			}
		case <-time.After(10 * time.Second):
			t.Fatal("reader was not woken")
		}
	})
}

func TestContractConcurrent(t *testing.T) {
	contract(t, func(t *testing.T, h *harness) {
		const writers, per = 8, 60
		var mu sync.Mutex
		seen := map[uint64]Entry{}
		var wg sync.WaitGroup
		stop := make(chan struct{})
		var readErr atomic.Value
		// A tailing reader runs alongside and must see a gap-free prefix.
		go func() {
			next := uint64(1)
			for {
				ch := h.log.Notify()
				recs, err := h.log.Read(context.Background(), next, 100, 1<<20)
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
					e := Entry{Meta: []byte(fmt.Sprintf("w%d", w)), Data: []byte(fmt.Sprintf("w%d-i%d", w, i))}
					res, err := h.log.Append(context.Background(), []Entry{e})
					if err != nil {
						t.Errorf("append: %v", err)
						return
					}
					mu.Lock()
					if _, dup := seen[res.FirstSeq]; dup {
						t.Errorf("sequence %d given twice", res.FirstSeq)
					}
					seen[res.FirstSeq] = e
					mu.Unlock()
				}
			}(w)
		}
		wg.Wait()
		close(stop)
		if err, _ := readErr.Load().(error); err != nil {
			t.Fatal(err)
		}
		recs, err := h.log.Read(context.Background(), 1, writers*per+10, 1<<30)
		if err != nil || len(recs) != writers*per {
			t.Fatalf("read %d records, err %v", len(recs), err)
		}
		for _, r := range recs {
			if e := seen[r.Seq]; !bytes.Equal(e.Data, r.Data) || !bytes.Equal(e.Meta, r.Meta) {
				t.Fatalf("seq %d holds %q, acknowledged %q", r.Seq, r.Data, e.Data)
			}
		}
	})
}

func TestContractTrim(t *testing.T) {
	contract(t, func(t *testing.T, h *harness) {
		for i := 0; i < 100; i++ {
			appendN(t, h.log, i, 1, 1)
			h.clock.add(time.Minute)
		}
		cut := h.clock.unix() - int64(50*time.Minute)
		n, err := h.log.TrimBefore(cut)
		if err != nil {
			t.Fatal(err)
		}
		b := h.log.Bounds()
		if n <= 0 || n > 50 || b.First != uint64(n)+1 || b.Next != 101 {
			t.Fatalf("trim removed %d, bounds %+v", n, b)
		}
		recs, _ := h.log.Read(context.Background(), 1, 1000, 1<<30)
		if len(recs) != 100-n || recs[0].Seq != b.First {
			t.Fatalf("after trim read %d from %d", len(recs), recs[0].Seq)
		}
		checkRecords(t, recs, b.First, int(b.First-1))
		// Everything expires; the position is kept.
		h.clock.add(time.Hour)
		if _, err := h.log.TrimBefore(h.clock.unix()); err != nil {
			t.Fatal(err)
		}
		if b := h.log.Bounds(); b.First != 101 || b.Next != 101 {
			t.Fatalf("after full trim bounds %+v", b)
		}
		res, err := h.log.Append(context.Background(), []Entry{entry(100)})
		if err != nil || res.FirstSeq != 101 {
			t.Fatalf("append after full trim: %+v %v", res, err)
		}
		recs, _ = h.log.Read(context.Background(), 1, 10, 1<<20)
		if len(recs) != 1 || recs[0].Seq != 101 {
			t.Fatalf("read after full trim: %+v", recs)
		}
	})
}

func TestContractKeyChange(t *testing.T) {
	contract(t, func(t *testing.T, h *harness) {
		appendN(t, h.log, 0, 10, 5)
		h.log.(interface{ SetKey(uint32) }).SetKey(2)
		appendN(t, h.log, 10, 10, 5)
		h.log.(interface{ SetKey(uint32) }).SetKey(0)
		appendN(t, h.log, 20, 10, 5)
		recs, err := h.log.Read(context.Background(), 1, 100, 1<<20)
		if err != nil || len(recs) != 30 {
			t.Fatalf("read: %d %v", len(recs), err)
		}
		checkRecords(t, recs, 1, 0)
		first := uint32(0)
		if h.im.keyed {
			first = 1
		}
		for _, r := range recs {
			want := []uint32{first, 2, 0}[(r.Seq-1)/10]
			if r.KeyVer != want {
				t.Fatalf("record %d key version %d, want %d", r.Seq, r.KeyVer, want)
			}
		}
	})
}

func TestContractClose(t *testing.T) {
	contract(t, func(t *testing.T, h *harness) {
		appendN(t, h.log, 0, 3, 3)
		ch := h.log.Notify()
		if err := h.log.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not wake tailing readers")
		}
		if _, err := h.log.Append(context.Background(), []Entry{entry(3)}); !errors.Is(err, ErrClosed) {
			t.Fatalf("append after close: %v", err)
		}
		if err := h.log.Close(); err != nil {
			t.Fatalf("second close: %v", err)
		}
	})
}

func TestContractTooLarge(t *testing.T) {
	contract(t, func(t *testing.T, h *harness) {
		_, err := h.log.Append(context.Background(), []Entry{{Data: make([]byte, MaxRecordSize+1)}})
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("got %v", err)
		}
		if b := h.log.Bounds(); b.Next != 1 {
			t.Fatalf("a refused append changed the log: %+v", b)
		}
	})
}

// TestEncryptedFilesHoldNoPlaintext checks the bytes on disk.
func TestEncryptedFilesHoldNoPlaintext(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(Options{Dir: dir, Keys: testKeys(t), SegmentMaxBytes: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	l.SetKey(1)
	marker := []byte("PLAINTEXT-MARKER-")
	for i := 0; i < 200; i++ {
		e := Entry{Meta: append([]byte("KEY-MARKER-"), byte('a'+i%26)), Data: append(append([]byte(nil), marker...), byte(i))}
		if _, err := l.Append(context.Background(), []Entry{e}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	files := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if d.IsDir() {
			return nil
		}
		files++
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, marker) || bytes.Contains(b, []byte("KEY-MARKER-")) {
			t.Errorf("%s contains plaintext", p)
		}
		return nil
	})
	if files < 2 {
		t.Fatalf("expected several files, found %d", files)
	}
}

func TestContractSkipTo(t *testing.T) {
	contract(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		appendN(t, h.log, 0, 5, 2)
		// Backwards and to the current end: nothing changes.
		if err := h.log.SkipTo(ctx, 3); err != nil {
			t.Fatal(err)
		}
		if err := h.log.SkipTo(ctx, 6); err != nil || h.log.Bounds().Next != 6 {
			t.Fatalf("skip to the end: %v %+v", err, h.log.Bounds())
		}
		if err := h.log.SkipTo(ctx, 1000); err != nil {
			t.Fatal(err)
		}
		if b := h.log.Bounds(); b.First != 1 || b.Next != 1000 {
			t.Fatalf("bounds after skip %+v", b)
		}
		h.clock.add(time.Second)
		res, err := h.log.Append(ctx, []Entry{entry(5), entry(6)})
		if err != nil || res.FirstSeq != 1000 {
			t.Fatalf("append after skip: %+v %v", res, err)
		}
		// A read across the gap passes from the last record before it to
		// the first after it.
		recs, err := h.log.Read(context.Background(), 1, 100, 1<<20)
		if err != nil || len(recs) != 7 {
			t.Fatalf("read across the gap: %d records, %v", len(recs), err)
		}
		checkRecords(t, recs[:5], 1, 0)
		checkRecords(t, recs[5:], 1000, 5)
		if recs, _ := h.log.Read(context.Background(), 6, 100, 1<<20); len(recs) != 2 || recs[0].Seq != 1000 {
			t.Fatalf("read from inside the gap: %+v", recs)
		}
		if seq, _ := h.log.SeekTime(context.Background(), h.clock.unix()); seq != 1000 {
			t.Fatalf("seek to the newest time: %d", seq)
		}
		if !h.im.file {
			return
		}
		// Numbering survives a reopen.
		h.log.Close()
		l := h.open()
		if b := l.Bounds(); b.Next != 1002 {
			t.Fatalf("after reopen bounds %+v", b)
		}
		if recs, _ := l.Read(context.Background(), 1, 100, 1<<20); len(recs) != 7 {
			t.Fatalf("after reopen read %d records", len(recs))
		}
	})
}

func TestSkipToSurvivesACrash(t *testing.T) {
	dir := t.TempDir()
	l := openFile(t, dir, nil)
	appendN(t, l, 0, 3, 1)
	if err := l.SkipTo(context.Background(), 500); err != nil {
		t.Fatal(err)
	}
	// No clean close: what is on disk must keep the skip.
	crashed := copyDir(t, dir)
	l.Close()
	l2 := openFile(t, crashed, nil)
	defer l2.Close()
	res, err := l2.Append(context.Background(), []Entry{entry(3)})
	if err != nil || res.FirstSeq < 500 {
		t.Fatalf("append after a crash following a skip: %+v %v", res, err)
	}
}
