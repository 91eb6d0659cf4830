package webrtc

import (
	"errors"
	"fmt"

	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/rtp"
)

// h264Unpacker turns the RTP packets of an H.264 track (RFC 6184,
// packetization mode 1: single NAL units, STAP-A, FU-A) into access
// units, as gortsplib's decoder does, but into buffers of its own that it
// reuses: gortsplib allocates every fragmented NAL unit afresh (and scans
// each for Annex-B start codes), and at a few hundred packets a second per
// stream that showed in the server's profile. The access unit it returns
// lies in one of two buffers used in turn, so it stays valid until the
// next access unit is returned: the caller must be done with it by then
// (ingest.Session copies what it is given).
//
// Like gortsplib's decoder, an access unit ends at the marker bit or at a
// packet with a new timestamp, and errors are the same sentinels for "more
// packets needed" and "a fragment without its start".
type h264Unpacker struct {
	bufs  [2]h264AU
	cur   int    // the buffer of the access unit being gathered
	fu    int    // offset in the buffer of the fragmented NAL unit in progress; -1 when none
	fuSeq uint16 // sequence number the next fragment must have
	began bool   // a packet that starts a NAL unit was seen
}

// h264AU is an access unit being gathered: its NAL units back to back in
// data, each one's end in ends.
type h264AU struct {
	data  []byte
	ends  []int
	nalus [][]byte
	ts    uint32
}

func newH264Unpacker() *h264Unpacker { return &h264Unpacker{fu: -1} }

// Decode takes the next packet in sequence order. It returns an access
// unit when one is complete.
func (d *h264Unpacker) Decode(pkt *rtp.Packet) ([][]byte, error) {
	p := pkt.Payload
	if len(p) < 1 {
		d.dropFU()
		return nil, errors.New("payload is too short")
	}
	au := &d.bufs[d.cur]
	var out [][]byte
	if len(au.ends) > 0 && pkt.Timestamp != au.ts {
		// A new timestamp without a marker before it: the access unit in
		// progress is complete (a fragment of it still open was cut off).
		d.dropFU()
		out = d.finish()
		au = &d.bufs[d.cur]
	}
	if len(au.ends) == 0 && d.fu < 0 {
		au.data, au.ends = au.data[:0], au.ends[:0]
	}
	au.ts = pkt.Timestamp
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
			d.fu = len(au.data)
			au.data = append(au.data, p[0]&0x60|p[1]&0x1f)
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
		au.data = append(au.data, p[2:]...)
		d.fuSeq = pkt.SequenceNumber + 1
		if len(au.data) > h264.MaxAccessUnitSize {
			d.reset()
			return out, fmt.Errorf("access unit is larger than %d bytes", h264.MaxAccessUnitSize)
		}
		if !end {
			if out != nil {
				return out, nil
			}
			return nil, rtph264.ErrMorePacketsNeeded
		}
		d.fu = -1
		au.ends = append(au.ends, len(au.data))
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
			au.data = append(au.data, rest[:size]...)
			au.ends = append(au.ends, len(au.data))
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
		au.data = append(au.data, p...)
		au.ends = append(au.ends, len(au.data))
	}
	if len(au.ends) > h264.MaxNALUsPerAccessUnit || len(au.data) > h264.MaxAccessUnitSize {
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

// finish returns the access unit gathered and starts the other buffer.
func (d *h264Unpacker) finish() [][]byte {
	au := &d.bufs[d.cur]
	au.nalus = au.nalus[:0]
	from := 0
	for _, e := range au.ends {
		au.nalus = append(au.nalus, au.data[from:e])
		from = e
	}
	au.ends = au.ends[:0]
	d.cur ^= 1
	next := &d.bufs[d.cur]
	next.data, next.ends = next.data[:0], next.ends[:0]
	return au.nalus
}

// dropFU forgets a fragmented NAL unit in progress.
func (d *h264Unpacker) dropFU() {
	if d.fu >= 0 {
		au := &d.bufs[d.cur]
		au.data = au.data[:d.fu]
		d.fu = -1
	}
}

// dropAU forgets the access unit in progress.
func (d *h264Unpacker) dropAU() {
	au := &d.bufs[d.cur]
	au.data, au.ends, d.fu = au.data[:0], au.ends[:0], -1
}

func (d *h264Unpacker) reset() {
	d.dropAU()
}

func allZero(b []byte) bool {
	for _, v := range b {
		if v != 0 {
			return false
		}
	}
	return true
}
