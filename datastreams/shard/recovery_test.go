package shard

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"
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

func openFile(t *testing.T, dir string) *FileLog {
	t.Helper()
	return openIndexed(t, dir, nil)
}

func openIndexed(t *testing.T, dir string, idx SegmentIndex) *FileLog {
	t.Helper()
	l, err := Open(Options{Dir: dir, SegmentMaxBytes: 2 << 10, Index: idx})
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
	l := openFile(t, dir)
	appendN(t, l, 0, 100, 9)
	l.Close()
	before := segFiles(t, dir)

	l = openFile(t, dir)
	if b := l.Bounds(); b.First != 1 || b.Next != 101 {
		t.Fatalf("bounds after reopen %+v", b)
	}
	appendN(t, l, 100, 50, 10)
	recs, err := l.Read(context.Background(), 1, 1000, 1<<30)
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
	l := openFile(t, src)
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
		l := openFile(t, dir)
		b := l.Bounds()
		kept := firstOfLast - 1 + uint64(whole)
		// Numbering resumes above every number handed out before the crash,
		// whatever the cut took.
		if b.Next <= 60 {
			t.Fatalf("cut at %d: next %d, but 60 records were acknowledged", cut, b.Next)
		}
		recs, err := l.Read(context.Background(), 1, 1000, 1<<30)
		if err != nil || len(recs) != int(kept) {
			t.Fatalf("cut at %d: read %d, %v", cut, len(recs), err)
		}
		checkRecords(t, recs, 1, 0)
		// New appends continue above the mark and survive another reopen.
		res, err := l.Append(context.Background(), []Entry{entry(int(kept))})
		if err != nil || res.FirstSeq != b.Next {
			t.Fatalf("cut at %d: append %+v %v, want seq %d", cut, res, err, b.Next)
		}
		l.Close()
		l = openFile(t, dir)
		recs, _ = l.Read(context.Background(), 1, 1000, 1<<30)
		if len(recs) != int(kept)+1 {
			t.Fatalf("cut at %d: after second reopen %d records", cut, len(recs))
		}
		checkRecords(t, recs[:kept], 1, 0)
		if recs[kept].Seq != res.FirstSeq {
			t.Fatalf("cut at %d: appended record has seq %d, want %d", cut, recs[kept].Seq, res.FirstSeq)
		}
		if nb := l.Bounds(); nb.Next != res.FirstSeq+1 {
			t.Fatalf("cut at %d: after a clean close next is %d, want %d", cut, nb.Next, res.FirstSeq+1)
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
	l := openFile(t, dir)
	appendN(t, l, 0, 20, 4)
	snap := copyDir(t, dir)
	l.Close()
	segs := segFiles(t, snap)
	last := segs[len(segs)-1]
	f, _ := os.OpenFile(last, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(bytes.Repeat([]byte{0}, 100)) // a preallocated, never-written tail
	f.Write([]byte{0, 0, 0, 40, 1, 2, 3})
	f.Close()
	l = openFile(t, snap)
	if b := l.Bounds(); b.Next < 21 {
		t.Fatalf("bounds %+v", b)
	}
	recs, _ := l.Read(context.Background(), 1, 100, 1<<20)
	if len(recs) != 20 {
		t.Fatalf("%d records, want 20", len(recs))
	}
	checkRecords(t, recs, 1, 0)
}

func TestCrashHalfCreatedSegment(t *testing.T) {
	dir := t.TempDir()
	l := openFile(t, dir)
	appendN(t, l, 0, 20, 4)
	l.Close()
	// A segment whose header never reached the disk.
	os.WriteFile(filepath.Join(dir, segName(21)), []byte("SHRD"), 0o644)
	l = openFile(t, dir)
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
	l := openIndexed(t, dir, idx)
	appendN(t, l, 0, 80, 4)
	l.Close()
	segs := len(segFiles(t, dir))
	if idx.len() != segs {
		t.Fatalf("%d segments, %d stored indexes", segs, idx.len())
	}
	check := func() {
		t.Helper()
		l := openIndexed(t, dir, idx)
		recs, err := l.Read(context.Background(), 40, 1000, 1<<30)
		if err != nil || len(recs) != 41 {
			t.Fatalf("read %d %v", len(recs), err)
		}
		checkRecords(t, recs, 40, 39)
		if seq, _ := l.SeekTime(context.Background(), 0); seq != 1 {
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
	l = openIndexed(t, dir, lost)
	if lost.len() != segs {
		t.Fatalf("rebuilt %d of %d indexes", lost.len(), segs)
	}
	l.Close()
	// Retention drops the indexes of the segments it deletes.
	l = openIndexed(t, dir, idx)
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
	l = openFile(t, dir)
	if b := l.Bounds(); b.First != 31 || b.Next != 31 {
		t.Fatalf("sequence position lost after trim + reopen: %+v", b)
	}
	res, err := l.Append(context.Background(), []Entry{entry(30)})
	if err != nil || res.FirstSeq != 31 {
		t.Fatalf("append %+v %v", res, err)
	}
}

type recAt struct {
	off, size int
	seq       uint64
}

// recordsOf lists the records of a segment file's bytes.
func recordsOf(t *testing.T, seg []byte) []recAt {
	t.Helper()
	var out []recAt
	for off := headerSize; off < len(seg); {
		r, err := parseRecord(seg[off:])
		if err != nil {
			t.Fatalf("segment record at %d: %v", off, err)
		}
		out = append(out, recAt{off: off, size: r.size, seq: r.seq})
		off += r.size
	}
	return out
}

// readAll reads every record of a log and fails on an error.
func readAll(t *testing.T, l Log) []Record {
	t.Helper()
	recs, err := l.Read(context.Background(), 1, 1<<20, 1<<30)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Seq <= recs[i-1].Seq {
			t.Fatalf("sequence order broken at %d", i)
		}
	}
	return recs
}

// TestDamagedRecordLosesOnlyItself flips bytes inside one record of a
// sealed segment, in each part of the record, with and without a stored
// segment index (the catalog), and checks that exactly that record is lost,
// that readers pass over it, and that the damage is reported.
func TestDamagedRecordLosesOnlyItself(t *testing.T) {
	src := t.TempDir()
	l := openFile(t, src)
	appendN(t, l, 0, 80, 4)
	l.Close()
	segs := segFiles(t, src)
	if len(segs) < 3 {
		t.Fatalf("want several segments, have %d", len(segs))
	}
	victimFile := segs[1]
	orig, _ := os.ReadFile(victimFile)
	recs := recordsOf(t, orig)
	if len(recs) < 3 {
		t.Fatalf("segment holds %d records", len(recs))
	}
	cases := []struct {
		name string
		rec  recAt
		at   int // offset inside the record
	}{
		{"length field", recs[1], 1},
		{"sequence field", recs[1], 6},
		{"body", recs[1], recs[1].size / 2},
		{"checksum", recs[1], recs[1].size - 2},
		{"first record", recs[0], recs[0].size / 2},
		{"last record", recs[len(recs)-1], recs[len(recs)-1].size / 2},
	}
	for _, c := range cases {
		for _, indexed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/indexed=%v", c.name, indexed), func(t *testing.T) {
				dir := copyDir(t, src)
				var idx SegmentIndex
				if indexed {
					// The catalog holds the segment indexes from before the damage.
					mi := newMapIndex()
					l := openIndexed(t, dir, mi)
					l.Close()
					idx = mi
				}
				b := slices.Clone(orig)
				for k := 0; k < 16 && c.at+k < c.rec.size; k++ {
					b[c.rec.off+c.at+k] ^= 0x5a
				}
				os.WriteFile(filepath.Join(dir, filepath.Base(victimFile)), b, 0o644)
				l := openIndexed(t, dir, idx)
				got := readAll(t, l)
				if len(got) != 79 {
					t.Fatalf("%d records readable, want 79", len(got))
				}
				for _, r := range got {
					if r.Seq == c.rec.seq {
						t.Fatalf("damaged record %d was served", r.Seq)
					}
					want := entry(int(r.Seq - 1))
					if !bytes.Equal(r.Meta, want.Meta) || !bytes.Equal(r.Data, want.Data) {
						t.Fatalf("record %d has the wrong content", r.Seq)
					}
				}
				dmg := l.Damaged()
				if len(dmg) != 1 || dmg[0].FromSeq != c.rec.seq || dmg[0].ToSeq != c.rec.seq {
					t.Fatalf("damage reported %+v, want record %d", dmg, c.rec.seq)
				}
				if l.Stats().Skips == 0 {
					t.Fatalf("no skip counted")
				}
				// Reading from inside the damage starts at the next good record.
				from, err := l.Read(context.Background(), c.rec.seq, 1, 1<<20)
				if err != nil || len(from) != 1 || from[0].Seq != c.rec.seq+1 {
					t.Fatalf("read from the damaged record: %+v %v", from, err)
				}
				if b := l.Bounds(); b.Next != 81 {
					t.Fatalf("bounds %+v", b)
				}
				// The log keeps working, and the damage is remembered.
				res, err := l.Append(context.Background(), []Entry{entry(80)})
				if err != nil || res.FirstSeq != 81 {
					t.Fatalf("append %+v %v", res, err)
				}
				l.Close()
				l = openIndexed(t, dir, idx)
				if d := l.Damaged(); len(d) != 1 || d[0].FromSeq != c.rec.seq {
					t.Fatalf("after reopen damage is %+v", d)
				}
				if got := readAll(t, l); len(got) != 80 {
					t.Fatalf("after reopen %d records", len(got))
				}
				l.Close()
			})
		}
	}
}

