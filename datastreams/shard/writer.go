package shard

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/shardcast/shardcast/datastreams/fsutil"
)

// preallocChunk is how much file space the writer reserves at a time.
const preallocChunk = 4 << 20

// maxKeptBuffer is the largest write buffer a shard keeps between commits.
const maxKeptBuffer = 256 << 10

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
		case k := <-l.skips:
			k.err = l.skip(k.seq)
			close(k.done)
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
	size, count := 0, 0
	for _, r := range batch {
		size += r.size + len(r.entries)*recOverhead
		count += len(r.entries)
	}
	// Move the high-water mark ahead before handing out numbers past it.
	if end := tail.Next + uint64(count); end > l.pos.mark {
		if err := l.pos.set(end + reserveStep); err != nil {
			fail(batch, err)
			return
		}
	}
	if err := l.maybeRoll(now, int64(size), tail.Next); err != nil {
		fail(batch, err)
		return
	}
	seg := l.active
	base := seg.size
	// Sized once for the whole batch: growing it record by record copied
	// it over and over.
	buf := slices.Grow(l.buf[:0], size)
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
			buf = appendRecord(buf, seq, now, e)
			seq++
		}
	}
	if cap(buf) <= maxKeptBuffer {
		l.buf = buf // reused by the next commit
	} else {
		l.buf = nil // a large batch (a video fragment): do not pin it per shard
	}
	if end := base + int64(len(buf)); end > seg.alloc {
		seg.alloc = max(end, seg.alloc+min(preallocChunk, l.opts.SegmentMaxBytes))
		if err := preallocate(seg.f, seg.alloc); err != nil {
			// Reserving ahead failed (a nearly full disk may still hold
			// this batch): drop what fallocate may have reserved and let
			// the write decide.
			seg.alloc = base
			if terr := seg.f.Truncate(base); terr != nil {
				l.abort(batch, base, writeError("write", seg.path, terr))
				return
			}
		}
	}
	if _, err := seg.f.WriteAt(buf, base); err != nil {
		l.abort(batch, base, writeError("write", seg.path, err))
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
// The log stays usable: a write that failed (a full disk) and was cut off
// left nothing behind, unlike a failed fsync.
func (l *FileLog) abort(batch []*appendReq, base int64, err error) {
	if terr := l.active.f.Truncate(base); terr != nil {
		l.failed = fmt.Errorf("%w: %w (truncate: %v)", ErrFailed, err, terr)
		err = l.failed
	} else {
		l.active.alloc = base
	}
	fail(batch, err)
}

// writeError describes a failed write to the segment at path. A full disk
// (or quota) is ErrDiskFull. The message names the data file even when the
// failing call used a temporary one, which no longer exists afterwards.
func writeError(op, path string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %s %s: %w", ErrDiskFull, op, path, err)
	}
	return fmt.Errorf("shard: %s %s: %w", op, path, err)
}

// maybeRoll makes sure there is an active segment fit for a batch of size
// bytes written at time now.
func (l *FileLog) maybeRoll(now, size int64, next uint64) error {
	if s := l.active; s != nil {
		full := s.size > headerSize && s.size+size > l.opts.SegmentMaxBytes
		old := s.size > headerSize && now-s.hdr.Created >= int64(l.opts.SegmentMaxAge)
		if !full && !old {
			return nil
		}
	}
	return l.roll(now, next)
}

// seal ends writing to a segment: the preallocated space after its last
// record is released and its sparse index is stored.
func (l *FileLog) seal(s *segment) {
	_, _, size := s.state()
	if s.alloc > size {
		if err := s.f.Truncate(size); err != nil {
			l.opts.Logger.Warn("shard: release preallocated space", "path", s.path, "err", err)
		} else {
			s.alloc = size
		}
	}
	if lastSeq, _, _ := s.state(); lastSeq != 0 {
		l.saveIndex(s)
	}
}

// roll seals the active segment and starts a new one at sequence next.
func (l *FileLog) roll(now int64, next uint64) error {
	segs := append([]*segment(nil), *l.segs.Load()...)
	if l.active != nil {
		l.seal(l.active)
	}
	hdr := segHeader{FirstSeq: next, Created: now}
	s := &segment{path: filepath.Join(l.opts.Dir, segName(next)), hdr: hdr, size: headerSize}
	// Write the header to a temporary file and rename it into place, so an
	// empty segment already holding this name (it keeps the position when
	// retention emptied the log) is replaced atomically.
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return writeError("create segment", s.path, err)
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
		return writeError("create segment", s.path, err)
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
	l.active, l.lastIndexed = s, -indexEvery
	return nil
}

// skip moves numbering up to seq. Records of a segment are numbered without
// gaps, so the numbers passed over lie between two segments: the mark moves
// past seq first, then a new segment starts at seq.
func (l *FileLog) skip(seq uint64) error {
	if l.failed != nil {
		return l.failed
	}
	tail := l.Bounds()
	if seq <= tail.Next {
		return nil
	}
	if seq > l.pos.mark {
		if err := l.pos.set(seq + reserveStep); err != nil {
			return err
		}
	}
	now := l.opts.Now().UnixNano()
	if now < tail.LastTime {
		now = tail.LastTime
	}
	if err := l.roll(now, seq); err != nil {
		return err
	}
	if b := l.Bounds(); b.Next < seq {
		// publish derives the end from the newest segment; a skip is
		// past it by construction.
		return fmt.Errorf("shard: skip to %d left numbering at %d", seq, b.Next)
	}
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
		if err := l.roll(l.opts.Now().UnixNano(), b.Next); err != nil {
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
	if l.opts.Index != nil {
		if err := l.opts.Index.DeleteSegments(l.opts.Name, s.hdr.FirstSeq); err != nil {
			l.opts.Logger.Warn("shard: drop segment index", "path", s.path, "err", err)
		}
	}
}
