package shard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// indexEvery is the spacing, in bytes, of sparse index entries.
const indexEvery = 16 << 10

// idxEntry locates a record: the first record at or after a byte boundary.
type idxEntry struct {
	seq  uint64
	time int64
	off  int64
}

// segment is one segment file. Its sparse index grows while it is active;
// everything else is fixed once it is created.
type segment struct {
	path string
	hdr  segHeader
	f    *os.File
	refs atomic.Int32 // 1 for the log's list, +1 per reader; the file closes at 0

	mu      sync.RWMutex
	index   []idxEntry
	lastSeq uint64 // 0 when empty
	lastT   int64
	size    int64    // committed end offset
	damaged []damage // sorted by offset; found by scanning or by readers

	alloc int64 // bytes reserved with preallocate; owned by the writer
}

func segName(first uint64) string { return fmt.Sprintf("%020d.seg", first) }

func (s *segment) acquire() bool {
	for {
		n := s.refs.Load()
		if n <= 0 {
			return false
		}
		if s.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func (s *segment) release() {
	if s.refs.Add(-1) == 0 {
		s.f.Close()
	}
}

// state returns the committed extent under the segment lock.
func (s *segment) state() (lastSeq uint64, lastT int64, size int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lastSeq, s.lastT, s.size
}

// seekSeq returns an index entry at or before seq: where to start reading.
func (s *segment) seekSeq(seq uint64) idxEntry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := sort.Search(len(s.index), func(i int) bool { return s.index[i].seq > seq })
	if i == 0 {
		return idxEntry{seq: s.hdr.FirstSeq, off: headerSize}
	}
	return s.index[i-1]
}

// seekTime returns an index entry whose records all come at or before the
// first record with time >= t.
func (s *segment) seekTime(t int64) idxEntry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := sort.Search(len(s.index), func(i int) bool { return s.index[i].time >= t })
	if i == 0 {
		return idxEntry{seq: s.hdr.FirstSeq, off: headerSize}
	}
	return s.index[i-1]
}

// damageAt returns the damage known to start at offset off.
func (s *segment) damageAt(off int64) (damage, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := sort.Search(len(s.damaged), func(i int) bool { return s.damaged[i].off >= off })
	if i < len(s.damaged) && s.damaged[i].off == off {
		return s.damaged[i], true
	}
	return damage{}, false
}

// addDamage records damage that a reader found; it reports false when
// another reader recorded it first.
func (s *segment) addDamage(d damage) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := sort.Search(len(s.damaged), func(i int) bool { return s.damaged[i].off >= d.off })
	if i < len(s.damaged) && s.damaged[i].off == d.off {
		return false
	}
	s.damaged = slices.Insert(s.damaged, i, d)
	return true
}

func (s *segment) damages() []damage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.damaged)
}

// addCommitted records a batch that the writer made durable.
func (s *segment) addCommitted(entries []idxEntry, lastSeq uint64, lastT, size int64) {
	s.mu.Lock()
	s.index = append(s.index, entries...)
	s.lastSeq, s.lastT, s.size = lastSeq, lastT, size
	s.mu.Unlock()
}

// openSegmentFile opens the segment file that should start at sequence
// first and reads its header. A header that is damaged or names another
// first sequence is an ErrCorrupt error (the file is then closed, size
// still given); a segment of another format version is ErrFormat, naming
// the file; any other error is a failure to read the file.
func openSegmentFile(path string, first uint64, flag int) (*os.File, int64, segHeader, error) {
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, 0, segHeader{}, fmt.Errorf("shard: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, segHeader{}, fmt.Errorf("shard: %w", err)
	}
	hb := make([]byte, headerSize)
	n, _ := f.ReadAt(hb, 0)
	hdr, err := parseHeader(hb[:n])
	if errors.Is(err, ErrFormat) {
		err = fmt.Errorf("segment %s: %w", path, err)
	}
	if err == nil && hdr.FirstSeq != first {
		err = fmt.Errorf("%w: header says first sequence %d", ErrCorrupt, hdr.FirstSeq)
	}
	if err != nil {
		f.Close()
		return nil, st.Size(), hdr, err
	}
	return f, st.Size(), hdr, nil
}

// listSegments returns the first sequence numbers of the segment files in dir, sorted.
func listSegments(dir string) ([]uint64, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var firsts []uint64
	for _, de := range des {
		name := de.Name()
		if !strings.HasSuffix(name, ".seg") || len(name) != 24 {
			continue
		}
		n, err := strconv.ParseUint(name[:20], 10, 64)
		if err != nil {
			continue
		}
		firsts = append(firsts, n)
	}
	sort.Slice(firsts, func(i, j int) bool { return firsts[i] < firsts[j] })
	return firsts, nil
}

// damage is a stretch of a segment that does not hold valid records:
// bytes [off, end) and, within them, the records from..to (to < from when
// the bytes held no whole record, such as a damaged trailer).
type damage struct {
	off, end int64
	from, to uint64
	reason   string
}

