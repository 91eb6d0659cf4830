package playback

import (
	"bytes"
	"math"

	"github.com/bluenviron/gohlslib/v2/pkg/codecparams"
	hlscodecs "github.com/bluenviron/gohlslib/v2/pkg/codecs"
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
	case *codecs.H264, *codecs.H265:
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
	}
	return 0, 0
}

// checkPlayable refuses init segments HLS and MP4 players cannot take: the
// first track must be H.264 or H.265 video or AAC audio, as KVS requires.
func checkPlayable(init *fmp4.Init) error {
	if len(init.Tracks) == 0 {
		return errorf(ErrMissingCodecPrivateData, "The stream's fragments have no tracks.")
	}
	switch init.Tracks[0].Codec.(type) {
	case *codecs.H264, *codecs.H265, *codecs.MPEG4Audio:
		return nil
	}
	return errorf(ErrUnsupportedMediaType, "The stream's first track has codec %T, which cannot be played back over HLS or MP4.", init.Tracks[0].Codec)
}
