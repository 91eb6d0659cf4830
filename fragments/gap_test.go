package fragments

import (
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
)

// checkGapFragments checks the fragments of a 3-GOP clip (frames 0-74, a
// keyframe every 25) whose frame 35 was lost: the first GOP whole, the
// second up to the loss, the third from its keyframe as a discontinuity;
// each decodes without an error.
func checkGapFragments(t *testing.T, got []*Fragment, wantCodec string) {
	t.Helper()
	want := []struct {
		samples int
		disc    bool
		dur     time.Duration
	}{{25, true, time.Second}, {10, false, 400 * time.Millisecond}, {25, true, time.Second}}
	if len(got) != len(want) {
		for _, fr := range got {
			t.Logf("fragment: %v, %d video samples, discontinuity %v", fr.Duration, fr.Tracks[0].Samples, fr.Discontinuity)
		}
		t.Fatalf("%d fragments, want %d", len(got), len(want))
	}
	for i, fr := range got {
		w := want[i]
		if fr.Tracks[0].ID != 1 || fr.Tracks[0].Samples != w.samples || fr.Discontinuity != w.disc || fr.Duration != w.dur {
			t.Errorf("fragment %d: %d video samples, discontinuity %v, %v; want %d, %v, %v", i,
				fr.Tracks[0].Samples, fr.Discontinuity, fr.Duration, w.samples, w.disc, w.dur)
		}
		// Every track of a fragment starts within it: nothing from the gap.
		for _, tr := range fr.Tracks[1:] {
			video := float64(fr.Tracks[0].BaseTime) / float64(fr.Tracks[0].TimeScale)
			audio := float64(tr.BaseTime) / float64(tr.TimeScale)
			if audio < video-0.05 || audio > video+0.05 {
				t.Errorf("fragment %d: track %d starts at %.3f s, its video at %.3f s", i, tr.ID, audio, video)
			}
		}
		n, name, key := decodes(t, fileOf(t, fr))
		if n != w.samples || name != wantCodec || !key {
			t.Errorf("fragment %d: ffprobe reads %d %s frames (keyframe first %v), want %d", i, n, name, key, w.samples)
		}
	}
}

// TestGapVP9: loss in a video-only stream ends the fragment at once.
func TestGapVP9(t *testing.T) {
	_, rate, scale, frames := readIVF(t, "testdata/video.vp9.ivf")
	var got []*Fragment
	f, err := NewFragmenter([]Track{{Codec: &codecs.VP9{}, ClockRate: 90000}}, Options{},
		func(fr *Fragment) error { got = append(got, fr); return nil })
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i, fr := range frames {
		if i == 35 {
			// Lost on the way: the protocol drops the frame and says so.
			if err := f.Gap(); err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("after the gap %d fragments are out, want the first GOP and the frames before the loss", len(got))
			}
			continue
		}
		// Frames 36-49 reference the lost one: they must not be stored.
		if err := f.WriteVP9(0, now, ivfTo90k(fr.pts, rate, scale), fr.data); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	if err := f.Flush(); err != nil {
		t.Fatal(err)
	}
	checkGapFragments(t, got, "vp9")
}

// TestGapH264AndAAC: with audio, the fragment before the loss is out as
// soon as audio has passed its end (not only when the next keyframe
// comes), and audio of the time without video is not placed in the next
// fragment.
func TestGapH264AndAAC(t *testing.T) {
	video := accessUnits(t, "testdata/video.h264", func(n []byte) bool { return h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter })
	audio, conf := adts(t, "testdata/audio.aac")
	var got []*Fragment
	f, err := NewFragmenter([]Track{{Codec: &codecs.H264{}, ClockRate: 90000}, {Codec: &codecs.MPEG4Audio{Config: *conf}, ClockRate: conf.SampleRate}},
		Options{PartDuration: 200 * time.Millisecond}, func(fr *Fragment) error { got = append(got, fr); return nil })
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ai := 0
	for i, au := range video[:75] {
		vt := time.Duration(i) * time.Second / 25
		for ai < len(audio) && time.Duration(ai)*1024*time.Second/48000 <= vt {
			if err := f.WriteMPEG4Audio(1, start.Add(time.Duration(ai)*1024*time.Second/48000), int64(ai)*1024, audio[ai:ai+1]); err != nil {
				t.Fatal(err)
			}
			ai++
		}
		switch {
		case i == 35:
			if err := f.Gap(); err != nil {
				t.Fatal(err)
			}
			continue
		case i == 49 && len(got) != 2:
			t.Fatalf("%d fragments out 0.5 s after the loss; want the one before the loss out", len(got))
		}
		if err := f.WriteH264(0, start.Add(vt), int64(i)*3600, au); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Flush(); err != nil {
		t.Fatal(err)
	}
	checkGapFragments(t, got, "h264")
	if len(got) == 3 && (len(got[2].Tracks) != 2 || got[2].Tracks[1].Samples < 40) {
		t.Errorf("the fragment after the loss lacks its audio: %+v", got[2].Tracks)
	}
}
