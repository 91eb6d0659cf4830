package shard

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardcast/shardcast/datastreams/fsutil"
)

// Options configure a FileLog.
type Options struct {
	Dir             string        // the log's directory, created if missing
	Keys            KeySource     // resolves data-key versions; nil for a log that is never keyed
	SegmentMaxBytes int64         // roll to a new segment past this size (default 64 MiB)
	SegmentMaxAge   time.Duration // roll to a new segment once the active one is this old (default 1h)
	MaxBatchBytes   int           // most payload bytes one group commit takes (default 8 MiB)
	Now             func() time.Time
	Logger          *slog.Logger
}

func (o *Options) defaults() {
	if o.SegmentMaxBytes <= 0 {
		o.SegmentMaxBytes = 64 << 20
	}
	if o.SegmentMaxAge <= 0 {
		o.SegmentMaxAge = time.Hour
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = 8 << 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// preallocChunk is how much file space the writer reserves at a time.
const preallocChunk = 4 << 20

// FileLog is the durable Log: segment files in a directory, one writer
// goroutine with group commit.
type FileLog struct {
	opts Options

	segs   atomic.Pointer[[]*segment] // replaced, never modified, by the writer
	tail   atomic.Pointer[Bounds]
	keyVer atomic.Uint32

	reqs  chan *appendReq
	trims chan *trimReq
	quit  chan struct{}
	done  chan struct{}

	cmu      sync.RWMutex // guards closed against Append's inflight.Add
	closed   bool
	inflight sync.WaitGroup

	nmu    sync.Mutex
	notify chan struct{}

	stats struct{ commits, records, bytes, syncNanos atomic.Int64 }

	// Owned by the writer goroutine.
	active      *segment
	sealer      sealer
	lastIndexed int64
	buf         []byte
	failed      error
}

type appendReq struct {
	entries []Entry
	size    int
	res     Appended
	err     error
	done    chan struct{}
}

type trimReq struct {
	before int64
	n      int
	err    error
	done   chan struct{}
}

var _ Log = (*FileLog)(nil)

// Open opens (creating if needed) the log in opts.Dir, recovering from a
// crash: a torn or corrupt tail is cut off and logged.
func Open(opts Options) (*FileLog, error) {
	opts.defaults()
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("shard: %w", err)
	}
	l := &FileLog{
		opts:   opts,
		reqs:   make(chan *appendReq, 256),
		trims:  make(chan *trimReq),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
		notify: make(chan struct{}),
	}
	segs, err := l.recover()
	if err != nil {
		for _, s := range segs {
			s.release()
		}
		return nil, err
	}
	l.publish(segs)
	go l.run()
	return l, nil
}

// recover loads every segment, validating those without a matching sidecar.
func (l *FileLog) recover() ([]*segment, error) {
	// A segment whose creation did not finish left only a temporary file.
	if tmps, _ := filepath.Glob(filepath.Join(l.opts.Dir, "*.seg.tmp")); len(tmps) > 0 {
		for _, p := range tmps {
			os.Remove(p)
		}
	}
	firsts, err := listSegments(l.opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("shard: %w", err)
	}
	var segs []*segment
	for i, first := range firsts {
		last := i == len(firsts)-1
		s, err := l.loadSegment(first, last)
		if err != nil {
			return segs, err
		}
		if s == nil {
			continue
		}
		if n := len(segs); n > 0 {
			prev := segs[n-1]
			if prev.lastSeq == 0 {
				// An empty segment before others carries no position: drop it.
				l.removeFiles(prev)
				prev.release()
				segs = segs[:n-1]
			} else if s.hdr.FirstSeq <= prev.lastSeq {
				s.release()
				return segs, fmt.Errorf("%w: segment %s overlaps %s", ErrCorrupt, filepath.Base(s.path), filepath.Base(prev.path))
			}
		}
		segs = append(segs, s)
	}
	return segs, nil
}

func (l *FileLog) loadSegment(first uint64, last bool) (*segment, error) {
	path := filepath.Join(l.opts.Dir, segName(first))
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("shard: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("shard: %w", err)
	}
	hb := make([]byte, headerSize)
	n, _ := f.ReadAt(hb, 0)
	hdr, herr := parseHeader(hb[:n])
	if herr == nil && hdr.FirstSeq != first {
		herr = fmt.Errorf("%w: header says first sequence %d", ErrCorrupt, hdr.FirstSeq)
	}
	if herr != nil {
		f.Close()
		if last {
			// The writer fsyncs a new segment's header before it acknowledges
			// anything in it, so a bad header on the newest segment means it
			// was being created when the process died: nothing acked is here.
			l.opts.Logger.Warn("shard: removing half-created segment", "path", path, "err", herr)
			os.Remove(path)
			return nil, fsutil.SyncDir(l.opts.Dir)
		}
		return nil, fmt.Errorf("shard: segment %s: %w", path, herr)
	}
	s := &segment{path: path, hdr: hdr, f: f, size: st.Size()}
	s.refs.Store(1)
	if idx, lastSeq, lastT, ok := readSidecar(s.idxPath(), st.Size()); ok {
		s.index, s.lastSeq, s.lastT = idx, lastSeq, lastT
		return s, nil
	}
	res := scanSegment(f, hdr, st.Size())
	if res.err != nil {
		if !errors.Is(res.err, ErrCorrupt) {
			s.release()
			return nil, fmt.Errorf("shard: scan %s: %w", path, res.err)
		}
		zeros, err := allZero(f, res.end, st.Size())
		if err != nil {
			s.release()
			return nil, fmt.Errorf("shard: scan %s: %w", path, err)
		}
		lvl := slog.LevelWarn
		switch {
		case zeros:
			lvl = slog.LevelDebug // preallocated space after the last record
		case !last:
			lvl = slog.LevelError // not a torn write: the disk lost data
		}
		l.opts.Logger.Log(context.Background(), lvl, "shard: truncating segment at first bad record",
			"path", path, "offset", res.end, "dropped_bytes", st.Size()-res.end, "err", res.err)
		if err := f.Truncate(res.end); err != nil {
			s.release()
			return nil, fmt.Errorf("shard: truncate %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			s.release()
			return nil, fmt.Errorf("shard: fsync %s: %w", path, err)
		}
	}
	s.index, s.lastSeq, s.lastT, s.size = res.index, res.lastSeq, res.lastT, res.end
	if s.lastSeq != 0 {
		if err := writeSidecar(s); err != nil {
			l.opts.Logger.Warn("shard: write index sidecar", "path", s.idxPath(), "err", err)
		}
	}
	return s, nil
}

// publish installs a new segment list and recomputes the bounds.
func (l *FileLog) publish(segs []*segment) {
	l.segs.Store(&segs)
	b := Bounds{First: 1, Next: 1}
	if len(segs) > 0 {
		b.First = segs[0].hdr.FirstSeq
		lastSeg := segs[len(segs)-1]
		lastSeq, lastT, _ := lastSeg.state()
		if lastSeq == 0 {
			b.Next = lastSeg.hdr.FirstSeq
			if len(segs) > 1 {
				_, b.LastTime, _ = segs[len(segs)-2].state()
			}
		} else {
			b.Next, b.LastTime = lastSeq+1, lastT
		}
		if b.First > b.Next {
			b.First = b.Next
		}
	}
	l.tail.Store(&b)
}

// Stats counts a FileLog's work since it was opened.
type Stats struct {
	Commits  int64         // group commits (one write and one fsync each)
	Records  int64         // records committed
	Bytes    int64         // bytes written, framing included
	SyncTime time.Duration // total time spent in fsync
}

// Stats returns the log's counters.
func (l *FileLog) Stats() Stats {
	return Stats{Commits: l.stats.commits.Load(), Records: l.stats.records.Load(), Bytes: l.stats.bytes.Load(),
		SyncTime: time.Duration(l.stats.syncNanos.Load())}
}

// Bounds returns the readable extent.
func (l *FileLog) Bounds() Bounds { return *l.tail.Load() }

// Notify returns a channel closed at the next commit.
func (l *FileLog) Notify() <-chan struct{} {
	l.nmu.Lock()
	defer l.nmu.Unlock()
	return l.notify
}

func (l *FileLog) broadcast() {
	l.nmu.Lock()
	close(l.notify)
	l.notify = make(chan struct{})
	l.nmu.Unlock()
}

// SetKey makes later appends seal with data-key version ver (0 = plaintext).
func (l *FileLog) SetKey(ver uint32) { l.keyVer.Store(ver) }

// Append stores entries durably and reports their position.
func (l *FileLog) Append(ctx context.Context, entries []Entry) (Appended, error) {
	size := 0
	for _, e := range entries {
		n := len(e.Meta) + len(e.Data)
		if n > MaxRecordSize {
			return Appended{}, fmt.Errorf("%w: %d bytes", ErrTooLarge, n)
		}
		size += n
	}
	if len(entries) == 0 {
		b := l.Bounds()
		return Appended{FirstSeq: b.Next, Time: b.LastTime}, nil
	}
	l.cmu.RLock()
	if l.closed {
		l.cmu.RUnlock()
		return Appended{}, ErrClosed
	}
	l.inflight.Add(1)
	l.cmu.RUnlock()
	defer l.inflight.Done()

	req := &appendReq{entries: entries, size: size, done: make(chan struct{})}
	select {
	case l.reqs <- req:
	case <-ctx.Done():
		return Appended{}, ctx.Err()
	}
	// Once queued the append completes (a group commit takes milliseconds);
	// waiting keeps the caller's view consistent with what is stored.
	<-req.done
	return req.res, req.err
}

// TrimBefore drops whole segments whose records are all older than t.
func (l *FileLog) TrimBefore(t int64) (int, error) {
	l.cmu.RLock()
	if l.closed {
		l.cmu.RUnlock()
		return 0, ErrClosed
	}
	l.inflight.Add(1)
	l.cmu.RUnlock()
	defer l.inflight.Done()
	req := &trimReq{before: t, done: make(chan struct{})}
	l.trims <- req
	<-req.done
	return req.n, req.err
}

// Close stops the writer after pending appends and releases the files.
func (l *FileLog) Close() error {
	l.cmu.Lock()
	if l.closed {
		l.cmu.Unlock()
		return nil
	}
	l.closed = true
	l.cmu.Unlock()
	l.inflight.Wait()
	close(l.quit)
	<-l.done
	for _, s := range *l.segs.Load() {
		s.release()
	}
	l.nmu.Lock()
	close(l.notify) // left closed: tailing readers see the end at once
	l.nmu.Unlock()
	return nil
}

func (l *FileLog) run() {
	defer close(l.done)
	var batch []*appendReq
	for {
		select {
		case r := <-l.reqs:
			batch = append(batch[:0], r)
			size := r.size
		gather:
			for size < l.opts.MaxBatchBytes {
				select {
				case r := <-l.reqs:
					batch = append(batch, r)
					size += r.size
				default:
					break gather
				}
			}
			l.commit(batch)
			clear(batch)
		case t := <-l.trims:
			t.n, t.err = l.trim(t.before)
			close(t.done)
		case <-l.quit:
			if l.active != nil && l.failed == nil {
				l.seal(l.active)
			}
			return
		}
	}
}

func fail(batch []*appendReq, err error) {
	for _, r := range batch {
		r.err = err
		close(r.done)
	}
}

// commit writes a batch with one write and one fsync, then answers it.
func (l *FileLog) commit(batch []*appendReq) {
	if l.failed != nil {
		fail(batch, l.failed)
		return
	}
	tail := l.Bounds()
	now := l.opts.Now().UnixNano()
	if now < tail.LastTime {
		now = tail.LastTime
	}
	size := 0
	for _, r := range batch {
		size += r.size + len(r.entries)*(recOverhead+sealOverhead)
	}
	if err := l.maybeRoll(now, int64(size), tail.Next); err != nil {
		fail(batch, err)
		return
	}
	seg := l.active
	base := seg.size
	buf := l.buf[:0]
	var idx []idxEntry
	seq := tail.Next
	for _, r := range batch {
		r.res = Appended{FirstSeq: seq, Time: now}
		for _, e := range r.entries {
			off := base + int64(len(buf))
			if off-l.lastIndexed >= indexEvery {
				idx = append(idx, idxEntry{seq: seq, time: now, off: off})
				l.lastIndexed = off
			}
			buf = appendRecord(buf, seq, now, e, l.sealer)
			seq++
		}
	}
	if cap(buf) <= 32<<20 {
		l.buf = buf
	}
	if end := base + int64(len(buf)); end > seg.alloc {
		seg.alloc = max(end, seg.alloc+min(preallocChunk, l.opts.SegmentMaxBytes))
		preallocate(seg.f, seg.alloc)
	}
	if _, err := seg.f.WriteAt(buf, base); err != nil {
		l.abort(batch, base, fmt.Errorf("shard: write %s: %w", seg.path, err))
		return
	}
	syncStart := time.Now()
	if err := syncData(seg.f); err != nil {
		// After a failed fsync the page cache state is unknown (fsyncgate):
		// refuse further writes until the log is reopened and recovered.
		l.failed = fmt.Errorf("%w: fsync %s: %w", ErrFailed, seg.path, err)
		fail(batch, l.failed)
		return
	}
	l.stats.syncNanos.Add(int64(time.Since(syncStart)))
	l.stats.commits.Add(1)
	l.stats.records.Add(int64(seq - tail.Next))
	l.stats.bytes.Add(int64(len(buf)))
	end := base + int64(len(buf))
	seg.addCommitted(idx, seq-1, now, end)
	l.tail.Store(&Bounds{First: tail.First, Next: seq, LastTime: now})
	for _, r := range batch {
		close(r.done)
	}
	l.broadcast()
}

// abort undoes a failed write by cutting the file back to the committed end.
func (l *FileLog) abort(batch []*appendReq, base int64, err error) {
	if terr := l.active.f.Truncate(base); terr != nil {
		l.failed = fmt.Errorf("%w: %w (truncate: %v)", ErrFailed, err, terr)
		err = l.failed
	}
	fail(batch, err)
}

// maybeRoll makes sure there is an active segment fit for a batch of size
// bytes written at time now with the current key.
func (l *FileLog) maybeRoll(now, size int64, next uint64) error {
	ver := l.keyVer.Load()
	if s := l.active; s != nil {
		full := s.size > headerSize && s.size+size > l.opts.SegmentMaxBytes
		old := s.size > headerSize && now-s.hdr.Created >= int64(l.opts.SegmentMaxAge)
		if !full && !old && s.hdr.KeyVer == ver {
			return nil
		}
	}
	return l.roll(now, next, ver)
}

// seal ends writing to a segment: the preallocated space after its last
// record is released and its index sidecar is written.
func (l *FileLog) seal(s *segment) {
	_, _, size := s.state()
	if s.alloc > size {
		if err := s.f.Truncate(size); err != nil {
			l.opts.Logger.Warn("shard: release preallocated space", "path", s.path, "err", err)
		}
	}
	if lastSeq, _, _ := s.state(); lastSeq != 0 {
		if err := writeSidecar(s); err != nil {
			l.opts.Logger.Warn("shard: write index sidecar", "path", s.idxPath(), "err", err)
		}
	}
}

// roll seals the active segment and starts a new one at sequence next.
func (l *FileLog) roll(now int64, next uint64, ver uint32) error {
	segs := append([]*segment(nil), *l.segs.Load()...)
	if l.active != nil {
		l.seal(l.active)
	}
	hdr := segHeader{KeyVer: ver, FirstSeq: next, Created: now}
	if _, err := rand.Read(hdr.Salt[:]); err != nil {
		return fmt.Errorf("shard: salt: %w", err)
	}
	s := &segment{path: filepath.Join(l.opts.Dir, segName(next)), hdr: hdr, size: headerSize}
	var sl sealer
	if ver != 0 {
		var err error
		if sl, err = s.sealer(l.opts.Keys); err != nil {
			return err
		}
	}
	// Write the header to a temporary file and rename it into place, so an
	// empty segment already holding this name (it keeps the position when
	// retention emptied the log) is replaced atomically.
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("shard: create segment: %w", err)
	}
	_, err = f.Write(hdr.marshal())
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, s.path)
	}
	if err == nil {
		err = fsutil.SyncDir(l.opts.Dir)
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("shard: create segment %s: %w", s.path, err)
	}
	s.f = f
	s.refs.Store(1)
	if n := len(segs); n > 0 && segs[n-1].hdr.FirstSeq == next {
		// The replaced segment was empty; its file name now belongs to s.
		segs[n-1].release()
		segs = segs[:n-1]
	}
	segs = append(segs, s)
	l.publish(segs)
	l.active, l.sealer, l.lastIndexed = s, sl, -indexEvery
	return nil
}

