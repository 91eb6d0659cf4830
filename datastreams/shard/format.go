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
//	12 u32 data-key version (0 = plaintext)
//	16 u64 first sequence number
//	24 i64 creation time, unix nanoseconds
//	32 [16]byte salt for the segment subkey
//	48 [12]byte reserved (0)
//	60 u32 CRC32C of bytes 0..59
//
// Record:
//
//	0  u32 length of the whole record, these four bytes and the CRC included
//	4  u64 sequence number
//	12 i64 time, unix nanoseconds
//	20 u32 meta length (plaintext)
//	24 body: meta||data, or its AES-GCM sealing (+16 bytes) when keyed
//	.. u32 CRC32C of every byte before it
const (
	segMagic      = "SHRDSEG\x00"
	formatVersion = 1
	headerSize    = 64
	recHeaderSize = 24
	recTrailer    = 4
	recOverhead   = recHeaderSize + recTrailer
	saltSize      = 16
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type segHeader struct {
	KeyVer   uint32
	FirstSeq uint64
	Created  int64
	Salt     [saltSize]byte
}

func (h *segHeader) marshal() []byte {
	b := make([]byte, headerSize)
	copy(b, segMagic)
	binary.BigEndian.PutUint16(b[8:], formatVersion)
	binary.BigEndian.PutUint32(b[12:], h.KeyVer)
	binary.BigEndian.PutUint64(b[16:], h.FirstSeq)
	binary.BigEndian.PutUint64(b[24:], uint64(h.Created))
	copy(b[32:48], h.Salt[:])
	binary.BigEndian.PutUint32(b[60:], crc32.Checksum(b[:60], castagnoli))
	return b
}

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
		return h, fmt.Errorf("%w: segment format version %d, want %d", ErrCorrupt, v, formatVersion)
	}
	h.KeyVer = binary.BigEndian.Uint32(b[12:])
	h.FirstSeq = binary.BigEndian.Uint64(b[16:])
	h.Created = int64(binary.BigEndian.Uint64(b[24:]))
	copy(h.Salt[:], b[32:48])
	return h, nil
}

// sealer seals and opens record bodies; nil means plaintext.
type sealer interface {
	Seal(dst []byte, seq uint64, plaintext, aad []byte) []byte
	Open(dst []byte, seq uint64, ciphertext, aad []byte) ([]byte, error)
}

const sealOverhead = 16

// appendRecord encodes one record onto dst.
func appendRecord(dst []byte, seq uint64, t int64, e Entry, s sealer) []byte {
	body := len(e.Meta) + len(e.Data)
	if s != nil {
		body += sealOverhead
	}
	total := recOverhead + body
	dst = slices.Grow(dst, total)
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(total))
	dst = binary.BigEndian.AppendUint64(dst, seq)
	dst = binary.BigEndian.AppendUint64(dst, uint64(t))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(e.Meta)))
	if s == nil {
		dst = append(dst, e.Meta...)
		dst = append(dst, e.Data...)
	} else {
		// Seal meta||data in place after the header; the header is the AAD.
		hdrEnd := len(dst)
		dst = append(dst, e.Meta...)
		dst = append(dst, e.Data...)
		plain := dst[hdrEnd:]
		dst = s.Seal(dst[:hdrEnd], seq, plain, dst[start:hdrEnd])
	}
	return binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// recView is a record parsed from a buffer; its slices alias the buffer.
type recView struct {
	seq     uint64
	time    int64
	metaLen int
	body    []byte // sealed or plain meta||data
	hdr     []byte // the 24 header bytes (AAD)
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
	if total < recOverhead || total > MaxRecordSize+recOverhead+sealOverhead {
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
	r.hdr = b[:recHeaderSize]
	r.body = b[recHeaderSize : total-4]
	return r, nil
}

// open turns a view into a Record, opening the body when sealed. The result
// aliases b's memory (and overwrites it when sealed).
func (r *recView) open(s sealer, keyVer uint32) (Record, error) {
	body := r.body
	if s != nil {
		var err error
		body, err = s.Open(body[:0], r.seq, body, r.hdr)
		if err != nil {
			return Record{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
	}
	if r.metaLen > len(body) {
		return Record{}, fmt.Errorf("%w: meta length %d exceeds body %d", ErrCorrupt, r.metaLen, len(body))
	}
	return Record{Seq: r.seq, Time: r.time, KeyVer: keyVer, Meta: body[:r.metaLen:r.metaLen], Data: body[r.metaLen:]}, nil
}

type shortErr struct{}

func (shortErr) Error() string { return "shard: short record" }

var errShort error = shortErr{}
