package shard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shardcast/shardcast/datastreams/envelope"
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
	size    int64 // committed end offset

	alloc int64 // bytes reserved with preallocate; owned by the writer

	cipherOnce sync.Once
	cipher     sealer
	cipherErr  error
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

// seekSeq returns the offset of an index entry at or before seq.
func (s *segment) seekSeq(seq uint64) int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := sort.Search(len(s.index), func(i int) bool { return s.index[i].seq > seq })
	if i == 0 {
		return headerSize
	}
	return s.index[i-1].off
}

// seekTime returns the offset of an index entry whose records all come at or
// before the first record with time >= t.
func (s *segment) seekTime(t int64) int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := sort.Search(len(s.index), func(i int) bool { return s.index[i].time >= t })
	if i == 0 {
		return headerSize
	}
	return s.index[i-1].off
}

// addCommitted records a batch that the writer made durable.
func (s *segment) addCommitted(entries []idxEntry, lastSeq uint64, lastT, size int64) {
	s.mu.Lock()
	s.index = append(s.index, entries...)
	s.lastSeq, s.lastT, s.size = lastSeq, lastT, size
	s.mu.Unlock()
}

func (s *segment) sealer(keys KeySource) (sealer, error) {
	if s.hdr.KeyVer == 0 {
		return nil, nil
	}
	s.cipherOnce.Do(func() {
		if keys == nil {
			s.cipherErr = fmt.Errorf("%w: segment %s needs key version %d and the log has no key source", ErrNoKey, filepath.Base(s.path), s.hdr.KeyVer)
			return
		}
		key, err := keys(s.hdr.KeyVer)
		if err != nil {
			s.cipherErr = fmt.Errorf("%w: version %d: %w", ErrNoKey, s.hdr.KeyVer, err)
			return
		}
		c, err := envelope.NewCipher(key, s.hdr.Salt[:])
		if err != nil {
			s.cipherErr = fmt.Errorf("%w: %w", ErrNoKey, err)
			return
		}
		s.cipher = c
	})
	return s.cipher, s.cipherErr
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

// scanResult is what scanning a segment's records found.
type scanResult struct {
	index   []idxEntry
	lastSeq uint64
	lastT   int64
	end     int64 // offset just after the last good record
	err     error // why scanning stopped before the file's end, nil at a clean end
}

// scanSegment validates every record of f after the header (checksums,
// sequence continuity, time order) and builds the sparse index.
func scanSegment(f *os.File, hdr segHeader, fileSize int64) scanResult {
	res := scanResult{end: headerSize}
	w := window{f: f, size: fileSize}
	next := hdr.FirstSeq
	lastIndexed := int64(-indexEvery)
	for res.end < fileSize {
		off := res.end
		b, err := w.at(off, 4)
		if err != nil {
			res.err = err
			return res
		}
		total := int(binary.BigEndian.Uint32(b))
		if total < recOverhead || total > MaxRecordSize+recOverhead+sealOverhead {
			res.err = fmt.Errorf("%w: record length %d at offset %d", ErrCorrupt, total, off)
			return res
		}
		if b, err = w.at(off, total); err != nil {
			res.err = err
			return res
		}
		r, err := parseRecord(b)
		if err != nil {
			res.err = fmt.Errorf("%w (offset %d)", err, off)
			return res
		}
		if r.seq != next {
			res.err = fmt.Errorf("%w: record sequence %d at offset %d, want %d", ErrCorrupt, r.seq, off, next)
			return res
		}
		if r.time < res.lastT {
			res.err = fmt.Errorf("%w: record %d time goes backwards", ErrCorrupt, r.seq)
			return res
		}
		if off-lastIndexed >= indexEvery {
			res.index = append(res.index, idxEntry{seq: r.seq, time: r.time, off: off})
			lastIndexed = off
		}
		res.lastSeq, res.lastT = r.seq, r.time
		next++
		res.end = off + int64(total)
	}
	return res
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
// u64 last seq | i64 last time | u32 count | count x (u64 seq, i64 time, i64 off) | u32 CRC32C.
const idxMagic = "SHRDIDX\x00"

func encodeSegmentIndex(s *segment) []byte {
	lastSeq, lastT, size := s.state()
	s.mu.RLock()
	defer s.mu.RUnlock()
	b := make([]byte, 0, 8+2+8+8+8+4+len(s.index)*24+4)
	b = append(b, idxMagic...)
	b = binary.BigEndian.AppendUint16(b, formatVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(size))
	b = binary.BigEndian.AppendUint64(b, lastSeq)
	b = binary.BigEndian.AppendUint64(b, uint64(lastT))
	b = binary.BigEndian.AppendUint32(b, uint32(len(s.index)))
	for _, e := range s.index {
		b = binary.BigEndian.AppendUint64(b, e.seq)
		b = binary.BigEndian.AppendUint64(b, uint64(e.time))
		b = binary.BigEndian.AppendUint64(b, uint64(e.off))
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decodeSegmentIndex reads an encoded index that matches a segment of fileSize bytes.
func decodeSegmentIndex(b []byte, fileSize int64) (index []idxEntry, lastSeq uint64, lastT int64, ok bool) {
	const fixed = 8 + 2 + 8 + 8 + 8 + 4
	if len(b) < fixed+4 || string(b[:8]) != idxMagic {
		return nil, 0, 0, false
	}
	if crc32.Checksum(b[:len(b)-4], castagnoli) != binary.BigEndian.Uint32(b[len(b)-4:]) {
		return nil, 0, 0, false
	}
	if binary.BigEndian.Uint16(b[8:]) != formatVersion || int64(binary.BigEndian.Uint64(b[10:])) != fileSize {
		return nil, 0, 0, false
	}
	lastSeq = binary.BigEndian.Uint64(b[18:])
	lastT = int64(binary.BigEndian.Uint64(b[26:]))
	n := int(binary.BigEndian.Uint32(b[34:]))
	if len(b) != fixed+n*24+4 {
		return nil, 0, 0, false
	}
	index = make([]idxEntry, n)
	for i := range index {
		p := b[fixed+i*24:]
		index[i] = idxEntry{seq: binary.BigEndian.Uint64(p), time: int64(binary.BigEndian.Uint64(p[8:])), off: int64(binary.BigEndian.Uint64(p[16:]))}
	}
	return index, lastSeq, lastT, true
}
