package shardtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/shard"
)

// PerTest returns a function that makes storage with mk the first time it
// is called for a test and returns the same storage on later calls for
// that test: the way an open function keeps one backing storage per test.
func PerTest[V any](mk func(t *testing.T) V) func(t *testing.T) V {
	var mu sync.Mutex
	made := map[*testing.T]V{}
	return func(t *testing.T) V {
		mu.Lock()
		defer mu.Unlock()
		if v, ok := made[t]; ok {
			return v
		}
		v := mk(t)
		made[t] = v
		t.Cleanup(func() {
			mu.Lock()
			delete(made, t)
			mu.Unlock()
		})
		return v
	}
}

// segmentBytes is the unit-size hint the suite gives, small enough that a
// store with units (the file store's segments) uses several.
const segmentBytes = 1 << 10

// Run checks that the stores open makes keep the Store contract.
func Run(t *testing.T, open func(t *testing.T) shard.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"AppendRead", testAppendRead},
		{"ReadLimits", testReadLimits},
		{"SeekTime", testSeekTime},
		{"Notify", testNotify},
		{"GroupCommit", testGroupCommit},
		{"Trim", testTrim},
		{"Reopen", testReopen},
		{"FirstSeq", testFirstSeq},
		{"SkipTo", testSkipTo},
		{"Closed", testClosed},
		{"TooLarge", testTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, sealed := range []bool{false, true} {
				t.Run(map[bool]string{false: "plain", true: "sealed"}[sealed], func(t *testing.T) {
					h := newHarness(t, open, sealed)
					tc.fn(t, h)
				})
			}
		})
	}
	t.Run("Encryption", func(t *testing.T) { testEncryption(t, newHarness(t, open, false)) })
	t.Run("LogsRemove", func(t *testing.T) { testLogsRemove(t, newHarness(t, open, false)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newHarness(t, open, true)) })
}

// harness holds one test's store and the logs opened on it.
type harness struct {
	t      *testing.T
	open   func(t *testing.T) shard.Store
	sealed bool // wrap logs with shard.Seal and key version 1
	keys   *keySet
	ctx    context.Context

	mu    sync.Mutex
	store shard.Store
	logs  []shard.Log
}

func newHarness(t *testing.T, open func(t *testing.T) shard.Store, sealed bool) *harness {
	h := &harness{t: t, open: open, sealed: sealed, keys: newKeySet(3), ctx: context.Background()}
	h.store = open(t)
	t.Cleanup(h.closeAll)
	return h
}

// closeAll closes every log and the store.
func (h *harness) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, l := range h.logs {
		if err := l.Close(); err != nil {
			h.t.Errorf("close log: %v", err)
		}
	}
	h.logs = nil
	if h.store != nil {
		if err := h.store.Close(); err != nil {
			h.t.Errorf("close store: %v", err)
		}
		h.store = nil
	}
}

// reopen closes everything and opens a new store over the same storage.
func (h *harness) reopen() {
	h.t.Helper()
	h.closeAll()
	h.mu.Lock()
	h.store = h.open(h.t)
	h.mu.Unlock()
}

var defaultID = shard.LogID{Stream: "0123456789abcdef0123", Shard: "shardId-000000000000"}

// log opens id (sealed when the harness is) with the suite's unit size.
func (h *harness) log(id shard.LogID, o shard.LogOptions) shard.Log {
	h.t.Helper()
	raw := h.rawLog(id, o)
	if !h.sealed {
		return raw
	}
	sl := shard.Seal(raw, h.keys.source(), id.String())
	sl.SetKey(1)
	return sl
}

func (h *harness) rawLog(id shard.LogID, o shard.LogOptions) shard.Log {
	h.t.Helper()
	if o.SegmentMaxBytes == 0 {
		o.SegmentMaxBytes = segmentBytes
	}
	l, err := h.store.Open(h.ctx, id, o)
	if err != nil {
		h.t.Fatalf("open log %s: %v", id, err)
	}
	h.mu.Lock()
	h.logs = append(h.logs, l)
	h.mu.Unlock()
	return l
}

// keySet is a set of random data keys by version.
type keySet struct {
	mu   sync.Mutex
	keys map[uint32][]byte
}

func newKeySet(n uint32) *keySet {
	ks := &keySet{keys: map[uint32][]byte{}}
	for v := uint32(1); v <= n; v++ {
		k := make([]byte, 32)
		for i := range k {
			k[i] = byte(v*31 + uint32(i)*7)
		}
		ks.keys[v] = k
	}
	return ks
}