// scanResult is what scanning a segment's records found.
type scanResult struct {
	index   []idxEntry
	lastSeq uint64
	lastT   int64
	end     int64    // offset just after the last good record
	damaged []damage // stretches skipped to reach later good records
	err     error    // why scanning stopped before the file's end, nil at a clean end
}

// scanSegment validates every record of f after the header (checksums,
// sequence continuity, time order) and builds the sparse index. A bad record
// followed by good ones is skipped (kept in damaged); a bad record with no
// good one after it ends the scan (err says why).
func scanSegment(f *os.File, hdr segHeader, fileSize int64) scanResult {
	res := scanResult{end: headerSize}
	w := window{f: f, size: fileSize}
	next := hdr.FirstSeq
	lastIndexed := int64(-indexEvery)
	for off := int64(headerSize); off < fileSize; {
		r, err := w.record(off)
		if err == nil && r.seq != next {
			err = fmt.Errorf("%w: record sequence %d at offset %d, want %d", ErrCorrupt, r.seq, off, next)
		}
		if err == nil && r.time < res.lastT {
			err = fmt.Errorf("%w: record %d time goes backwards", ErrCorrupt, r.seq)
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				res.err = err
				return res
			}
			at, good, ok := resync(&w, off+1, next, res.lastT)
			if !ok {
				res.err = err
				return res
			}
			res.damaged = append(res.damaged, damage{off: off, end: at, from: next, to: good.seq - 1, reason: err.Error()})
			off, r = at, good
		}
		if off-lastIndexed >= indexEvery {
			res.index = append(res.index, idxEntry{seq: r.seq, time: r.time, off: off})
			lastIndexed = off
		}
		res.lastSeq, res.lastT = r.seq, r.time
		next = r.seq + 1
		off += int64(r.size)
		res.end = off
	}
	return res
}

// maxResyncGap bounds how far past the expected sequence number a record
// found by resync may be: a larger number is taken for noise.
const maxResyncGap = 1 << 32

// resync looks for the first offset at or after from that holds a whole,
// valid record numbered at least minSeq and timed at least minTime: where
// reading resumes after damage. The record's checksum makes a false match
// as unlikely as a CRC32C collision on a plausible header.
func resync(w *window, from int64, minSeq uint64, minTime int64) (int64, recView, bool) {
	for p := from; p+recOverhead <= w.size; p++ {
		hb, err := w.at(p, recHeaderSize)
		if err != nil {
			return 0, recView{}, false
		}
		total := int64(binary.BigEndian.Uint32(hb))
		if total < recOverhead || total > maxRecordTotal || p+total > w.size {
			continue
		}
		seq := binary.BigEndian.Uint64(hb[4:])
		t := int64(binary.BigEndian.Uint64(hb[12:]))
		if seq < minSeq || seq-minSeq > maxResyncGap || t < minTime || int64(binary.BigEndian.Uint32(hb[20:])) > total {
			continue
		}
		r, err := w.record(p)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				return 0, recView{}, false
			}
			continue
		}
		return p, r, true
	}
	return 0, recView{}, false
}

// allZero reports whether bytes [from, to) of f are all zero, as
// preallocated space that was never written is.
func allZero(f *os.File, from, to int64) (bool, error) {
	buf := make([]byte, 64<<10)
	for off := from; off < to; {
		n := min(int64(len(buf)), to-off)
		if _, err := f.ReadAt(buf[:n], off); err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
		for _, c := range buf[:n] {
			if c != 0 {
				return false, nil
			}
		}
		off += n
	}
	return true, nil
}

// window reads a file through a sliding buffer.
type window struct {
	f    *os.File
	size int64
	buf  []byte
	off  int64 // file offset of buf[0]
}

const windowSize = 1 << 20

// at returns n bytes at file offset off, or ErrCorrupt when the file ends first.
func (w *window) at(off int64, n int) ([]byte, error) {
	if off+int64(n) > w.size {
		return nil, fmt.Errorf("%w: torn record at offset %d (%d bytes left, %d needed)", ErrCorrupt, off, w.size-off, n)
	}
	if off >= w.off && off+int64(n) <= w.off+int64(len(w.buf)) {
		return w.buf[off-w.off : off-w.off+int64(n)], nil
	}
	want := max(n, windowSize)
	if rest := w.size - off; int64(want) > rest {
		want = int(rest)
	}
	if cap(w.buf) < want {
		w.buf = make([]byte, want)
	}
	w.buf = w.buf[:want]
	got, err := w.f.ReadAt(w.buf, off)
	w.buf, w.off = w.buf[:got], off
	if got < n {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read segment at %d: %w", off, err)
	}
	return w.buf[:n], nil
}

// record parses and checks the whole record at off.
func (w *window) record(off int64) (recView, error) {
	b, err := w.at(off, 4)
	if err != nil {
		return recView{}, err
	}
	total := int(binary.BigEndian.Uint32(b))
	if total < recOverhead || total > maxRecordTotal {
		return recView{}, fmt.Errorf("%w: record length %d at offset %d", ErrCorrupt, total, off)
	}
	if b, err = w.at(off, total); err != nil {
		return recView{}, err
	}
	r, err := parseRecord(b)
	if err != nil {
		return recView{}, fmt.Errorf("%w (offset %d)", err, off)
	}
	return r, nil
}

