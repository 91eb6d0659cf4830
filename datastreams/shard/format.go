package shard

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"slices"
)

// On-disk layout (all integers big-endian).
//
// Segment header, headerSize bytes:
//
//	0  magic "SHRDSEG\x00"
//	8  u16 format version
//	10 u16 flags (0)
//	12 u32 reserved (0)
//	16 u64 first sequence number
//	24 i64 creation time, unix nanoseconds
//	32 [28]byte reserved (0)
//	60 u32 CRC32C of bytes 0..59
//
// Record:
//
//	0  u32 length of the whole record, these four bytes and the CRC included
//	4  u64 sequence number
//	12 i64 time, unix nanoseconds
//	20 u32 meta length
//	24 meta, then data, as the entry gave them (opaque: SealedLog seals above the log)
//	.. u32 CRC32C of every byte before it
//
// Format version 1 sealed record bodies inside the segment (a data-key
// version and salt in the header); version 2 leaves sealing to SealedLog.
// Version 1 segments are refused with ErrFormat: there is no migration.
const (
	segMagic      = "SHRDSEG\x00"
	formatVersion = 2
	headerSize    = 64
	recHeaderSize = 24
	recTrailer    = 4
	recOverhead   = recHeaderSize + recTrailer
	// maxRecordTotal bounds a record's encoded length.
	maxRecordTotal = MaxStoredSize + recOverhead
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type segHeader struct {
	FirstSeq uint64
	Created  int64
}

func (h *segHeader) marshal() []byte {
	b := make([]byte, headerSize)
	copy(b, segMagic)
	binary.BigEndian.PutUint16(b[8:], formatVersion)
	binary.BigEndian.PutUint64(b[16:], h.FirstSeq)
	binary.BigEndian.PutUint64(b[24:], uint64(h.Created))
	binary.BigEndian.PutUint32(b[60:], crc32.Checksum(b[:60], castagnoli))
	return b
}

// parseHeader reads a segment header. A damaged one is ErrCorrupt; a whole
// one of another format version is ErrFormat, which is not damage: the
// log must not be opened by this build.
func parseHeader(b []byte) (segHeader, error) {
	var h segHeader
	if len(b) < headerSize {
		return h, fmt.Errorf("%w: segment header is %d bytes", ErrCorrupt, len(b))
	}
	if string(b[:8]) != segMagic {
		return h, fmt.Errorf("%w: bad segment magic", ErrCorrupt)
	}
	if crc32.Checksum(b[:60], castagnoli) != binary.BigEndian.Uint32(b[60:]) {
		return h, fmt.Errorf("%w: segment header checksum", ErrCorrupt)
	}
	if v := binary.BigEndian.Uint16(b[8:]); v != formatVersion {
		return h, fmt.Errorf("%w: segment format version %d, this build reads version %d only (no migration: remove the data directory or use a build of its version)", ErrFormat, v, formatVersion)
	}
	h.FirstSeq = binary.BigEndian.Uint64(b[16:])
	h.Created = int64(binary.BigEndian.Uint64(b[24:]))
	return h, nil
}

// appendRecord encodes one record onto dst.
func appendRecord(dst []byte, seq uint64, t int64, e Entry) []byte {
	total := recOverhead + len(e.Meta) + len(e.Data)
	dst = slices.Grow(dst, total)
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(total))
	dst = binary.BigEndian.AppendUint64(dst, seq)
	dst = binary.BigEndian.AppendUint64(dst, uint64(t))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(e.Meta)))
	dst = append(dst, e.Meta...)
	dst = append(dst, e.Data...)
	return binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// recView is a record parsed from a buffer; its slices alias the buffer.
type recView struct {
	seq     uint64
	time    int64
	metaLen int
	body    []byte // meta||data
	size    int    // total encoded size
}

// parseRecord parses the record at the start of b. It returns errShort when
// b holds only part of a record whose length field is plausible.
func parseRecord(b []byte) (recView, error) {
	var r recView
	if len(b) < 4 {
		return r, errShort
	}
	total := int(binary.BigEndian.Uint32(b))
	if total < recOverhead || total > maxRecordTotal {
		return r, fmt.Errorf("%w: record length %d", ErrCorrupt, total)
	}
	if len(b) < total {
		return r, errShort
	}
	if crc32.Checksum(b[:total-4], castagnoli) != binary.BigEndian.Uint32(b[total-4:]) {
		return r, fmt.Errorf("%w: record checksum", ErrCorrupt)
	}
	r.size = total
	r.seq = binary.BigEndian.Uint64(b[4:])
	r.time = int64(binary.BigEndian.Uint64(b[12:]))
	r.metaLen = int(binary.BigEndian.Uint32(b[20:]))
	r.body = b[recHeaderSize : total-4]
	return r, nil
}

// open turns a view into a Record that aliases b's memory.
func (r *recView) open() (Record, error) {
	body := r.body
	if r.metaLen > len(body) {
		return Record{}, fmt.Errorf("%w: meta length %d exceeds body %d", ErrCorrupt, r.metaLen, len(body))
	}
	return Record{Seq: r.seq, Time: r.time, Meta: body[:r.metaLen:r.metaLen], Data: body[r.metaLen:]}, nil
}

type shortErr struct{}

func (shortErr) Error() string { return "shard: short record" }

var errShort error = shortErr{}