func (ks *keySet) source() shard.KeySource {
	return func(v uint32) ([]byte, error) {
		ks.mu.Lock()
		defer ks.mu.Unlock()
		if k, ok := ks.keys[v]; ok {
			return k, nil
		}
		return nil, fmt.Errorf("no data key version %d", v)
	}
}

func (ks *keySet) forget(v uint32) {
	ks.mu.Lock()
	delete(ks.keys, v)
	ks.mu.Unlock()
}

func entry(i int) shard.Entry {
	return shard.Entry{Meta: fmt.Appendf(nil, "pk-%d", i), Data: bytes.Repeat([]byte{byte(i)}, 10+i%200)}
}

func appendN(t *testing.T, l shard.Log, from, n, per int) []shard.Appended {
	t.Helper()
	var out []shard.Appended
	for i := from; i < from+n; i += per {
		var batch []shard.Entry
		for j := i; j < i+per && j < from+n; j++ {
			batch = append(batch, entry(j))
		}
		res, err := l.Append(context.Background(), batch)
		if err != nil {
			t.Fatalf("append: %v", err)
		}
		out = append(out, res)
	}
	return out
}

func readAll(t *testing.T, l shard.Log, from uint64) []shard.Record {
	t.Helper()
	recs, err := l.Read(context.Background(), from, 1<<20, 1<<30)
	if err != nil {
		t.Fatalf("read from %d: %v", from, err)
	}
	return recs
}

// checkRecords checks that recs are entries firstEntry... numbered from firstSeq.
func checkRecords(t *testing.T, recs []shard.Record, firstSeq uint64, firstEntry int) {
	t.Helper()
	for i, r := range recs {
		want := entry(firstEntry + i)
		if r.Seq != firstSeq+uint64(i) {
			t.Fatalf("record %d: seq %d, want %d", i, r.Seq, firstSeq+uint64(i))
		}
		if !bytes.Equal(r.Meta, want.Meta) || !bytes.Equal(r.Data, want.Data) {
			t.Fatalf("record seq %d: meta %q and %d bytes of data, want %q and %d bytes", r.Seq, r.Meta, len(r.Data), want.Meta, len(want.Data))
		}
		if i > 0 && r.Time < recs[i-1].Time {
			t.Fatalf("record seq %d: time went backwards", r.Seq)
		}
	}
}

func (h *harness) wantKeyVer(t *testing.T, recs []shard.Record) {
	t.Helper()
	want := uint32(0)
	if h.sealed {
		want = 1
	}
	for _, r := range recs {
		if r.KeyVer != want {
			t.Fatalf("record %d: key version %d, want %d", r.Seq, r.KeyVer, want)
		}
	}
}

