package rtpout

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtpav1"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph265"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtpmpeg4audio"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtpsimpleaudio"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtpvp9"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/pion/rtp"

	"github.com/shardcast/shardcast/fragments"
)

// ErrUnsupported is the error (wrapped) of New for a codec that has no RTP
// payload format here; a caller may leave such a track out.
var ErrUnsupported = errors.New("rtpout: no RTP payload format for the codec")

// minPayload is the smallest payload cap New accepts: room for the payload
// headers of every format and some media.
const minPayload = 64

// Packetizer makes the RTP packets of one track's units. It is not safe
// for concurrent use: each packet it makes takes the next sequence number.
type Packetizer struct {
	format    format.Format
	clock     int64  // ticks per second of the times given to Timestamp and Packets
	base      uint32 // RTP timestamp of time 0 (random, as RFC 3550 asks)
	packetize func(data []byte) ([]*rtp.Packet, error)
}

// New makes the packetizer of a track of the unit feed. payloadType goes
// into every packet and into Format; maxPayload caps each packet's payload
// in bytes (0 for the encoders' default of 1450, which fits a 1500-byte
// MTU). A codec without a payload format here gives an error wrapping
// ErrUnsupported.
func New(t fragments.Track, payloadType uint8, maxPayload int) (*Packetizer, error) {
	if maxPayload != 0 && maxPayload < minPayload {
		return nil, fmt.Errorf("rtpout: payload cap of %d bytes; want 0 (the default) or at least %d", maxPayload, minPayload)
	}
	p := &Packetizer{clock: int64(t.ClockRate)}
	switch c := t.Codec.(type) {
	case *codecs.H264:
		p.format = &format.H264{PayloadTyp: payloadType, SPS: c.SPS, PPS: c.PPS, PacketizationMode: 1}
		e := &rtph264.Encoder{PayloadType: payloadType, PacketizationMode: 1, PayloadMaxSize: maxPayload}
		if err := e.Init(); err != nil {
			return nil, fmt.Errorf("rtpout: H.264 encoder: %w", err)
		}
		p.packetize = func(data []byte) ([]*rtp.Packet, error) {
			nalus, err := avccUnits(data)
			if err != nil {
				return nil, err
			}
			return e.Encode(nalus)
		}
	case *codecs.H265:
		p.format = &format.H265{PayloadTyp: payloadType, VPS: c.VPS, SPS: c.SPS, PPS: c.PPS}
		e := &rtph265.Encoder{PayloadType: payloadType, PayloadMaxSize: maxPayload}
		if err := e.Init(); err != nil {
			return nil, fmt.Errorf("rtpout: H.265 encoder: %w", err)
		}
		p.packetize = func(data []byte) ([]*rtp.Packet, error) {
			nalus, err := avccUnits(data) // the same 4-byte length framing
			if err != nil {
				return nil, err
			}
			return e.Encode(nalus)
		}
	case *codecs.VP9:
		p.format = &format.VP9{PayloadTyp: payloadType}
		e := &rtpvp9.Encoder{PayloadType: payloadType, PayloadMaxSize: maxPayload}
		if err := e.Init(); err != nil {
			return nil, fmt.Errorf("rtpout: VP9 encoder: %w", err)
		}
		p.packetize = e.Encode
	case *codecs.AV1:
		p.format = &format.AV1{PayloadTyp: payloadType}
		e := &rtpav1.Encoder{PayloadType: payloadType, PayloadMaxSize: maxPayload}
		if err := e.Init(); err != nil {
			return nil, fmt.Errorf("rtpout: AV1 encoder: %w", err)
		}
		p.packetize = func(data []byte) ([]*rtp.Packet, error) {
			var obus av1.Bitstream
			if err := obus.Unmarshal(data); err != nil {
				return nil, fmt.Errorf("AV1 temporal unit: %w", err)
			}
			return e.Encode(obus)
		}
	case *codecs.MPEG4Audio:
		// RFC 3640 AAC-hbr: 13-bit AU sizes, 3-bit indexes.
		cfg := c.Config
		f := &format.MPEG4Audio{PayloadTyp: payloadType, Config: &cfg, SizeLength: 13, IndexLength: 3, IndexDeltaLength: 3}
		p.format = f
		e := &rtpmpeg4audio.Encoder{PayloadType: payloadType, SizeLength: f.SizeLength, IndexLength: f.IndexLength,
			IndexDeltaLength: f.IndexDeltaLength, PayloadMaxSize: maxPayload}
		if err := e.Init(); err != nil {
			return nil, fmt.Errorf("rtpout: AAC encoder: %w", err)
		}
		p.packetize = func(data []byte) ([]*rtp.Packet, error) { return e.Encode([][]byte{data}) }
	case *codecs.Opus:
		p.format = &format.Opus{PayloadTyp: payloadType, ChannelCount: c.ChannelCount}
		e := &rtpsimpleaudio.Encoder{PayloadType: payloadType, PayloadMaxSize: maxPayload}
		if err := e.Init(); err != nil {
			return nil, fmt.Errorf("rtpout: Opus encoder: %w", err)
		}
		p.packetize = func(data []byte) ([]*rtp.Packet, error) {
			pkt, err := e.Encode(data)
			if err != nil {
				return nil, err
			}
			return []*rtp.Packet{pkt}, nil
		}
	default:
		return nil, fmt.Errorf("%w: %T", ErrUnsupported, t.Codec)
	}
	if p.clock <= 0 {
		p.clock = int64(p.format.ClockRate())
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("rtpout: random timestamp base: %w", err)
	}
	p.base = binary.BigEndian.Uint32(b[:])
	return p, nil
}

// Format is the gortsplib format of the packets, with the codec
// parameters of the track (for an SDP). The caller must not change it.
func (p *Packetizer) Format() format.Format { return p.format }

// ClockRate is the clock of the times that Timestamp and Packets take:
// the track's (the payload format's when the track names none).
func (p *Packetizer) ClockRate() int64 { return p.clock }

// Timestamp is the RTP timestamp of a time in ticks of ClockRate: the
// random base plus the time in the payload format's clock (90 kHz for
// video, the sample rate for AAC, 48 kHz for Opus), wrapping at 32 bits.
func (p *Packetizer) Timestamp(ticks int64) uint32 {
	if rate := int64(p.format.ClockRate()); rate != p.clock {
		ticks = ticks * rate / p.clock
	}
	return p.base + uint32(ticks)
}

// Packets makes the RTP packets of one unit of the feed (H.264 and H.265
// in AVCC, a VP9 frame, an AV1 temporal unit, an AAC access unit, an Opus
// packet), all stamped with Timestamp(ticks); the last one of a video
// unit has the marker bit.
func (p *Packetizer) Packets(data []byte, ticks int64) ([]*rtp.Packet, error) {
	pkts, err := p.packetize(data)
	if err != nil {
		return nil, err
	}
	ts := p.Timestamp(ticks)
	for _, pkt := range pkts {
		pkt.Timestamp = ts
	}
	return pkts, nil
}

// avccUnits slices an AVCC access unit (each NAL unit behind a 4-byte
// length) into its NAL units, without copying; empty NAL units are left
// out.
func avccUnits(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, errors.New("truncated AVCC length")
		}
		n := binary.BigEndian.Uint32(b)
		if uint64(n) > uint64(len(b)-4) {
			return nil, errors.New("AVCC unit longer than its buffer")
		}
		if n > 0 {
			out = append(out, b[4:4+n])
		}
		b = b[4+n:]
	}
	if len(out) == 0 {
		return nil, errors.New("empty access unit")
	}
	return out, nil
}
