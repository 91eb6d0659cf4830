package playback

import (
	"bytes"
	"fmt"
	"math"

	"github.com/bluenviron/gohlslib/v2/pkg/codecparams"
	hlscodecs "github.com/bluenviron/gohlslib/v2/pkg/codecs"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"

	"github.com/shardcast/shardcast/fragments"
)

// track is one track of a stored fragment with its samples in decode order.
type track struct {
	ID        int
	TimeScale uint32
	Codec     codecs.Codec
	Samples   []sample
}

// sample is one access unit with its decode time in the track's time scale,
// counted from the publisher session's start.
type sample struct {
	DTS       int64
	PTSOffset int32
	Duration  uint32
	Sync      bool
	Payload   []byte
}

func (t *track) video() bool {
	switch t.Codec.(type) {
	case *codecs.H264, *codecs.H265, *codecs.VP9, *codecs.AV1:
		return true
	}
	return false
}

// parseInit reads the tracks and codecs of an init segment.
func parseInit(b []byte) (*fmp4.Init, error) {
	var init fmp4.Init
	if err := init.Unmarshal(bytes.NewReader(b)); err != nil {
		return nil, errorf(ErrMissingCodecPrivateData, "The fragment's codec private data cannot be read: %v", err)
	}
	return &init, nil
}

// decode splits a stored fragment into its tracks' samples.
func decode(f *fragments.Fragment) ([]*track, error) {
	init, err := parseInit(f.Init)
	if err != nil {
		return nil, err
	}
	var parts fmp4.Parts
	if err := parts.Unmarshal(f.Data); err != nil {
		return nil, errorf(ErrInvalidMediaFrame, "The fragment's media cannot be read: %v", err)
	}
	var tracks []*track
	byID := map[int]*track{}
	for _, it := range init.Tracks {
		t := &track{ID: it.ID, TimeScale: it.TimeScale, Codec: it.Codec}
		tracks = append(tracks, t)
		byID[it.ID] = t
	}
	for _, p := range parts {
		for _, pt := range p.Tracks {
			t := byID[pt.ID]
			if t == nil {
				return nil, errorf(ErrInvalidMediaFrame, "The fragment has samples of track %d, which its init segment lacks.", pt.ID)
			}
			if pt.BaseTime > math.MaxInt64/2 {
				return nil, errorf(ErrInvalidMediaFrame, "The fragment's decode time is out of range.")
			}
			dts := int64(pt.BaseTime)
			for _, s := range pt.Samples {
				t.Samples = append(t.Samples, sample{DTS: dts, PTSOffset: s.PTSOffset, Duration: s.Duration, Sync: !s.IsNonSyncSample, Payload: s.Payload})
				dts += int64(s.Duration)
			}
		}
	}
	out := tracks[:0]
	for _, t := range tracks {
		if len(t.Samples) > 0 {
			out = append(out, t)
		}
	}
	return out, nil
}

// codecString is a track's RFC 6381 codec name, as HLS CODECS lists it.
func codecString(c codecs.Codec) string {
	switch c := c.(type) {
	case *codecs.H264:
		return codecparams.Marshal(&hlscodecs.H264{SPS: c.SPS, PPS: c.PPS})
	case *codecs.H265:
		return codecparams.Marshal(&hlscodecs.H265{VPS: c.VPS, SPS: c.SPS, PPS: c.PPS})
	case *codecs.VP9:
		// vp09.PP.LL.DD: profile, level, bit depth.
		return fmt.Sprintf("vp09.%02d.%02d.%02d", c.Profile, vp9Level(c.Width, c.Height), c.BitDepth)
	case *codecs.AV1:
		// av01.P.LLT.DD: profile, level and tier, bit depth.
		var sh av1.SequenceHeader
		if sh.Unmarshal(c.SequenceHeader) != nil {
			return ""
		}
		tier := "M"
		if sh.SeqTier[0] {
			tier = "H"
		}
		return fmt.Sprintf("av01.%d.%02d%s.%02d", sh.SeqProfile, sh.SeqLevelIdx[0], tier, sh.ColorConfig.BitDepth)
	case *codecs.MPEG4Audio:
		return codecparams.Marshal(&hlscodecs.MPEG4Audio{Config: c.Config})
	case *codecs.Opus:
		return codecparams.Marshal(&hlscodecs.Opus{ChannelCount: c.ChannelCount})
	}
	return ""
}

// resolution returns the picture size of a video codec, or 0, 0.
func resolution(c codecs.Codec) (int, int) {
	switch c := c.(type) {
	case *codecs.H264:
		var sps h264.SPS
		if sps.Unmarshal(c.SPS) == nil {
			return sps.Width(), sps.Height()
		}
	case *codecs.H265:
		var sps h265.SPS
		if sps.Unmarshal(c.SPS) == nil {
			return sps.Width(), sps.Height()
		}
	case *codecs.VP9:
		return c.Width, c.Height
	case *codecs.AV1:
		var sh av1.SequenceHeader
		if sh.Unmarshal(c.SequenceHeader) == nil {
			return sh.Width(), sh.Height()
		}
	}
	return 0, 0
}

// vp9Level is the lowest VP9 level (times ten) whose largest picture holds
// width x height; the frame rate is not known from the codec parameters.
func vp9Level(width, height int) int {
	levels := []struct{ level, maxPicture int }{
		{10, 36864}, {11, 73728}, {20, 122880}, {21, 245760}, {30, 552960}, {31, 983040},
		{40, 2228224}, {50, 8912896}, {60, 35651584},
	}
	for _, l := range levels {
		if width*height <= l.maxPicture {
			return l.level
		}
	}
	return 62
}

// checkPlayable refuses init segments HLS and MP4 players cannot take: the
// first track must be H.264, H.265, VP9 or AV1 video, or AAC or Opus audio
// (KVS itself takes H.264, H.265 and AAC; fMP4 carries what WebRTC brings).
func checkPlayable(init *fmp4.Init) error {
	if len(init.Tracks) == 0 {
		return errorf(ErrMissingCodecPrivateData, "The stream's fragments have no tracks.")
	}
	switch init.Tracks[0].Codec.(type) {
	case *codecs.H264, *codecs.H265, *codecs.VP9, *codecs.AV1, *codecs.MPEG4Audio, *codecs.Opus:
		return nil
	}
	return errorf(ErrUnsupportedMediaType, "The stream's first track has codec %T, which cannot be played back over HLS or MP4.", init.Tracks[0].Codec)
}

// checkTS refuses init segments with a track MPEG-TS cannot carry: VP9 and
// AV1 video, which only fragmented MP4 sessions play.
func checkTS(init *fmp4.Init) error {
	for _, t := range init.Tracks {
		if name := codecName(t.Codec); name != "" {
			return errorf(ErrUnsupportedMediaType, "The stream's video is %s, which MPEG-TS cannot carry: use ContainerFormat FRAGMENTED_MP4.", name)
		}
	}
	return nil
}

// codecName names the video codecs MPEG-TS cannot carry, else "".
func codecName(c codecs.Codec) string {
	switch c.(type) {
	case *codecs.VP9:
		return "VP9"
	case *codecs.AV1:
		return "AV1"
	}
	return ""
}