func testAppendRead(t *testing.T, h *harness) {
	l := h.log(defaultID, shard.LogOptions{})
	if b := l.Bounds(); b.First != 1 || b.Next != 1 || b.LastTime != 0 {
		t.Fatalf("empty log bounds %+v, want 1..1", b)
	}
	if recs, err := l.Read(h.ctx, 1, 10, 1<<20); err != nil || len(recs) != 0 {
		t.Fatalf("read of an empty log: %d records, %v", len(recs), err)
	}
	res, err := l.Append(h.ctx, []shard.Entry{entry(0), entry(1), entry(2)})
	if err != nil || res.FirstSeq != 1 {
		t.Fatalf("append: %+v %v", res, err)
	}
	got := appendN(t, l, 3, 297, 7)
	if got[0].FirstSeq != 4 {
		t.Fatalf("second append at %d, want 4", got[0].FirstSeq)
	}
	b := l.Bounds()
	if b.First != 1 || b.Next != 301 || b.LastTime != got[len(got)-1].Time {
		t.Fatalf("bounds %+v, want 1..301 with the last append's time %d", b, got[len(got)-1].Time)
	}
	recs := readAll(t, l, 1)
	if len(recs) != 300 {
		t.Fatalf("read %d records, want 300", len(recs))
	}
	checkRecords(t, recs, 1, 0)
	h.wantKeyVer(t, recs)
	// The records of one append share its time.
	for i, r := range recs[:3] {
		if r.Time != res.Time {
			t.Fatalf("record %d of the first append has time %d, the append said %d", i, r.Time, res.Time)
		}
	}
	for _, from := range []uint64{0, 2, 77, 150, 299, 300} {
		recs := readAll(t, l, from)
		start := max(from, 1)
		if len(recs) != int(301-start) {
			t.Fatalf("read from %d: %d records", from, len(recs))
		}
		checkRecords(t, recs, start, int(start-1))
	}
	if recs := readAll(t, l, 301); len(recs) != 0 {
		t.Fatalf("read past the end returned %d records", len(recs))
	}
	// An empty append changes nothing.
	if _, err := l.Append(h.ctx, nil); err != nil || l.Bounds().Next != 301 {
		t.Fatalf("empty append: %v, bounds %+v", err, l.Bounds())
	}
	// The caller's buffers are not kept: changing them changes nothing stored.
	e := shard.Entry{Meta: []byte("mutable"), Data: []byte("mutable data")}
	if _, err := l.Append(h.ctx, []shard.Entry{e}); err != nil {
		t.Fatal(err)
	}
	copy(e.Meta, "XXXXXXX")
	copy(e.Data, "XXXXXXXXXXXX")
	last := readAll(t, l, 301)
	if len(last) != 1 || string(last[0].Meta) != "mutable" || string(last[0].Data) != "mutable data" {
		t.Fatalf("stored record changed with the caller's buffer: %+v", last)
	}
	// The records read are the caller's: changing them changes nothing stored.
	copy(last[0].Data, "YYYY")
	if again := readAll(t, l, 301); string(again[0].Data) != "mutable data" {
		t.Fatalf("stored record changed with a read record: %q", again[0].Data)
	}
}

func testReadLimits(t *testing.T, h *harness) {
	l := h.log(defaultID, shard.LogOptions{})
	appendN(t, l, 0, 50, 50)
	if recs, _ := l.Read(h.ctx, 1, 7, 1<<20); len(recs) != 7 {
		t.Fatalf("max 7: %d records", len(recs))
	}
	// entry(i) is len("pk-i") + 10+i bytes: the first three are 14+15+16 = 45.
	recs, err := l.Read(h.ctx, 1, 100, 45)
	if err != nil || len(recs) != 3 {
		t.Fatalf("max bytes 45: %d records, %v", len(recs), err)
	}
	checkRecords(t, recs, 1, 0)
	if recs, _ := l.Read(h.ctx, 1, 100, 44); len(recs) != 2 {
		t.Fatalf("max bytes 44: %d records, want 2", len(recs))
	}
	if recs, _ := l.Read(h.ctx, 1, 100, 1); len(recs) != 1 {
		t.Fatalf("a record over maxBytes must still be returned alone, got %d", len(recs))
	}
	if recs, _ := l.Read(h.ctx, 1, 0, 1<<20); len(recs) != 0 {
		t.Fatalf("max 0 returned %d records", len(recs))
	}
}

func testSeekTime(t *testing.T, h *harness) {
	l := h.log(defaultID, shard.LogOptions{})
	if seq, err := l.SeekTime(h.ctx, time.Now().UnixNano()); err != nil || seq != 1 {
		t.Fatalf("seek in an empty log: %d %v, want 1", seq, err)
	}
	var res []shard.Appended
	for i := range 40 {
		res = append(res, appendN(t, l, 2*i, 2, 2)...)
	}
	recs := readAll(t, l, 1)
	// firstAt is the first record at or after ts, from what was read.
	firstAt := func(ts int64) uint64 {
		for _, r := range recs {
			if r.Time >= ts {
				return r.Seq
			}
		}
		return l.Bounds().Next
	}
	for i, a := range res {
		for _, ts := range []int64{a.Time - 1, a.Time, a.Time + 1} {
			seq, err := l.SeekTime(h.ctx, ts)
			if err != nil || seq != firstAt(ts) {
				t.Fatalf("seek to batch %d's time %+d: %d %v, want %d", i, ts-a.Time, seq, err, firstAt(ts))
			}
		}
	}
	if seq, _ := l.SeekTime(h.ctx, 0); seq != 1 {
		t.Fatalf("seek to 0: %d, want 1", seq)
	}
	if seq, _ := l.SeekTime(h.ctx, res[len(res)-1].Time+1); seq != 81 {
		t.Fatalf("seek after the last record: %d, want 81", seq)
	}
}

