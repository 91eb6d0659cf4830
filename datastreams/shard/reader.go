package shard

import (
	"encoding/binary"
	"fmt"
	"sort"
)

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