// trim removes leading segments whose records are all older than before.
func (l *FileLog) trim(before int64) (int, error) {
	segs := *l.segs.Load()
	drop := 0
	removed := 0
	for drop < len(segs) {
		lastSeq, lastT, _ := segs[drop].state()
		if lastSeq == 0 || lastT >= before {
			break
		}
		removed += int(lastSeq - segs[drop].hdr.FirstSeq + 1)
		drop++
	}
	if drop == 0 {
		return 0, nil
	}
	if drop == len(segs) {
		// Everything expired: keep the position in a fresh empty segment.
		b := l.Bounds()
		if err := l.roll(l.opts.Now().UnixNano(), b.Next, l.keyVer.Load()); err != nil {
			return 0, err
		}
		segs = *l.segs.Load()
	}
	gone := segs[:drop]
	keep := append([]*segment(nil), segs[drop:]...)
	l.publish(keep)
	for _, s := range gone {
		l.removeFiles(s)
		s.release()
	}
	return removed, fsutil.SyncDir(l.opts.Dir)
}

func (l *FileLog) removeFiles(s *segment) {
	if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		l.opts.Logger.Warn("shard: remove segment", "path", s.path, "err", err)
	}
	os.Remove(s.idxPath())
}

// Read returns committed records from sequence from on.
func (l *FileLog) Read(from uint64, max, maxBytes int) ([]Record, error) {
	b := l.Bounds()
	if from < b.First {
		from = b.First
	}
	if from >= b.Next || max <= 0 {
		return nil, nil
	}
	segs := *l.segs.Load()
	i := sort.Search(len(segs), func(i int) bool { return segs[i].hdr.FirstSeq > from }) - 1
	if i < 0 {
		i = 0
	}
	var out []Record
	var arena []byte
	total := 0
	for ; i < len(segs) && len(out) < max; i++ {
		s := segs[i]
		if !s.acquire() {
			continue // trimmed meanwhile
		}
		done, err := l.readSegment(s, from, max, maxBytes, b.Next, &out, &arena, &total)
		s.release()
		if err != nil {
			return out, err
		}
		if done {
			break
		}
	}
	return out, nil
}

