package rtsp

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/pion/rtp"

	"github.com/shardcast/shardcast/fragments"
)

// The re-serve's packetizing side: a live track of the unit feed becomes a
// media of the SDP and each of its units a run of RTP packets, made by
// gortsplib's encoders.

// Payload types of the re-served medias (each media has one format).
const (
	videoPayloadType = 96
	audioPayloadType = 97
)

// outTrack is one re-served track: its media in the stream's description
// and how its units become packets.
type outTrack struct {
	media  *description.Media
	format format.Format
	rate   int64
	// offset is added to the unit's presentation time to make the RTP
	// timestamp (random, as RFC 3550 asks).
	offset    uint32
	packetize func(data []byte) ([]*rtp.Packet, error)
}

// outTrackOf maps a track of the unit feed to a media and its encoder;
// false for codecs the re-serve does not carry.
func outTrackOf(t fragments.Track) (*outTrack, bool, error) {
	var o outTrack
	o.rate = int64(t.ClockRate)
	typ := description.MediaTypeVideo
	switch c := t.Codec.(type) {
	case *codecs.H264:
		f := &format.H264{PayloadTyp: videoPayloadType, SPS: c.SPS, PPS: c.PPS, PacketizationMode: 1}
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, false, err
		}
		o.format = f
		o.packetize = func(data []byte) ([]*rtp.Packet, error) {
			nalus, err := avccUnits(data)
			if err != nil {
				return nil, err
			}
			return enc.Encode(nalus)
		}
	case *codecs.H265:
		f := &format.H265{PayloadTyp: videoPayloadType, VPS: c.VPS, SPS: c.SPS, PPS: c.PPS}
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, false, err
		}
		o.format = f
		o.packetize = func(data []byte) ([]*rtp.Packet, error) {
			nalus, err := avccUnits(data)
			if err != nil {
				return nil, err
			}
			return enc.Encode(nalus)
		}
	case *codecs.VP9:
		f := &format.VP9{PayloadTyp: videoPayloadType}
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, false, err
		}
		o.format = f
		o.packetize = enc.Encode
	case *codecs.AV1:
		f := &format.AV1{PayloadTyp: videoPayloadType}
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, false, err
		}
		o.format = f
		o.packetize = func(data []byte) ([]*rtp.Packet, error) {
			var obus av1.Bitstream
			if err := obus.Unmarshal(data); err != nil {
				return nil, fmt.Errorf("AV1 temporal unit: %w", err)
			}
			return enc.Encode(obus)
		}
	case *codecs.MPEG4Audio:
		cfg := c.Config
		f := &format.MPEG4Audio{PayloadTyp: audioPayloadType, Config: &cfg, SizeLength: 13, IndexLength: 3, IndexDeltaLength: 3}
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, false, err
		}
		o.format, typ = f, description.MediaTypeAudio
		o.packetize = func(data []byte) ([]*rtp.Packet, error) { return enc.Encode([][]byte{data}) }
	case *codecs.Opus:
		f := &format.Opus{PayloadTyp: audioPayloadType, ChannelCount: c.ChannelCount}
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, false, err
		}
		o.format, typ = f, description.MediaTypeAudio
		o.packetize = func(data []byte) ([]*rtp.Packet, error) {
			p, err := enc.Encode(data)
			if err != nil {
				return nil, err
			}
			return []*rtp.Packet{p}, nil
		}
	default:
		return nil, false, nil
	}
	if o.rate <= 0 {
		o.rate = int64(o.format.ClockRate())
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, false, err
	}
	o.offset = binary.BigEndian.Uint32(b[:])
	o.media = &description.Media{Type: typ, Formats: []format.Format{o.format}}
	return &o, true, nil
}

// packets makes the RTP packets of a unit, stamped with its presentation
// time. The track's clock is the format's (90 kHz video, the sample rate
// of audio), so the time carries over unchanged.
func (o *outTrack) packets(u fragments.Unit) ([]*rtp.Packet, error) {
	pkts, err := o.packetize(u.Data)
	if err != nil {
		return nil, err
	}
	ts := o.timestamp(u.PTS)
	for _, p := range pkts {
		p.Timestamp = ts
	}
	return pkts, nil
}

// timestamp is the RTP timestamp of a presentation time (RTP timestamps
// wrap at 32 bits).
func (o *outTrack) timestamp(pts int64) uint32 {
	if int64(o.format.ClockRate()) != o.rate {
		pts = pts * int64(o.format.ClockRate()) / o.rate
	}
	return o.offset + uint32(pts)
}

// avccUnits slices an AVCC access unit (each NAL unit behind a 4-byte
// length) into its NAL units, without copying.
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