// TestDamagedSegmentHeader loses a sealed segment's header: its records are
// reported lost, and every other segment is still served.
func TestDamagedSegmentHeader(t *testing.T) {
	dir := t.TempDir()
	l := openFile(t, dir)
	appendN(t, l, 0, 80, 4)
	l.Close()
	segs := segFiles(t, dir)
	b, _ := os.ReadFile(segs[1])
	recs := recordsOf(t, b)
	b[3] ^= 0xff
	os.WriteFile(segs[1], b, 0o644)
	l = openFile(t, dir)
	got := readAll(t, l)
	if len(got) != 80-len(recs) {
		t.Fatalf("%d records readable, want %d", len(got), 80-len(recs))
	}
	d := l.Damaged()
	if len(d) != 1 || d[0].FromSeq != recs[0].seq || d[0].ToSeq != recs[len(recs)-1].seq {
		t.Fatalf("damage %+v, want records %d-%d", d, recs[0].seq, recs[len(recs)-1].seq)
	}
}

// TestNumbersNeverGoBackwards loses acknowledged records from the tail (a
// disk that lost them) and checks that new records are numbered above
// every number handed out before.
func TestNumbersNeverGoBackwards(t *testing.T) {
	dir := t.TempDir()
	l := openFile(t, dir)
	appendN(t, l, 0, 50, 5)
	snap := copyDir(t, dir) // a crash image: no clean close
	l.Close()
	segs := segFiles(t, snap)
	for _, p := range segs[1:] {
		os.Remove(p) // whole segments at the tail are gone
	}
	b, _ := os.ReadFile(segs[0])
	os.WriteFile(segs[0], b[:headerSize+len(b[headerSize:])/2], 0o644)
	l = openFile(t, snap)
	res, err := l.Append(context.Background(), []Entry{entry(50)})
	if err != nil {
		t.Fatal(err)
	}
	if res.FirstSeq <= 50 {
		t.Fatalf("new record numbered %d after 50 were acknowledged", res.FirstSeq)
	}
	l.Close()
	// A clean close leaves no gap.
	l = openFile(t, snap)
	if res2, err := l.Append(context.Background(), []Entry{entry(51)}); err != nil || res2.FirstSeq != res.FirstSeq+1 {
		t.Fatalf("after a clean close: %+v %v, want %d", res2, err, res.FirstSeq+1)
	}
}