// readSegment appends records of s with from <= seq < next to out. It
// reports done when a limit was reached.
func (l *FileLog) readSegment(s *segment, from uint64, max, maxBytes int, next uint64, out *[]Record, arena *[]byte, total *int) (bool, error) {
	lastSeq, _, size := s.state()
	if lastSeq == 0 || lastSeq < from {
		return false, nil
	}
	sl, err := s.sealer(l.opts.Keys)
	if err != nil {
		return true, err
	}
	w := window{f: s.f, size: size}
	off := s.seekSeq(from)
	for off < size {
		hb, err := w.at(off, 4)
		if err != nil {
			return true, err
		}
		n := int(binary.BigEndian.Uint32(hb))
		rb, err := w.at(off, n)
		if err != nil {
			return true, err
		}
		v, err := parseRecord(rb)
		if err != nil {
			return true, fmt.Errorf("shard: %s offset %d: %w", s.path, off, err)
		}
		off += int64(v.size)
		if v.seq < from {
			continue
		}
		if v.seq >= next {
			return true, nil
		}
		rec, err := v.open(sl, s.hdr.KeyVer)
		if err != nil {
			return true, fmt.Errorf("shard: %s record %d: %w", s.path, v.seq, err)
		}
		sz := len(rec.Meta) + len(rec.Data)
		if len(*out) > 0 && *total+sz > maxBytes {
			return true, nil
		}
		*total += sz
		start := len(*arena)
		*arena = append(*arena, rec.Meta...)
		*arena = append(*arena, rec.Data...)
		a := *arena
		rec.Meta = a[start : start+len(rec.Meta) : start+len(rec.Meta)]
		rec.Data = a[start+len(rec.Meta) : start+sz : start+sz]
		*out = append(*out, rec)
		if len(*out) >= max || *total >= maxBytes {
			return true, nil
		}
	}
	return false, nil
}

