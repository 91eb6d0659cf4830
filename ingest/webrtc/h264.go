package webrtc

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/rtp"
)

// h264Unpacker turns the RTP packets of an H.264 track (RFC 6184,
// packetization mode 1: single NAL units, STAP-A, FU-A) into access
// units, as gortsplib's decoder does, but written straight in AVCC form
// (each NAL unit behind a 4-byte big-endian length), the form the fMP4
// sample stores, into a buffer that it hands over with the unit: the
// ingest session and the fragmenter keep it as the sample, so a frame's
// bytes are copied once, from the packets (gortsplib allocates every
// fragmented NAL unit afresh and scans each for Annex-B start codes, and
// a list of NAL units must be copied again to be stored).
//
// Like gortsplib's decoder, an access unit ends at the marker bit or at a
// packet with a new timestamp, and errors are the same sentinels for "more
// packets needed" and "a fragment without its start".
type h264Unpacker struct {
	buf   []byte // the access unit being gathered (nil before its first byte)
	nalus int    // NAL units complete in buf
	ts    uint32
	fu    int    // offset in buf of the length of the fragmented NAL unit in progress; -1 when none
	fuSeq uint16 // sequence number the next fragment must have
	began bool   // a packet that starts a NAL unit was seen

	// Buffer sizes: hint for a new access unit, from the last one that
	// fitted its buffer (the common frame) with a quarter more; big for a
	// unit that outgrows it, from the largest recent ones that did
	// (keyframes), so that it moves once. grew says the unit being
	// gathered moved.
	hint, big int
	grew      bool
}

// minAUBuffer is the least room a new access unit's buffer is given.
const minAUBuffer = 4096

func newH264Unpacker() *h264Unpacker { return &h264Unpacker{fu: -1, hint: minAUBuffer} }

// room makes space for n more bytes in the unit being gathered.
func (d *h264Unpacker) room(n int) {
	if cap(d.buf)-len(d.buf) >= n {
		return
	}
	size := max(d.hint, len(d.buf)+n)
	if d.buf != nil {
		size = max(size, 2*cap(d.buf), d.big)
		d.grew = true
	}
	b := make([]byte, len(d.buf), size)
	copy(b, d.buf)
	d.buf = b
}

// add appends a whole NAL unit.
func (d *h264Unpacker) add(nalu []byte) {
	d.room(4 + len(nalu))
	d.buf = binary.BigEndian.AppendUint32(d.buf, uint32(len(nalu)))
	d.buf = append(d.buf, nalu...)
	d.nalus++
}

