package shard

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
)

// mapIndex is a SegmentIndex in a map, standing in for the catalog.
type mapIndex struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newMapIndex() *mapIndex { return &mapIndex{m: map[string][]byte{}} }

func (x *mapIndex) key(log string, first uint64) string { return fmt.Sprintf("%s/%d", log, first) }

func (x *mapIndex) LoadSegment(log string, first uint64) ([]byte, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	b, ok := x.m[x.key(log, first)]
	return b, ok
}

func (x *mapIndex) SaveSegment(log string, first uint64, v []byte) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.m[x.key(log, first)] = append([]byte(nil), v...)
	return nil
}

func (x *mapIndex) DeleteSegments(log string, firsts ...uint64) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, f := range firsts {
		delete(x.m, x.key(log, f))
	}
	return nil
}

func (x *mapIndex) len() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.m)
}

func openFile(t *testing.T, dir string, keys KeySource) *FileLog {
	t.Helper()
	return openIndexed(t, dir, keys, nil)
}

func openIndexed(t *testing.T, dir string, keys KeySource, idx SegmentIndex) *FileLog {
	t.Helper()
	l, err := Open(Options{Dir: dir, Keys: keys, SegmentMaxBytes: 2 << 10, Index: idx})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func segFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	sort.Strings(m)
	return m
}

// copyDir snapshots a live log directory, as a crash would leave it (no
// sidecar for the active segment, nothing closed).
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	des, _ := os.ReadDir(src)
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(src, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dst, de.Name()), b, 0o644)
	}
	return dst
}