// TestSeekTimeOverDamage seeks to the time of a damaged record.
func TestSeekTimeOverDamage(t *testing.T) {
	c := newClock()
	dir := t.TempDir()
	l, err := Open(Options{Dir: dir, SegmentMaxBytes: 2 << 10, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		c.add(time.Second)
		appendN(t, l, i, 1, 1)
	}
	l.Close()
	segs := segFiles(t, dir)
	b, _ := os.ReadFile(segs[0])
	recs := recordsOf(t, b)
	v := recs[2]
	b[v.off+1] ^= 0x40 // the length field
	os.WriteFile(segs[0], b, 0o644)
	r, _ := parseRecord(mustRead(t, segs[0], recs[3].off))
	l, err = Open(Options{Dir: dir, SegmentMaxBytes: 2 << 10, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	seq, err := l.SeekTime(context.Background(), r.time-1)
	if err != nil || seq != recs[3].seq {
		t.Fatalf("seek: %d %v, want %d", seq, err, recs[3].seq)
	}
}

func mustRead(t *testing.T, path string, off int) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b[off:]
}

// TestDamagedOnlyRecordOfSegment damages a sealed segment's one record: the
// segment is not taken for empty (and removed), and only that record is lost.
func TestDamagedOnlyRecordOfSegment(t *testing.T) {
	dir := t.TempDir()
	l := openFile(t, dir)
	for i := range 5 {
		if _, err := l.Append(context.Background(), []Entry{{Meta: []byte("m"), Data: bytes.Repeat([]byte{byte(i)}, 3000)}}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	segs := segFiles(t, dir)
	if len(segs) != 5 {
		t.Fatalf("%d segments, want one a record", len(segs))
	}
	b, _ := os.ReadFile(segs[2])
	b[len(b)/2] ^= 1
	os.WriteFile(segs[2], b, 0o644)
	l = openFile(t, dir)
	if got := readAll(t, l); len(got) != 4 || got[2].Seq != 4 {
		t.Fatalf("read %d records", len(got))
	}
	if d := l.Damaged(); len(d) != 1 || d[0].FromSeq != 3 || d[0].ToSeq != 3 {
		t.Fatalf("damage %+v", d)
	}
	if _, err := os.Stat(segs[2]); err != nil {
		t.Fatalf("damaged segment file: %v", err)
	}
}