// SeekTime returns the first sequence number whose time is >= t.
func (l *FileLog) SeekTime(t int64) (uint64, error) {
	b := l.Bounds()
	segs := *l.segs.Load()
	for _, s := range segs {
		lastSeq, lastT, size := s.state()
		if lastSeq == 0 || lastT < t {
			continue
		}
		if !s.acquire() {
			continue
		}
		seq, err := seekTimeIn(s, t, size)
		s.release()
		if err != nil {
			return 0, err
		}
		if seq < b.First {
			seq = b.First
		}
		return seq, nil
	}
	return b.Next, nil
}

func seekTimeIn(s *segment, t, size int64) (uint64, error) {
	w := window{f: s.f, size: size}
	off := s.seekTime(t)
	for off < size {
		hb, err := w.at(off, recHeaderSize)
		if err != nil {
			return 0, err
		}
		n := int(binary.BigEndian.Uint32(hb))
		if int64(binary.BigEndian.Uint64(hb[12:])) >= t {
			return binary.BigEndian.Uint64(hb[4:]), nil
		}
		if n < recOverhead {
			return 0, fmt.Errorf("%w: record length %d", ErrCorrupt, n)
		}
		off += int64(n)
	}
	return 0, fmt.Errorf("%w: segment %s has no record at or after its last time", ErrCorrupt, s.path)
}