func TestReopenContinues(t *testing.T) {
	dir := t.TempDir()
	keys := testKeys(t)
	l := openFile(t, dir, keys)
	l.SetKey(1)
	appendN(t, l, 0, 100, 9)
	l.Close()
	before := segFiles(t, dir)

	l = openFile(t, dir, keys)
	l.SetKey(1)
	if b := l.Bounds(); b.First != 1 || b.Next != 101 {
		t.Fatalf("bounds after reopen %+v", b)
	}
	appendN(t, l, 100, 50, 10)
	recs, err := l.Read(1, 1000, 1<<30)
	if err != nil || len(recs) != 150 {
		t.Fatalf("read %d, %v", len(recs), err)
	}
	checkRecords(t, recs, 1, 0)
	after := segFiles(t, dir)
	// Writing resumed in a fresh segment named after the next sequence.
	if !contains(after, filepath.Join(dir, segName(101))) || len(after) <= len(before) {
		t.Fatalf("no fresh segment after reopen: %v -> %v", before, after)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestCrashTornTail cuts the newest segment of a crashed log at every kind
// of offset and checks that recovery keeps exactly the whole records before the cut.
func TestCrashTornTail(t *testing.T) {
	src := t.TempDir()
	keys := testKeys(t)
	l := openFile(t, src, keys)
	l.SetKey(1)
	appendN(t, l, 0, 60, 3)
	snap := copyDir(t, src) // the writer is still running: a crash image
	l.Close()

	segs := segFiles(t, snap)
	last := segs[len(segs)-1]
	full, _ := os.ReadFile(last)
	firstOfLast := parseFirst(t, full)
	rng := rand.New(rand.NewPCG(1, 2))
	cuts := []int{headerSize, headerSize + 1, len(full) - 1, len(full) - recTrailer}
	for i := 0; i < 20; i++ {
		cuts = append(cuts, headerSize+rng.IntN(len(full)-headerSize))
	}
	for _, cut := range cuts {
		dir := copyDir(t, snap)
		os.WriteFile(filepath.Join(dir, filepath.Base(last)), full[:cut], 0o644)
		whole := wholeRecords(t, full, cut)
		l := openFile(t, dir, keys)
		b := l.Bounds()
		wantNext := firstOfLast + uint64(whole)
		if b.Next != wantNext {
			t.Fatalf("cut at %d: next %d, want %d", cut, b.Next, wantNext)
		}
		recs, err := l.Read(1, 1000, 1<<30)
		if err != nil || len(recs) != int(wantNext-1) {
			t.Fatalf("cut at %d: read %d, %v", cut, len(recs), err)
		}
		checkRecords(t, recs, 1, 0)
		// New appends continue the sequence and survive another reopen.
		l.SetKey(1)
		if res, err := l.Append(context.Background(), []Entry{entry(int(wantNext - 1))}); err != nil || res.FirstSeq != wantNext {
			t.Fatalf("cut at %d: append %+v %v", cut, res, err)
		}
		l.Close()
		l = openFile(t, dir, keys)
		recs, _ = l.Read(1, 1000, 1<<30)
		checkRecords(t, recs, 1, 0)
		if len(recs) != int(wantNext) {
			t.Fatalf("cut at %d: after second reopen %d records", cut, len(recs))
		}
		l.Close()
	}
}

func parseFirst(t *testing.T, seg []byte) uint64 {
	h, err := parseHeader(seg)
	if err != nil {
		t.Fatal(err)
	}
	return h.FirstSeq
}

func wholeRecords(t *testing.T, seg []byte, cut int) int {
	n, off := 0, headerSize
	for off < cut {
		r, err := parseRecord(seg[off:cut])
		if err != nil {
			break
		}
		off += r.size
		n++
	}
	return n
}

func TestCrashGarbageTail(t *testing.T) {
	dir := t.TempDir()
	l := openFile(t, dir, nil)
	appendN(t, l, 0, 20, 4)
	snap := copyDir(t, dir)
	l.Close()
	segs := segFiles(t, snap)
	last := segs[len(segs)-1]
	f, _ := os.OpenFile(last, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(bytes.Repeat([]byte{0}, 100)) // a preallocated, never-written tail
	f.Write([]byte{0, 0, 0, 40, 1, 2, 3})
	f.Close()
	l = openFile(t, snap, nil)
	if b := l.Bounds(); b.Next != 21 {
		t.Fatalf("bounds %+v", b)
	}
	recs, _ := l.Read(1, 100, 1<<20)
	checkRecords(t, recs, 1, 0)
}

func TestCrashHalfCreatedSegment(t *testing.T) {
	dir := t.TempDir()
	l := openFile(t, dir, nil)
	appendN(t, l, 0, 20, 4)
	l.Close()
	// A segment whose header never reached the disk.
	os.WriteFile(filepath.Join(dir, segName(21)), []byte("SHRD"), 0o644)
	l = openFile(t, dir, nil)
	if b := l.Bounds(); b.Next != 21 {
		t.Fatalf("bounds %+v", b)
	}
	if _, err := os.Stat(filepath.Join(dir, segName(21))); err == nil {
		// The name is free again or reused by the new active segment only after an append.
		t.Fatalf("half-created segment was not removed")
	}
}

// TestSegmentIndex checks that sealed segments' indexes are stored, used,
// and rebuilt when damaged or lost.
func TestSegmentIndex(t *testing.T) {
	dir := t.TempDir()
	idx := newMapIndex()
	l := openIndexed(t, dir, nil, idx)
	appendN(t, l, 0, 80, 4)
	l.Close()
	segs := len(segFiles(t, dir))
	if idx.len() != segs {
		t.Fatalf("%d segments, %d stored indexes", segs, idx.len())
	}
	check := func() {
		t.Helper()
		l := openIndexed(t, dir, nil, idx)
		recs, err := l.Read(40, 1000, 1<<30)
		if err != nil || len(recs) != 41 {
			t.Fatalf("read %d %v", len(recs), err)
		}
		checkRecords(t, recs, 40, 39)
		if seq, _ := l.SeekTime(0); seq != 1 {
			t.Fatalf("seek %d", seq)
		}
		l.Close()
	}
	check()
	// Damaged entries are rebuilt from the segments.
	idx.mu.Lock()
	for k, v := range idx.m {
		v[len(v)/2] ^= 0xff
		idx.m[k] = v
	}
	idx.mu.Unlock()
	check()
	// So is a lost index.
	lost := newMapIndex()
	l = openIndexed(t, dir, nil, lost)
	if lost.len() != segs {
		t.Fatalf("rebuilt %d of %d indexes", lost.len(), segs)
	}
	l.Close()
	// Retention drops the indexes of the segments it deletes.
	l = openIndexed(t, dir, nil, idx)
	l.TrimBefore(1 << 62)
	l.Close()
	if idx.len() != 0 {
		t.Fatalf("%d indexes left after everything expired", idx.len())
	}
}

func TestTrimAllSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	l, err := Open(Options{Dir: dir, SegmentMaxBytes: 1 << 10, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 0, 30, 3)
	c.add(1e12)
	if _, err := l.TrimBefore(c.unix()); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l = openFile(t, dir, nil)
	if b := l.Bounds(); b.First != 31 || b.Next != 31 {
		t.Fatalf("sequence position lost after trim + reopen: %+v", b)
	}
	res, err := l.Append(context.Background(), []Entry{entry(30)})
	if err != nil || res.FirstSeq != 31 {
		t.Fatalf("append %+v %v", res, err)
	}
}

func TestBitRotInSealedSegmentIsCut(t *testing.T) {
	dir := t.TempDir()
	l := openFile(t, dir, nil)
	appendN(t, l, 0, 80, 4)
	l.Close()
	segs := segFiles(t, dir)
	if len(segs) < 3 {
		t.Fatalf("want several segments, have %d", len(segs))
	}
	victim := segs[1]
	b, _ := os.ReadFile(victim)
	b[len(b)-10] ^= 0x55
	os.WriteFile(victim, b, 0o644)
	l = openFile(t, dir, nil)
	// Everything before the damaged record is still served, then the log
	// continues with the next segment.
	recs, err := l.Read(1, 1000, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Seq <= recs[i-1].Seq {
			t.Fatalf("sequence order broken at %d", i)
		}
	}
	if b := l.Bounds(); b.Next != 81 {
		t.Fatalf("bounds %+v", b)
	}
}
