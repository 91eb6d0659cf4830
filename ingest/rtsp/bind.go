package rtsp

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph265"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtpmpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/ingest"
)

// timer is what the server session and the client share for timing packets.
type timer interface {
	PacketPTS2(*description.Media, *rtp.Packet) (int64, bool)
}

// binding is one supported format of one media, mapped to a track.
type binding struct {
	media  *description.Media
	format format.Format
	track  int
	report atomic.Pointer[ingest.SenderReport] // the sender's latest RTCP sender report
}

// onRTCP keeps the sender reports of the binding's media.
func (b *binding) onRTCP(pkt rtcp.Packet) {
	if sr, ok := pkt.(*rtcp.SenderReport); ok {
		b.report.Store(ingest.ReportOf(sr))
	}
}

// reported is the sender's wall-clock time of an RTP packet, from its
// latest sender report (zero before one came).
func (b *binding) reported(pkt *rtp.Packet) time.Time {
	return b.report.Load().TimeOf(pkt.SSRC, pkt.Timestamp, int64(b.format.ClockRate()))
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
	switch f := b.format.(type) {
	case *format.H264:
		dec, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		return depacketize(b, t, dec.Decode, onError, func(at ingest.Timing, pts int64, au [][]byte) { sess.WriteH264(b.track, at, pts, au) },
			rtph264.ErrMorePacketsNeeded, rtph264.ErrNonStartingPacketAndNoPrevious), nil
	case *format.H265:
		dec, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		return depacketize(b, t, dec.Decode, onError, func(at ingest.Timing, pts int64, au [][]byte) { sess.WriteH265(b.track, at, pts, au) },
			rtph265.ErrMorePacketsNeeded, rtph265.ErrNonStartingPacketAndNoPrevious), nil
	case *format.MPEG4Audio:
		dec, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		return depacketize(b, t, dec.Decode, onError, func(at ingest.Timing, pts int64, aus [][]byte) { sess.WriteMPEG4Audio(b.track, at, pts, aus) },
			rtpmpeg4audio.ErrMorePacketsNeeded), nil
	case *format.MPEG4AudioLATM:
		dec, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		decode := func(pkt *rtp.Packet) ([][]byte, error) {
			buf, err := dec.Decode(pkt)
			if err != nil {
				return nil, errQuiet // more packets needed, or a fragment lost
			}
			el := mpeg4audio.AudioMuxElement{MuxConfigPresent: f.CPresent, StreamMuxConfig: f.StreamMuxConfig}
			if err := el.Unmarshal(buf); err == nil {
				var aus [][]byte
				for _, sub := range el.Payloads {
					if len(sub) > 0 && len(sub[0]) > 0 {
						aus = append(aus, sub[0][0])
					}
				}
				return aus, nil
			} else if au, ok := latmPayload(buf); ok && !f.CPresent {
				return [][]byte{au}, nil
			} else {
				return nil, fmt.Errorf("LATM: %w", err)
			}
		}
		return depacketize(b, t, decode, onError, func(at ingest.Timing, pts int64, aus [][]byte) { sess.WriteMPEG4Audio(b.track, at, pts, aus) },
			errQuiet), nil
	case *format.Opus:
		dec, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		return depacketize(b, t, dec.Decode, onError, func(at ingest.Timing, pts int64, p []byte) { sess.WriteOpus(b.track, at, pts, [][]byte{p}) }), nil
	}
	return nil, fmt.Errorf("unsupported format %T", b.format)
}

// errQuiet marks a decode that has nothing yet and nothing to report.
var errQuiet = errors.New("no unit yet")

// depacketize makes an RTP callback: it times each packet (presentation time
// in the track's clock; its arrival, and the sender's wall clock once RTCP
// sender reports give it), decodes it, and writes complete units. Errors in
// quiet are the decoder waiting for more packets; others go to onError.
func depacketize[T any](b *binding, t timer, decode func(*rtp.Packet) (T, error), onError func(error),
	write func(at ingest.Timing, pts int64, unit T), quiet ...error) func(*rtp.Packet) {
	return func(pkt *rtp.Packet) {
		pts, ok := t.PacketPTS2(b.media, pkt)
		if !ok {
			return
		}
		unit, err := decode(pkt)
		if err != nil {
			for _, q := range quiet {
				if errors.Is(err, q) {
					return
				}
			}
			onError(err)
			return
		}
		write(ingest.Timing{Arrival: time.Now(), Reported: b.reported(pkt)}, pts, unit)
	}
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