func testNotify(t *testing.T, h *harness) {
	l := h.log(defaultID, shard.LogOptions{})
	ch := l.Notify()
	select {
	case <-ch:
		t.Fatal("notify channel closed before any commit")
	default:
	}
	got := make(chan []shard.Record, 1)
	go func() {
		<-ch
		recs, _ := l.Read(context.Background(), 1, 10, 1<<20)
		got <- recs
	}()
	appendN(t, l, 0, 1, 1)
	select {
	case recs := <-got:
		if len(recs) != 1 {
			t.Fatalf("woken reader saw %d records", len(recs))
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the reader was not woken by a commit")
	}
	// Close wakes a waiting reader too.
	ch = l.Notify()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not wake a tailing reader")
	}
}

// testGroupCommit appends from many goroutines at once: every batch gets
// its own consecutive numbers, nothing is lost or duplicated.
func testGroupCommit(t *testing.T, h *harness) {
	l := h.log(defaultID, shard.LogOptions{})
	const writers, per, batch = 8, 25, 3
	type landed struct {
		res shard.Appended
		w   int
		i   int
	}
	var mu sync.Mutex
	var all []landed
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				var es []shard.Entry
				for k := range batch {
					es = append(es, shard.Entry{Meta: fmt.Appendf(nil, "w%d", w), Data: fmt.Appendf(nil, "w%d-i%d-k%d", w, i, k)})
				}
				res, err := l.Append(context.Background(), es)
				if err != nil {
					t.Errorf("append: %v", err)
					return
				}
				mu.Lock()
				all = append(all, landed{res, w, i})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	recs := readAll(t, l, 1)
	if len(recs) != writers*per*batch {
		t.Fatalf("read %d records, want %d", len(recs), writers*per*batch)
	}
	bySeq := map[uint64]shard.Record{}
	for _, r := range recs {
		bySeq[r.Seq] = r
	}
	for _, a := range all {
		for k := range batch {
			r, ok := bySeq[a.res.FirstSeq+uint64(k)]
			want := fmt.Sprintf("w%d-i%d-k%d", a.w, a.i, k)
			if !ok || string(r.Data) != want || r.Time != a.res.Time {
				t.Fatalf("seq %d holds %q at %d, the append of %q said time %d", a.res.FirstSeq+uint64(k), r.Data, r.Time, want, a.res.Time)
			}
		}
	}
	if b := l.Bounds(); b.Next != uint64(len(recs))+1 {
		t.Fatalf("bounds %+v after %d records", b, len(recs))
	}
}

// testTrim drops what is older than a time: only records older than it,
// whatever unit the store drops by, and everything once all is older.
func testTrim(t *testing.T, h *harness) {
	l := h.log(defaultID, shard.LogOptions{})
	for i := range 100 {
		appendN(t, l, i, 1, 1)
	}
	recs := readAll(t, l, 1)
	cut := recs[50].Time
	n, err := l.TrimBefore(cut)
	if err != nil {
		t.Fatal(err)
	}
	b := l.Bounds()
	if n < 0 || n > 50 || b.First != uint64(n)+1 || b.Next != 101 {
		t.Fatalf("trim before record 51's time dropped %d, bounds %+v", n, b)
	}
	for _, r := range recs[:n] {
		if r.Time >= cut {
			t.Fatalf("trim dropped record %d, which is not older than the cut", r.Seq)
		}
	}
	after := readAll(t, l, 1)
	if len(after) != 100-n || (len(after) > 0 && after[0].Seq != b.First) {
		t.Fatalf("after the trim: %d records from %d, bounds %+v", len(after), after[0].Seq, b)
	}
	checkRecords(t, after, b.First, int(b.First-1))
	if seq, _ := l.SeekTime(h.ctx, 0); seq != b.First {
		t.Fatalf("seek to 0 after the trim: %d, want %d", seq, b.First)
	}
	// Everything expires: the numbering is kept.
	if _, err := l.TrimBefore(recs[99].Time + 1); err != nil {
		t.Fatal(err)
	}
	if b := l.Bounds(); b.First != 101 || b.Next != 101 {
		t.Fatalf("after trimming everything bounds %+v, want 101..101", b)
	}
	if recs := readAll(t, l, 1); len(recs) != 0 {
		t.Fatalf("%d records left after trimming everything", len(recs))
	}
	res, err := l.Append(h.ctx, []shard.Entry{entry(100)})
	if err != nil || res.FirstSeq != 101 {
		t.Fatalf("append after trimming everything: %+v %v", res, err)
	}
	checkRecords(t, readAll(t, l, 1), 101, 100)
	// Numbering is kept across a reopen after a full trim too.
	if _, err := l.TrimBefore(res.Time + 1); err != nil {
		t.Fatal(err)
	}
	h.reopen()
	l = h.log(defaultID, shard.LogOptions{})
	if b := l.Bounds(); b.First != 102 || b.Next != 102 {
		t.Fatalf("after a full trim and a reopen bounds %+v, want 102..102", b)
	}
}

