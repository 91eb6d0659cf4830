package shard

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
)

// Read returns committed records from sequence from on. Damaged records are
// passed over: the result jumps from the record before them to the one after.
func (l *FileLog) Read(ctx context.Context, from uint64, max, maxBytes int) ([]Record, error) {
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
	w := window{f: s.f, size: size}
	if p, ok := l.windows.Get().(*[]byte); ok {
		w.buf = (*p)[:0]
	}
	defer func() {
		// Records are copied out of the buffer into arena: it is free.
		if cap(w.buf) <= 4*windowSize {
			b := w.buf[:0]
			l.windows.Put(&b)
		}
	}()
	at := s.seekSeq(from)
	off, expect := at.off, at.seq
	if cap(*out) == 0 {
		presize(out, arena, lastSeq-at.seq+1, size-at.off, max, maxBytes)
	}
	for off < size {
		if d, ok := s.damageAt(off); ok {
			if d.to >= from && d.from < next {
				l.skipped(s, d)
			}
			off, expect = d.end, d.to+1
			continue
		}
		v, err := w.record(off)
		if err == nil && v.seq != expect {
			err = fmt.Errorf("%w: record sequence %d at offset %d, want %d", ErrCorrupt, v.seq, off, expect)
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				return true, fmt.Errorf("shard: %s: %w", s.path, err)
			}
			l.damaged(s, &w, off, expect, err)
			continue // the loop meets the damage just recorded
		}
		if v.seq < from {
			off += int64(v.size)
			expect++
			continue
		}
		if v.seq >= next {
			return true, nil
		}
		rec, err := v.open()
		if err != nil {
			// Whole and checksummed but not well formed: skip the record.
			d := damage{off: off, end: off + int64(v.size), from: v.seq, to: v.seq, reason: err.Error()}
			if s.addDamage(d) {
				l.reportDamage(s, d)
			}
			continue
		}
		off += int64(v.size)
		expect++
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

// presize gives a read's first segment its result slices at once, from
// the records and bytes it holds from the read's start on, so that a large
// read does not grow them step by step: at most max records, and their
// bytes estimated from the segment's mean record size (framing included,
// so an overestimate), capped by maxBytes.
func presize(out *[]Record, arena *[]byte, count uint64, bytes int64, max, maxBytes int) {
	if count == 0 || bytes <= 0 {
		return
	}
	n := min(count, uint64(max))
	est := min(uint64(bytes)/count*n, uint64(maxBytes), uint64(bytes))
	*out = make([]Record, 0, n)
	*arena = make([]byte, 0, est)
}

// damaged records the damage a reader met at off, where record expect
// should have been: up to the next good record, or to the segment's end.
func (l *FileLog) damaged(s *segment, w *window, off int64, expect uint64, cause error) {
	lastSeq, _, size := s.state()
	d := damage{off: off, end: size, from: expect, to: lastSeq, reason: cause.Error()}
	if at, good, ok := resync(w, off+1, expect, 0); ok {
		d.end, d.to = at, good.seq-1
	}
	if s.addDamage(d) {
		l.reportDamage(s, d)
	}
}

// reportDamage logs damage found after open and keeps it in the stored
// index of a sealed segment.
func (l *FileLog) reportDamage(s *segment, d damage) {
	l.opts.Logger.Error("shard: damaged records found while reading; they are skipped", "path", s.path,
		"offset", d.off, "bytes", d.end-d.off, "from_seq", d.from, "to_seq", d.to, "err", d.reason)
	if segs := *l.segs.Load(); len(segs) > 0 && segs[len(segs)-1] != s {
		l.saveIndex(s)
	}
}

// skipped counts a read that passed over damaged records.
func (l *FileLog) skipped(s *segment, d damage) {
	l.stats.skips.Add(1)
	if d.to >= d.from {
		l.opts.Logger.Warn("shard: read skipped damaged records", "path", s.path, "from_seq", d.from, "to_seq", d.to)
	}
}

// Damaged lists the damage known in the log, in sequence order.
func (l *FileLog) Damaged() []Damage {
	out := slices.Clone(l.lost)
	for _, s := range *l.segs.Load() {
		for _, d := range s.damages() {
			out = append(out, Damage{File: s.path, Offset: d.off, End: d.end, FromSeq: d.from, ToSeq: d.to, Reason: d.reason})
		}
	}
	slices.SortFunc(out, func(a, b Damage) int {
		if a.FromSeq != b.FromSeq {
			if a.FromSeq < b.FromSeq {
				return -1
			}
			return 1
		}
		return int(a.Offset - b.Offset)
	})
	return out
}

// SeekTime returns the first sequence number whose time is >= t.
func (l *FileLog) SeekTime(ctx context.Context, t int64) (uint64, error) {
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
		seq, found, err := l.seekTimeIn(s, t, size)
		s.release()
		if err != nil {
			return 0, err
		}
		if !found {
			continue // the records at or after t were damaged
		}
		if seq < b.First {
			seq = b.First
		}
		return seq, nil
	}
	return b.Next, nil
}

// seekTimeIn walks record headers from an index entry to the first record
// with time >= t. It reads headers only; a header that does not fit the
// walk is damage, found and passed over as readers do.
func (l *FileLog) seekTimeIn(s *segment, t, size int64) (uint64, bool, error) {
	w := window{f: s.f, size: size}
	at := s.seekTime(t)
	off, expect := at.off, at.seq
	for off < size {
		if d, ok := s.damageAt(off); ok {
			off, expect = d.end, d.to+1
			continue
		}
		hb, err := w.at(off, recHeaderSize)
		var n int64
		if err == nil {
			n = int64(binary.BigEndian.Uint32(hb))
			if n < recOverhead || off+n > size || binary.BigEndian.Uint64(hb[4:]) != expect {
				err = fmt.Errorf("%w: record header at offset %d does not follow record %d", ErrCorrupt, off, expect-1)
			}
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				return 0, false, fmt.Errorf("shard: %s: %w", s.path, err)
			}
			l.damaged(s, &w, off, expect, err)
			continue
		}
		if int64(binary.BigEndian.Uint64(hb[12:])) >= t {
			return expect, true, nil
		}
		off += n
		expect++
	}
	return 0, false, nil
}
