package shard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardcast/shardcast/datastreams/fsutil"
)

// Options configure a FileLog.
type Options struct {
	Dir             string        // the log's directory, created if missing
	Name            string        // the log's key in Index (default: Dir)
	Index           SegmentIndex  // persists sealed segments' sparse indexes; nil scans every segment at open
	SegmentMaxBytes int64         // roll to a new segment past this size (default 64 MiB)
	SegmentMaxAge   time.Duration // roll to a new segment once the active one is this old (default 1h)
	FirstSeq        uint64        // the first sequence number of a log that has never been written (default 1)
	MaxBatchBytes   int           // most payload bytes one group commit takes (default 8 MiB)
	Now             func() time.Time
	Logger          *slog.Logger
}

func (o *Options) defaults() {
	if o.Name == "" {
		o.Name = o.Dir
	}
	if o.SegmentMaxBytes <= 0 {
		o.SegmentMaxBytes = DefaultSegmentMaxBytes
	}
	if o.SegmentMaxAge <= 0 {
		o.SegmentMaxAge = time.Hour
	}
	if o.FirstSeq == 0 {
		o.FirstSeq = 1
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

// FileLog is the durable Log: segment files in a directory, one writer
// goroutine with group commit.
type FileLog struct {
	opts Options

	segs atomic.Pointer[[]*segment] // replaced, never modified, by the writer
	tail atomic.Pointer[Bounds]

	reqs  chan *appendReq
	trims chan *trimReq
	skips chan *skipReq
	quit  chan struct{}
	done  chan struct{}

	cmu      sync.RWMutex // guards closed against Append's inflight.Add
	closed   bool
	inflight sync.WaitGroup

	nmu    sync.Mutex
	notify chan struct{}

	stats struct{ commits, records, bytes, syncNanos, skips atomic.Int64 }

	windows sync.Pool // *[]byte: readSegment's read buffers, reused

	pos   *position // the sequence high-water mark
	floor uint64    // numbering resumes at least here (the mark found at open)
	lost  []Damage  // whole segments whose header is unreadable (set at open)

	// Owned by the writer goroutine.
	active      *segment
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

type skipReq struct {
	seq  uint64
	err  error
	done chan struct{}
}

type trimReq struct {
	before int64
	n      int
	err    error
	done   chan struct{}
}

var _ Log = (*FileLog)(nil)

// Open opens (creating if needed) the log in opts.Dir, recovering from a
// crash: a torn tail of the newest segment is cut off; a damaged record
// anywhere else is skipped, logged and listed by Damaged. Numbering resumes
// above every number handed out before, even if records at the tail were lost.
func Open(opts Options) (*FileLog, error) {
	opts.defaults()
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("shard: %w", err)
	}
	l := &FileLog{
		opts:   opts,
		reqs:   make(chan *appendReq, 256),
		trims:  make(chan *trimReq),
		skips:  make(chan *skipReq),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
		notify: make(chan struct{}),
	}
	segs, err := l.recover()
	if err == nil {
		l.pos, err = openPosition(opts.Dir)
	}
	if err != nil {
		for _, s := range segs {
			s.release()
		}
		return nil, err
	}
	l.floor = l.pos.mark
	l.publish(segs)
	if b := l.Bounds(); l.pos.mark > 0 && b.Next == l.pos.mark && len(segs) > 0 {
		if lastSeq, _, _ := segs[len(segs)-1].state(); lastSeq+1 < b.Next && lastSeq != 0 {
			opts.Logger.Warn("shard: numbering resumes past the recovered tail", "dir", opts.Dir,
				"recovered_next", lastSeq+1, "next", b.Next)
		}
	}
	go l.run()
	return l, nil
}

// recover loads every segment, scanning those whose index is not stored.
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
	var unreadable []uint64 // sealed segments whose header is damaged
	for i, first := range firsts {
		last := i == len(firsts)-1
		s, err := l.loadSegment(first, last)
		if errors.Is(err, ErrCorrupt) && !last {
			unreadable = append(unreadable, first)
			continue
		}
		if err != nil {
			return segs, err
		}
		if s == nil {
			continue
		}
		if n := len(segs); n > 0 {
			prev := segs[n-1]
			if prev.lastSeq == 0 && len(prev.damaged) == 0 {
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
	// Damage that ran to the end of a sealed segment took the records up to
	// the next segment's first.
	for i, s := range segs {
		if n := len(s.damaged); n > 0 && s.damaged[n-1].to < s.damaged[n-1].from && s.damaged[n-1].end == s.size && i+1 < len(segs) {
			d := &s.damaged[n-1]
			d.to = segs[i+1].hdr.FirstSeq - 1
			s.lastSeq = max(s.lastSeq, d.to)
			l.saveIndex(s)
		}
	}
	for _, first := range unreadable {
		to := first - 1
		for _, s := range segs {
			if s.hdr.FirstSeq > first {
				to = s.hdr.FirstSeq - 1
				break
			}
		}
		path := filepath.Join(l.opts.Dir, segName(first))
		d := Damage{File: path, Offset: 0, FromSeq: first, ToSeq: to, Reason: "segment header is damaged"}
		if st, err := os.Stat(path); err == nil {
			d.End = st.Size()
		}
		l.opts.Logger.Error("shard: segment unreadable, its records are skipped", "path", path, "from_seq", d.FromSeq, "to_seq", d.ToSeq)
		l.lost = append(l.lost, d)
	}
	return segs, nil
}

func (l *FileLog) loadSegment(first uint64, last bool) (*segment, error) {
	path := filepath.Join(l.opts.Dir, segName(first))
	f, size, hdr, herr := openSegmentFile(path, first, os.O_RDWR)
	if herr != nil && !errors.Is(herr, ErrCorrupt) {
		return nil, herr
	}
	if herr != nil {
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
	s := &segment{path: path, hdr: hdr, f: f, size: size}
	s.refs.Store(1)
	if l.opts.Index != nil {
		if b, found := l.opts.Index.LoadSegment(l.opts.Name, first); found {
			if x, ok := decodeSegmentIndex(b, size); ok {
				s.index, s.lastSeq, s.lastT, s.damaged = x.index, x.lastSeq, x.lastT, x.damaged
				return s, nil
			}
		}
	}
	res := scanSegment(f, hdr, size)
	if res.err != nil && !errors.Is(res.err, ErrCorrupt) {
		s.release()
		return nil, fmt.Errorf("shard: scan %s: %w", path, res.err)
	}
	for _, d := range res.damaged {
		l.opts.Logger.Error("shard: damaged records skipped", "path", path, "offset", d.off, "bytes", d.end-d.off,
			"from_seq", d.from, "to_seq", d.to, "err", d.reason)
	}
	s.index, s.lastSeq, s.lastT, s.size, s.damaged = res.index, res.lastSeq, res.lastT, res.end, res.damaged
	if res.err != nil {
		zeros, err := allZero(f, res.end, size)
		if err != nil {
			s.release()
			return nil, fmt.Errorf("shard: scan %s: %w", path, err)
		}
		switch {
		case last:
			// Only the newest segment has a tail that a crash can tear: the
			// writer acknowledges nothing before its fsync, so what follows the
			// last whole record was never acknowledged (preallocated zeros, or a
			// batch cut short).
			lvl := slog.LevelWarn
			if zeros {
				lvl = slog.LevelDebug
			}
			l.opts.Logger.Log(context.Background(), lvl, "shard: cutting torn tail",
				"path", path, "offset", res.end, "dropped_bytes", size-res.end, "err", res.err)
			if err := f.Truncate(res.end); err != nil {
				s.release()
				return nil, fmt.Errorf("shard: truncate %s: %w", path, err)
			}
			if err := f.Sync(); err != nil {
				s.release()
				return nil, fmt.Errorf("shard: fsync %s: %w", path, err)
			}
		case zeros:
			// A sealed segment whose preallocated space was not released.
		default:
			// A sealed segment is never torn: the disk lost data. Keep the
			// bytes (for forensics) and skip them; the records they held are
			// reported, their count fixed once the next segment is known.
			d := damage{off: res.end, end: size, from: res.lastSeq + 1, to: res.lastSeq, reason: res.err.Error()}
			if res.lastSeq == 0 {
				d.from, d.to = hdr.FirstSeq, hdr.FirstSeq-1
			}
			l.opts.Logger.Error("shard: damaged records skipped to the end of the segment", "path", path,
				"offset", d.off, "bytes", d.end-d.off, "from_seq", d.from, "err", d.reason)
			s.damaged = append(s.damaged, d)
			s.size = size
		}
	}
	if s.lastSeq != 0 || len(s.damaged) > 0 {
		l.saveIndex(s)
	}
	return s, nil
}

// publish installs a new segment list and recomputes the bounds.
func (l *FileLog) publish(segs []*segment) {
	l.segs.Store(&segs)
	b := Bounds{First: l.opts.FirstSeq, Next: l.opts.FirstSeq}
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
	}
	if b.Next < l.floor {
		b.Next = l.floor
	}
	if b.First > b.Next {
		b.First = b.Next
	}
	l.tail.Store(&b)
}

// Stats counts a FileLog's work since it was opened.
type Stats struct {
	Commits  int64         // group commits (one write and one fsync each)
	Records  int64         // records committed
	Bytes    int64         // bytes written, framing included
	SyncTime time.Duration // total time spent in fsync
	Skips    int64         // times a read passed over damaged records
}

// Stats returns the log's counters.
func (l *FileLog) Stats() Stats {
	return Stats{Commits: l.stats.commits.Load(), Records: l.stats.records.Load(), Bytes: l.stats.bytes.Load(),
		SyncTime: time.Duration(l.stats.syncNanos.Load()), Skips: l.stats.skips.Load()}
}

// saveIndex stores a sealed segment's sparse index; failing is harmless
// (the next open scans the segment), so it is only logged.
func (l *FileLog) saveIndex(s *segment) {
	if l.opts.Index == nil {
		return
	}
	if err := l.opts.Index.SaveSegment(l.opts.Name, s.hdr.FirstSeq, encodeSegmentIndex(s)); err != nil {
		l.opts.Logger.Warn("shard: store segment index", "path", s.path, "err", err)
	}
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

// Append stores entries durably and reports their position.
func (l *FileLog) Append(ctx context.Context, entries []Entry) (Appended, error) {
	size := 0
	for _, e := range entries {
		n := len(e.Meta) + len(e.Data)
		if n > MaxStoredSize {
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

// SkipTo makes the next record's sequence number at least seq, durably.
func (l *FileLog) SkipTo(ctx context.Context, seq uint64) error {
	if seq <= l.Bounds().Next {
		return nil
	}
	l.cmu.RLock()
	if l.closed {
		l.cmu.RUnlock()
		return ErrClosed
	}
	l.inflight.Add(1)
	l.cmu.RUnlock()
	defer l.inflight.Done()
	req := &skipReq{seq: seq, done: make(chan struct{})}
	select {
	case l.skips <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	<-req.done
	return req.err
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
	// A clean close leaves the mark at the next number exactly, so that
	// only a crash leaves a gap in the numbering.
	if l.failed == nil && l.pos.mark != l.Bounds().Next {
		if err := l.pos.set(l.Bounds().Next); err != nil {
			l.opts.Logger.Warn("shard: store the sequence position", "err", err)
		}
	}
	l.pos.close()
	l.nmu.Lock()
	close(l.notify) // left closed: tailing readers see the end at once
	l.nmu.Unlock()
	return nil
}