// testReopen closes the store and opens a new one over the same storage:
// every acknowledged record is there and numbering continues.
func testReopen(t *testing.T, h *harness) {
	l := h.log(defaultID, shard.LogOptions{})
	res := appendN(t, l, 0, 50, 5)
	h.reopen()
	l = h.log(defaultID, shard.LogOptions{})
	b := l.Bounds()
	if b.First != 1 || b.Next != 51 || b.LastTime != res[len(res)-1].Time {
		t.Fatalf("after reopen bounds %+v, want 1..51 at %d", b, res[len(res)-1].Time)
	}
	recs := readAll(t, l, 1)
	if len(recs) != 50 {
		t.Fatalf("after reopen %d records, want 50", len(recs))
	}
	checkRecords(t, recs, 1, 0)
	h.wantKeyVer(t, recs)
	next := appendN(t, l, 50, 10, 3)
	if next[0].FirstSeq != 51 {
		t.Fatalf("first append after reopen at %d, want 51", next[0].FirstSeq)
	}
	if next[0].Time < b.LastTime {
		t.Fatalf("time went backwards across the reopen: %d after %d", next[0].Time, b.LastTime)
	}
	h.reopen()
	l = h.log(defaultID, shard.LogOptions{})
	checkRecords(t, readAll(t, l, 1), 1, 0)
	if b := l.Bounds(); b.Next != 61 {
		t.Fatalf("after a second reopen next is %d, want 61", b.Next)
	}
	// A log is opened once at a time.
	if l2, err := h.store.Open(h.ctx, defaultID, shard.LogOptions{}); err == nil {
		l2.Close()
		t.Fatal("a second Open of an open log succeeded")
	}
}

func testFirstSeq(t *testing.T, h *harness) {
	l := h.log(defaultID, shard.LogOptions{FirstSeq: 1000})
	if b := l.Bounds(); b.First != 1000 || b.Next != 1000 {
		t.Fatalf("bounds of a new log from 1000: %+v", b)
	}
	if seq, _ := l.SeekTime(h.ctx, 0); seq != 1000 {
		t.Fatalf("seek in the empty log: %d", seq)
	}
	if res := appendN(t, l, 0, 5, 5); res[0].FirstSeq != 1000 {
		t.Fatalf("first record at %d, want 1000", res[0].FirstSeq)
	}
	checkRecords(t, readAll(t, l, 0), 1000, 0)
	// FirstSeq applies to a log that was never written, only.
	h.reopen()
	l = h.log(defaultID, shard.LogOptions{FirstSeq: 7})
	if b := l.Bounds(); b.First != 1000 || b.Next != 1005 {
		t.Fatalf("after reopen with another FirstSeq bounds %+v, want 1000..1005", b)
	}
}

