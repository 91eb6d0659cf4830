package playback

import (
	"testing"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
)

// The sequence header OBU of libaom's 320x240 8-bit 4:2:0 test clip
// (fragments/testdata/video.av1.ivf), without its size field.
var testAV1Seq = []byte{0x08, 0x00, 0x00, 0x00, 0x04, 0x3c, 0xff, 0xbc, 0xda, 0xf9, 0x00, 0x40}

func TestCodecStrings(t *testing.T) {
	for _, tc := range []struct {
		c    codecs.Codec
		want string
		w, h int
	}{
		{&codecs.VP9{Width: 320, Height: 240, BitDepth: 8, ChromaSubsampling: 1}, "vp09.00.20.08", 320, 240},
		{&codecs.VP9{Width: 1920, Height: 1080, Profile: 2, BitDepth: 10, ChromaSubsampling: 1}, "vp09.02.40.10", 1920, 1080},
		{&codecs.AV1{SequenceHeader: testAV1Seq}, "av01.0.00M.08", 320, 240},
		{&codecs.Opus{ChannelCount: 2}, "opus", 0, 0},
	} {
		if got := codecString(tc.c); got != tc.want {
			t.Errorf("%T: CODECS %q, want %q", tc.c, got, tc.want)
		}
		if w, h := resolution(tc.c); w != tc.w || h != tc.h {
			t.Errorf("%T: %dx%d, want %dx%d", tc.c, w, h, tc.w, tc.h)
		}
	}
	// VP9 and AV1 play over fMP4; MPEG-TS refuses them by name.
	for _, c := range []codecs.Codec{&codecs.VP9{Width: 320, Height: 240, BitDepth: 8}, &codecs.AV1{SequenceHeader: testAV1Seq}} {
		init := &fmp4.Init{Tracks: []*fmp4.InitTrack{{ID: 1, TimeScale: 90000, Codec: c}}}
		if err := checkPlayable(init); err != nil {
			t.Errorf("%T: %v", c, err)
		}
		if err := checkTS(init); err == nil {
			t.Errorf("%T accepted for MPEG-TS", c)
		}
	}
}
