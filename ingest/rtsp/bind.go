package rtsp

import (
	"errors"
	"fmt"
	"time"

	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph265"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtpmpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/pion/rtp"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/ingest"
)

// timer is what the server session and the client share for timing packets.
type timer interface {
	PacketPTS2(*description.Media, *rtp.Packet) (int64, bool)
	PacketNTP(*description.Media, *rtp.Packet) (time.Time, bool)
}

// binding is one supported format of one media, mapped to a track.
type binding struct {
	media  *description.Media
	format format.Format
	track  int
}

// bind picks, per media, the first format shardcast can store.
func bind(desc *description.Session) ([]fragments.Track, []*binding) {
	var tracks []fragments.Track
	var out []*binding
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			t, ok := trackOf(f)
			if !ok {
				continue
			}
			out = append(out, &binding{media: m, format: f, track: len(tracks)})
			tracks = append(tracks, t)
			break
		}
	}
	return tracks, out
}

func trackOf(f format.Format) (fragments.Track, bool) {
	switch f := f.(type) {
	case *format.H264:
		sps, pps := f.SafeParams()
		return fragments.Track{Codec: &codecs.H264{SPS: sps, PPS: pps}, ClockRate: 90000}, true
	case *format.H265:
		vps, sps, pps := f.SafeParams()
		return fragments.Track{Codec: &codecs.H265{VPS: vps, SPS: sps, PPS: pps}, ClockRate: 90000}, true
	case *format.MPEG4Audio:
		if c := f.Config; c != nil {
			return fragments.Track{Codec: &codecs.MPEG4Audio{Config: *c}, ClockRate: f.ClockRate()}, true
		}
	case *format.MPEG4AudioLATM:
		if f.StreamMuxConfig != nil && len(f.StreamMuxConfig.Programs) > 0 && len(f.StreamMuxConfig.Programs[0].Layers) > 0 &&
			f.StreamMuxConfig.Programs[0].Layers[0].AudioSpecificConfig != nil {
			c := f.StreamMuxConfig.Programs[0].Layers[0].AudioSpecificConfig
			return fragments.Track{Codec: &codecs.MPEG4Audio{Config: *c}, ClockRate: f.ClockRate()}, true
		}
	case *format.Opus:
		n := f.ChannelCount
		if n == 0 {
			n = 2
		}
		return fragments.Track{Codec: &codecs.Opus{ChannelCount: n}, ClockRate: 48000}, true
	}
	return fragments.Track{}, false
}

// handler returns the RTP callback of a binding: depacketize, time, hand
// to the session. It runs on the protocol's read goroutine and never blocks.
func (b *binding) handler(sess *ingest.Session, t timer, onError func(error)) (func(*rtp.Packet), error) {
	ntpOf := func(pkt *rtp.Packet) time.Time {
		if ntp, ok := t.PacketNTP(b.media, pkt); ok {
			return ntp
		}
		return time.Now() // no sender report yet: arrival time
	}
	switch f := b.format.(type) {
	case *format.H264:
		dec, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		return func(pkt *rtp.Packet) {
			pts, ok := t.PacketPTS2(b.media, pkt)
			if !ok {
				return
			}
			au, err := dec.Decode(pkt)
			if err != nil {
				if !errors.Is(err, rtph264.ErrMorePacketsNeeded) && !errors.Is(err, rtph264.ErrNonStartingPacketAndNoPrevious) {
					onError(err)
				}
				return
			}
			sess.WriteH264(b.track, ntpOf(pkt), pts, au)
		}, nil
	case *format.H265:
		dec, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		return func(pkt *rtp.Packet) {
			pts, ok := t.PacketPTS2(b.media, pkt)
			if !ok {
				return
			}
			au, err := dec.Decode(pkt)
			if err != nil {
				if !errors.Is(err, rtph265.ErrMorePacketsNeeded) && !errors.Is(err, rtph265.ErrNonStartingPacketAndNoPrevious) {
					onError(err)
				}
				return
			}
			sess.WriteH265(b.track, ntpOf(pkt), pts, au)
		}, nil
	case *format.MPEG4Audio:
		dec, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		return func(pkt *rtp.Packet) {
			pts, ok := t.PacketPTS2(b.media, pkt)
			if !ok {
				return
			}
			aus, err := dec.Decode(pkt)
			if err != nil {
				if !errors.Is(err, rtpmpeg4audio.ErrMorePacketsNeeded) {
					onError(err)
				}
				return
			}
			sess.WriteMPEG4Audio(b.track, ntpOf(pkt), pts, aus)
		}, nil
	case *format.MPEG4AudioLATM:
		dec, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		return func(pkt *rtp.Packet) {
			pts, ok := t.PacketPTS2(b.media, pkt)
			if !ok {
				return
			}
			buf, err := dec.Decode(pkt)
			if err != nil {
				return // more packets needed, or a fragment lost
			}
			var aus [][]byte
			el := mpeg4audio.AudioMuxElement{MuxConfigPresent: f.CPresent, StreamMuxConfig: f.StreamMuxConfig}
			if err := el.Unmarshal(buf); err == nil {
				for _, sub := range el.Payloads {
					if len(sub) > 0 && len(sub[0]) > 0 {
						aus = append(aus, sub[0][0])
					}
				}
			} else if au, ok := latmPayload(buf); ok && !f.CPresent {
				aus = [][]byte{au}
			} else {
				onError(fmt.Errorf("LATM: %w", err))
				return
			}
			sess.WriteMPEG4Audio(b.track, ntpOf(pkt), pts, aus)
		}, nil
	case *format.Opus:
		dec, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		return func(pkt *rtp.Packet) {
			pts, ok := t.PacketPTS2(b.media, pkt)
			if !ok {
				return
			}
			p, err := dec.Decode(pkt)
			if err != nil {
				onError(err)
				return
			}
			sess.WriteOpus(b.track, ntpOf(pkt), pts, [][]byte{p})
		}, nil
	}
	return nil, fmt.Errorf("unsupported format %T", b.format)
}

// latmPayload reads the payload of an AudioMuxElement in the layout nearly
// every sender uses: configuration out of band, one subframe, one program
// and layer, frameLengthType 0 (PayloadLengthInfo as bytes of 255 and a
// final byte, then the payload). It is the fallback for configurations the
// full parser misreads, such as the one GStreamer sends for an AAC encoder
// that signals the SBR sync extension.
func latmPayload(b []byte) ([]byte, bool) {
	n, i := 0, 0
	for {
		if i >= len(b) {
			return nil, false
		}
		c := int(b[i])
		i++
		n += c
		if c != 255 {
			break
		}
	}
	if n == 0 || i+n > len(b) {
		return nil, false
	}
	return b[i : i+n], true
}