func testSkipTo(t *testing.T, h *harness) {
	l := h.log(defaultID, shard.LogOptions{})
	appendN(t, l, 0, 5, 2)
	// Backwards and to the current end: nothing changes.
	if err := l.SkipTo(h.ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := l.SkipTo(h.ctx, 6); err != nil || l.Bounds().Next != 6 {
		t.Fatalf("skip to the end: %v, bounds %+v", err, l.Bounds())
	}
	if err := l.SkipTo(h.ctx, 1000); err != nil {
		t.Fatal(err)
	}
	if b := l.Bounds(); b.First != 1 || b.Next != 1000 {
		t.Fatalf("bounds after the skip %+v, want 1..1000", b)
	}
	// The skip survives a reopen before anything is appended after it.
	h.reopen()
	l = h.log(defaultID, shard.LogOptions{})
	if b := l.Bounds(); b.Next != 1000 {
		t.Fatalf("after the skip and a reopen next is %d, want 1000", b.Next)
	}
	res, err := l.Append(h.ctx, []shard.Entry{entry(5), entry(6)})
	if err != nil || res.FirstSeq != 1000 {
		t.Fatalf("append after the skip: %+v %v", res, err)
	}
	// A read across the gap passes from the last record before it to the
	// first after it.
	recs := readAll(t, l, 1)
	if len(recs) != 7 {
		t.Fatalf("read across the gap: %d records", len(recs))
	}
	checkRecords(t, recs[:5], 1, 0)
	checkRecords(t, recs[5:], 1000, 5)
	if recs := readAll(t, l, 6); len(recs) != 2 || recs[0].Seq != 1000 {
		t.Fatalf("read from inside the gap: %d records", len(recs))
	}
	if seq, _ := l.SeekTime(h.ctx, res.Time); seq != 1000 {
		t.Fatalf("seek to the newest time: %d, want 1000", seq)
	}
	h.reopen()
	l = h.log(defaultID, shard.LogOptions{})
	if b := l.Bounds(); b.Next != 1002 {
		t.Fatalf("after reopen bounds %+v, want next 1002", b)
	}
	if recs := readAll(t, l, 1); len(recs) != 7 {
		t.Fatalf("after reopen %d records, want 7", len(recs))
	}
	// A skip on an empty log moves its start.
	e := h.log(shard.LogID{Stream: defaultID.Stream, Shard: "shardId-000000000001"}, shard.LogOptions{})
	if err := e.SkipTo(h.ctx, 50); err != nil {
		t.Fatal(err)
	}
	if res, err := e.Append(h.ctx, []shard.Entry{entry(0)}); err != nil || res.FirstSeq != 50 {
		t.Fatalf("append after skipping an empty log: %+v %v", res, err)
	}
	if recs := readAll(t, e, 1); len(recs) != 1 || recs[0].Seq != 50 {
		t.Fatalf("read of the skipped empty log: %+v", recs)
	}
}

func testClosed(t *testing.T, h *harness) {
	l := h.log(defaultID, shard.LogOptions{})
	appendN(t, l, 0, 3, 3)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Notify():
	default:
		t.Fatal("the notify channel of a closed log is open")
	}
	if _, err := l.Append(h.ctx, []shard.Entry{entry(3)}); !errors.Is(err, shard.ErrClosed) {
		t.Fatalf("append after close: %v, want ErrClosed", err)
	}
	if err := l.SkipTo(h.ctx, 100); !errors.Is(err, shard.ErrClosed) {
		t.Fatalf("skip after close: %v, want ErrClosed", err)
	}
	if _, err := l.TrimBefore(time.Now().UnixNano()); !errors.Is(err, shard.ErrClosed) {
		t.Fatalf("trim after close: %v, want ErrClosed", err)
	}
	if recs, err := l.Read(h.ctx, 1, 10, 1<<20); len(recs) != 0 || (err != nil && !errors.Is(err, shard.ErrClosed)) {
		t.Fatalf("read after close: %d records, %v; want none (nil or ErrClosed)", len(recs), err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	// The closed log's records are kept.
	h.reopen()
	checkRecords(t, readAll(t, h.log(defaultID, shard.LogOptions{}), 1), 1, 0)
}

func testTooLarge(t *testing.T, h *harness) {
	l := h.log(defaultID, shard.LogOptions{})
	limit := shard.MaxStoredSize
	if h.sealed {
		limit = shard.MaxRecordSize
	}
	big := make([]byte, limit+1)
	_, err := l.Append(h.ctx, []shard.Entry{entry(0), {Data: big}})
	if !errors.Is(err, shard.ErrTooLarge) {
		t.Fatalf("append of %d bytes: %v, want ErrTooLarge", len(big), err)
	}
	if b := l.Bounds(); b.Next != 1 {
		t.Fatalf("a refused append changed the log: %+v", b)
	}
	if h.sealed {
		// The largest record a producer may give is stored, sealed.
		if _, err := l.Append(h.ctx, []shard.Entry{{Meta: []byte("k"), Data: big[:limit-1]}}); err != nil {
			t.Fatalf("append of a record of MaxRecordSize: %v", err)
		}
		recs, err := l.Read(h.ctx, 1, 1, 1)
		if err != nil || len(recs) != 1 || len(recs[0].Data) != limit-1 {
			t.Fatalf("read of the largest record: %d records, %v", len(recs), err)
		}
	}
}
