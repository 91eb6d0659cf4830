package fragments

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// A stored fragment is one record of the stream's shard log: the meta holds
// what describes it (timestamps, tracks, its init segment) and the data is
// the moof+mdat. Keeping the init segment with every fragment makes each one
// self-contained: it costs a few hundred bytes next to a GOP of media and
// needs no second log to stay consistent with.
//
// Meta layout (big-endian): version 1 | flags (bit 0: discontinuity) |
// producer time ns (8) | duration ns (8) | track count (1) |
// per track: id (1) timescale (4) base time (8) duration (8) samples (4) |
// init length (4) | init | part count (2) | per part: size (4) duration µs (4)
// flags (1, bit 0: independent). Version 1 records end after the init and
// hold one part.
const recordVersion = 2

var errBadRecord = errors.New("fragments: malformed fragment record")

func encodeMeta(f *Fragment) []byte {
	b := make([]byte, 0, 25+len(f.Tracks)*25+4+len(f.Init)+len(f.Parts)*9)
	b = append(b, recordVersion)
	var flags byte
	if f.Discontinuity {
		flags |= 1
	}
	b = append(b, flags)
	b = binary.BigEndian.AppendUint64(b, uint64(f.ProducerTime.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(f.Duration))
	b = append(b, byte(len(f.Tracks)))
	for _, t := range f.Tracks {
		b = append(b, byte(t.ID))
		b = binary.BigEndian.AppendUint32(b, t.TimeScale)
		b = binary.BigEndian.AppendUint64(b, t.BaseTime)
		b = binary.BigEndian.AppendUint64(b, t.Duration)
		b = binary.BigEndian.AppendUint32(b, uint32(t.Samples))
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(f.Init)))
	b = append(b, f.Init...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(f.Parts)))
	for _, p := range f.Parts {
		b = binary.BigEndian.AppendUint32(b, uint32(p.Size))
		b = binary.BigEndian.AppendUint32(b, uint32(p.Duration/time.Microsecond))
		var pf byte
		if p.Independent {
			pf = 1
		}
		b = append(b, pf)
	}
	return b
}

func decodeMeta(b []byte, f *Fragment) error {
	if len(b) < 19 || (b[0] != 1 && b[0] != recordVersion) {
		return errBadRecord
	}
	version := b[0]
	f.Discontinuity = b[1]&1 != 0
	f.ProducerTime = time.Unix(0, int64(binary.BigEndian.Uint64(b[2:])))
	f.Duration = time.Duration(binary.BigEndian.Uint64(b[10:]))
	n := int(b[18])
	p := b[19:]
	if len(p) < n*25+4 {
		return errBadRecord
	}
	f.Tracks = make([]TrackInfo, n)
	for i := range f.Tracks {
		f.Tracks[i] = TrackInfo{ID: int(p[0]), TimeScale: binary.BigEndian.Uint32(p[1:]), BaseTime: binary.BigEndian.Uint64(p[5:]),
			Duration: binary.BigEndian.Uint64(p[13:]), Samples: int(binary.BigEndian.Uint32(p[21:]))}
		p = p[25:]
	}
	il := int(binary.BigEndian.Uint32(p))
	if version == 1 {
		if len(p) != 4+il {
			return fmt.Errorf("%w: init length %d", errBadRecord, il)
		}
		f.Init = p[4:]
		return nil
	}
	if len(p) < 4+il+2 {
		return fmt.Errorf("%w: init length %d", errBadRecord, il)
	}
	f.Init, p = p[4:4+il:4+il], p[4+il:]
	np := int(binary.BigEndian.Uint16(p))
	p = p[2:]
	if len(p) != np*9 {
		return fmt.Errorf("%w: %d parts in %d bytes", errBadRecord, np, len(p))
	}
	f.Parts = nil
	if np > 0 {
		f.Parts = make([]PartInfo, np)
		for i := range f.Parts {
			f.Parts[i] = PartInfo{Size: int(binary.BigEndian.Uint32(p)), Duration: time.Duration(binary.BigEndian.Uint32(p[4:])) * time.Microsecond,
				Independent: p[8]&1 != 0}
			p = p[9:]
		}
	}
	return nil
}

// PartsOf returns how a stored fragment's data divides into parts, checked
// against its length: one part when the record has none or they disagree.
func PartsOf(f *Fragment) []PartInfo {
	n := 0
	for _, p := range f.Parts {
		n += p.Size
	}
	if len(f.Parts) == 0 || n != len(f.Data) {
		return []PartInfo{{Size: len(f.Data), Duration: f.Duration, Independent: true}}
	}
	return f.Parts
}