// SegmentIndex persists the sparse index of sealed segments, so that
// opening a log reads it instead of scanning every segment. It is a cache:
// an entry that is missing or does not match its segment is rebuilt by
// scanning. Keys are the log's name (Options.Name) and a segment's first
// sequence number; values are opaque to the store.
type SegmentIndex interface {
	LoadSegment(log string, first uint64) ([]byte, bool)
	SaveSegment(log string, first uint64, value []byte) error
	DeleteSegments(log string, firsts ...uint64) error
}

// Encoded segment index: magic "SHRDIDX\x00" | u16 version | u64 segment size |
// u64 last seq | i64 last time | u32 count | count x (u64 seq, i64 time, i64 off) |
// (version 2) u32 damage count | count x (i64 off, i64 end, u64 from, u64 to,
// u16 reason length, reason) | u32 CRC32C.
const (
	idxMagic   = "SHRDIDX\x00"
	idxVersion = 2
	maxReason  = 1024 // bytes of a damage's reason kept in the index
)

func encodeSegmentIndex(s *segment) []byte {
	lastSeq, lastT, size := s.state()
	s.mu.RLock()
	defer s.mu.RUnlock()
	b := make([]byte, 0, 8+2+8+8+8+4+len(s.index)*24+4)
	b = append(b, idxMagic...)
	b = binary.BigEndian.AppendUint16(b, idxVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(size))
	b = binary.BigEndian.AppendUint64(b, lastSeq)
	b = binary.BigEndian.AppendUint64(b, uint64(lastT))
	b = binary.BigEndian.AppendUint32(b, uint32(len(s.index)))
	for _, e := range s.index {
		b = binary.BigEndian.AppendUint64(b, e.seq)
		b = binary.BigEndian.AppendUint64(b, uint64(e.time))
		b = binary.BigEndian.AppendUint64(b, uint64(e.off))
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(s.damaged)))
	for _, d := range s.damaged {
		b = binary.BigEndian.AppendUint64(b, uint64(d.off))
		b = binary.BigEndian.AppendUint64(b, uint64(d.end))
		b = binary.BigEndian.AppendUint64(b, d.from)
		b = binary.BigEndian.AppendUint64(b, d.to)
		reason := d.reason[:min(len(d.reason), maxReason)]
		b = binary.BigEndian.AppendUint16(b, uint16(len(reason)))
		b = append(b, reason...)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// segIndex is a decoded segment index.
type segIndex struct {
	index   []idxEntry
	lastSeq uint64
	lastT   int64
	damaged []damage
}

// decodeSegmentIndex reads an encoded index that matches a segment of fileSize bytes.
func decodeSegmentIndex(b []byte, fileSize int64) (segIndex, bool) {
	const fixed = 8 + 2 + 8 + 8 + 8 + 4
	var x segIndex
	if len(b) < fixed+4 || string(b[:8]) != idxMagic {
		return x, false
	}
	if crc32.Checksum(b[:len(b)-4], castagnoli) != binary.BigEndian.Uint32(b[len(b)-4:]) {
		return x, false
	}
	ver := binary.BigEndian.Uint16(b[8:])
	if (ver != 1 && ver != idxVersion) || int64(binary.BigEndian.Uint64(b[10:])) != fileSize {
		return x, false
	}
	x.lastSeq = binary.BigEndian.Uint64(b[18:])
	x.lastT = int64(binary.BigEndian.Uint64(b[26:]))
	n := int(binary.BigEndian.Uint32(b[34:]))
	rest := b[fixed : len(b)-4]
	if n < 0 || len(rest) < n*24 {
		return x, false
	}
	x.index = make([]idxEntry, n)
	for i := range x.index {
		p := rest[i*24:]
		x.index[i] = idxEntry{seq: binary.BigEndian.Uint64(p), time: int64(binary.BigEndian.Uint64(p[8:])), off: int64(binary.BigEndian.Uint64(p[16:]))}
	}
	rest = rest[n*24:]
	if ver == 1 {
		return x, len(rest) == 0
	}
	if len(rest) < 4 {
		return x, false
	}
	nd := int(binary.BigEndian.Uint32(rest))
	rest = rest[4:]
	for range nd {
		if len(rest) < 34 {
			return x, false
		}
		d := damage{off: int64(binary.BigEndian.Uint64(rest)), end: int64(binary.BigEndian.Uint64(rest[8:])),
			from: binary.BigEndian.Uint64(rest[16:]), to: binary.BigEndian.Uint64(rest[24:])}
		rl := int(binary.BigEndian.Uint16(rest[32:]))
		rest = rest[34:]
		if len(rest) < rl || rl > maxReason {
			return x, false
		}
		d.reason, rest = string(rest[:rl]), rest[rl:]
		x.damaged = append(x.damaged, d)
	}
	return x, len(rest) == 0
}
