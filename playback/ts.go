package playback

import (
	"bytes"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/substructs"

	"github.com/shardcast/shardcast/fragments"
)

// toTS remuxes a stored fragment into an MPEG-TS segment with the same
// timestamps (on the 90 kHz clock), samples of all tracks interleaved by
// decode time.
func toTS(f *fragments.Fragment) ([]byte, error) {
	tracks, err := decode(f)
	if err != nil {
		return nil, err
	}
	for _, t := range tracks {
		if name := codecName(t.Codec); name != "" {
			return nil, errorf(ErrUnsupportedMediaType, "The fragment's video is %s, which MPEG-TS cannot carry: use ContainerFormat FRAGMENTED_MP4.", name)
		}
	}
	var buf bytes.Buffer
	w := &mpegts.Writer{W: &buf}
	var used []*track
	var out []*mpegts.Track
	for _, t := range tracks {
		var c tscodecs.Codec
		switch tc := t.Codec.(type) {
		case *codecs.H264:
			c = &tscodecs.H264{}
		case *codecs.H265:
			c = &tscodecs.H265{}
		case *codecs.MPEG4Audio:
			c = &tscodecs.MPEG4Audio{Config: tc.Config}
		case *codecs.Opus:
			c = &tscodecs.Opus{Desc: &substructs.OpusAudioDescriptor{ChannelConfigCode: uint8(tc.ChannelCount)}}
		default:
			continue
		}
		used = append(used, t)
		out = append(out, &mpegts.Track{Codec: c})
	}
	if len(used) == 0 {
		return nil, errorf(ErrUnsupportedMediaType, "The fragment has no track MPEG-TS can carry.")
	}
	w.Tracks = out
	if err := w.Initialize(); err != nil {
		return nil, fmt.Errorf("playback: mpeg-ts: %w", err)
	}
	to90k := func(t *track, v int64) int64 { return v * 90000 / int64(t.TimeScale) }
	next := make([]int, len(used))
	for {
		// The track whose next sample decodes first.
		best := -1
		var bestT int64
		for i, t := range used {
			if next[i] < len(t.Samples) {
				if ts := to90k(t, t.Samples[next[i]].DTS); best < 0 || ts < bestT {
					best, bestT = i, ts
				}
			}
		}
		if best < 0 {
			break
		}
		t, s := used[best], used[best].Samples[next[best]]
		next[best]++
		dts := to90k(t, s.DTS)
		pts := to90k(t, s.DTS+int64(s.PTSOffset))
		var err error
		switch t.Codec.(type) {
		case *codecs.H264, *codecs.H265:
			var au h264.AVCC
			if err = au.Unmarshal(s.Payload); err != nil {
				return nil, errorf(ErrInvalidMediaFrame, "A video sample is not length-prefixed NAL units: %v", err)
			}
			if _, h265 := t.Codec.(*codecs.H265); h265 {
				err = w.WriteH265(out[best], pts, dts, au)
			} else {
				err = w.WriteH264(out[best], pts, dts, au)
			}
		case *codecs.MPEG4Audio:
			err = w.WriteMPEG4Audio(out[best], pts, [][]byte{s.Payload})
		case *codecs.Opus:
			err = w.WriteOpus(out[best], pts, [][]byte{s.Payload})
		}
		if err != nil {
			return nil, fmt.Errorf("playback: mpeg-ts: %w", err)
		}
	}
	return buf.Bytes(), nil
}