// Decode takes the next packet in sequence order. It returns an access
// unit in AVCC form when one is complete; the caller owns it.
func (d *h264Unpacker) Decode(pkt *rtp.Packet) ([]byte, error) {
	p := pkt.Payload
	if len(p) < 1 {
		d.dropFU()
		return nil, errors.New("payload is too short")
	}
	var out []byte
	if d.nalus > 0 && pkt.Timestamp != d.ts {
		// A new timestamp without a marker before it: the access unit in
		// progress is complete (a fragment of it still open was cut off).
		d.dropFU()
		out = d.finish()
	}
	d.ts = pkt.Timestamp
	switch typ := h264.NALUType(p[0] & 0x1f); typ {
	case h264.NALUTypeFUA:
		if len(p) < 2 {
			d.dropFU()
			return out, errors.New("invalid FU-A packet (invalid size)")
		}
		start, end := p[1]&0x80 != 0, p[1]&0x40 != 0
		switch {
		case start:
			d.dropFU()
			d.room(5 + len(p) - 2)
			d.fu = len(d.buf)
			d.buf = append(d.buf, 0, 0, 0, 0, p[0]&0x60|p[1]&0x1f) // the length is filled in at the end
			d.began = true
		case d.fu < 0:
			if !d.began {
				return out, rtph264.ErrNonStartingPacketAndNoPrevious
			}
			return out, errors.New("invalid FU-A packet (non-starting)")
		case pkt.SequenceNumber != d.fuSeq:
			d.dropFU()
			return out, errors.New("discarding frame since a RTP packet is missing")
		}
		d.room(len(p) - 2)
		d.buf = append(d.buf, p[2:]...)
		d.fuSeq = pkt.SequenceNumber + 1
		if len(d.buf)-4*(d.nalus+1) > h264.MaxAccessUnitSize {
			d.reset()
			return out, fmt.Errorf("access unit is larger than %d bytes", h264.MaxAccessUnitSize)
		}
		if !end {
			if out != nil {
				return out, nil
			}
			return nil, rtph264.ErrMorePacketsNeeded
		}
		binary.BigEndian.PutUint32(d.buf[d.fu:], uint32(len(d.buf)-d.fu-4))
		d.fu = -1
		d.nalus++
	case h264.NALUTypeSTAPA:
		d.dropFU()
		d.began = true
		rest, n := p[1:], 0
		for len(rest) > 0 {
			if len(rest) < 2 {
				d.dropAU()
				return out, errors.New("invalid STAP-A packet (invalid size)")
			}
			size := int(rest[0])<<8 | int(rest[1])
			rest = rest[2:]
			if size == 0 {
				if allZero(rest) {
					break // padding
				}
				d.dropAU()
				return out, errors.New("invalid STAP-A packet (invalid size)")
			}
			if size > len(rest) {
				d.dropAU()
				return out, errors.New("invalid STAP-A packet (invalid size)")
			}
			d.add(rest[:size])
			rest = rest[size:]
			n++
		}
		if n == 0 {
			return out, errors.New("STAP-A packet doesn't contain any NALU")
		}
	case h264.NALUTypeSTAPB, h264.NALUTypeMTAP16, h264.NALUTypeMTAP24, h264.NALUTypeFUB:
		d.dropFU()
		d.began = true
		return out, fmt.Errorf("packet type not supported (%v)", typ)
	default:
		d.dropFU()
		d.began = true
		d.add(p)
	}
	if d.nalus > h264.MaxNALUsPerAccessUnit || len(d.buf)-4*d.nalus > h264.MaxAccessUnitSize {
		d.reset()
		return out, fmt.Errorf("access unit is larger than %d NAL units or %d bytes", h264.MaxNALUsPerAccessUnit, h264.MaxAccessUnitSize)
	}
	if out != nil {
		// The unit cut off by this packet's timestamp goes now; this
		// packet's NAL units wait for the next marker or timestamp.
		return out, nil
	}
	if !pkt.Marker {
		return nil, rtph264.ErrMorePacketsNeeded
	}
	return d.finish(), nil
}

// finish hands over the access unit gathered (its complete NAL units) and
// starts a new one.
func (d *h264Unpacker) finish() []byte {
	out := d.buf[:len(d.buf):len(d.buf)]
	if d.grew {
		d.big = max(len(out)+len(out)/8, d.big-d.big/8) // a smaller unit that outgrew lowers it slowly
	} else {
		d.hint = max(minAUBuffer, len(out)+len(out)/4)
	}
	d.buf, d.nalus, d.fu, d.grew = nil, 0, -1, false
	return out
}

// dropFU forgets a fragmented NAL unit in progress.
func (d *h264Unpacker) dropFU() {
	if d.fu >= 0 {
		d.buf = d.buf[:d.fu]
		d.fu = -1
	}
}

// dropAU forgets the access unit in progress.
func (d *h264Unpacker) dropAU() {
	d.buf, d.nalus, d.fu = d.buf[:0], 0, -1
}

func (d *h264Unpacker) reset() {
	d.dropAU()
}

// avccRandomAccess reports whether an AVCC access unit holds an IDR
// slice (h264.IsRandomAccess on AVCC).
func avccRandomAccess(b []byte) bool {
	for len(b) >= 5 {
		n := int(binary.BigEndian.Uint32(b))
		if h264.NALUType(b[4]&0x1f) == h264.NALUTypeIDR {
			return true
		}
		if n > len(b)-4 {
			return false
		}
		b = b[4+n:]
	}
	return false
}

func allZero(b []byte) bool {
	for _, v := range b {
		if v != 0 {
			return false
		}
	}
	return true
}
