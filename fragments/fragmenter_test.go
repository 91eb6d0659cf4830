package fragments

import (
	"bytes"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
)

// accessUnits splits an Annex-B H.264 stream with access-unit delimiters.
func accessUnits(t *testing.T, path string, aud func(nalu []byte) bool) [][][]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var aus [][][]byte
	for _, n := range splitAnnexB(raw) {
		if aud(n) || len(aus) == 0 {
			aus = append(aus, nil)
		}
		aus[len(aus)-1] = append(aus[len(aus)-1], n)
	}
	return aus
}

// splitAnnexB splits a byte stream at 00 00 01 start codes (the files are
// longer than mediacommon's per-access-unit parser accepts).
func splitAnnexB(b []byte) [][]byte {
	var out [][]byte
	start := -1
	for i := 0; i+2 < len(b); i++ {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				end := i
				for end > start && b[end-1] == 0 {
					end--
				}
				out = append(out, b[start:end])
			}
			start = i + 3
			i += 2
		}
	}
	if start >= 0 {
		out = append(out, b[start:])
	}
	return out
}

func adts(t *testing.T, path string) ([][]byte, *mpeg4audio.AudioSpecificConfig) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pkts mpeg4audio.ADTSPackets
	if err := pkts.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}
	var aus [][]byte
	for _, p := range pkts {
		aus = append(aus, p.AU)
	}
	return aus, &mpeg4audio.AudioSpecificConfig{Type: pkts[0].Type, SampleRate: pkts[0].SampleRate, ChannelConfig: pkts[0].ChannelConfig}
}

// feed interleaves video (track 0) and AAC (track 1) by time, as a camera
// sends them: frame i at i/25 s, AAC unit j at j*1024/48000 s; then flushes.
// It returns how many audio units it wrote.
func feed(t *testing.T, f *Fragmenter, video [][][]byte, audio [][]byte, start time.Time) int {
	t.Helper()
	ai := 0
	for i, au := range video {
		vt := time.Duration(i) * time.Second / 25
		for ai < len(audio) && time.Duration(ai)*1024*time.Second/48000 <= vt {
			if err := f.WriteMPEG4Audio(1, start.Add(time.Duration(ai)*1024*time.Second/48000), int64(ai)*1024, audio[ai:ai+1]); err != nil {
				t.Fatal(err)
			}
			ai++
		}
		if err := f.WriteH264(0, start.Add(vt), int64(i)*3600, au); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Flush(); err != nil {
		t.Fatal(err)
	}
	return ai
}

func TestFragmenterH264AndAAC(t *testing.T) {
	video := accessUnits(t, "testdata/video.h264", func(n []byte) bool { return h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter })
	audio, conf := adts(t, "testdata/audio.aac")
	var got []*Fragment
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f, err := NewFragmenter([]Track{{Codec: &codecs.H264{}, ClockRate: 90000}, {Codec: &codecs.MPEG4Audio{Config: *conf}, ClockRate: conf.SampleRate}},
		Options{}, func(fr *Fragment) error { got = append(got, fr); return nil })
	if err != nil {
		t.Fatal(err)
	}
	feed(t, f, video, audio, start)
	if len(got) != 3 {
		t.Fatalf("%d fragments from 3 s with a 1 s GOP", len(got))
	}
	var frames int
	var total time.Duration
	var nextBase uint64
	for i, fr := range got {
		if fr.Duration != time.Second {
			t.Errorf("fragment %d lasts %v", i, fr.Duration)
		}
		if !fr.ProducerTime.Equal(start.Add(time.Duration(i) * time.Second)) {
			t.Errorf("fragment %d producer time %v", i, fr.ProducerTime)
		}
		if fr.Discontinuity != (i == 0) {
			t.Errorf("fragment %d discontinuity %v", i, fr.Discontinuity)
		}
		total += fr.Duration
		var init fmp4.Init
		if err := init.Unmarshal(bytes.NewReader(fr.Init)); err != nil || len(init.Tracks) != 2 {
			t.Fatalf("fragment %d init: %v", i, err)
		}
		var parts fmp4.Parts
		if err := parts.Unmarshal(fr.Data); err != nil || len(parts) != 1 {
			t.Fatalf("fragment %d: %v", i, err)
		}
		for _, pt := range parts[0].Tracks {
			if pt.ID == 1 {
				if pt.Samples[0].IsNonSyncSample {
					t.Errorf("fragment %d does not start with a keyframe", i)
				}
				if pt.BaseTime != nextBase {
					t.Errorf("fragment %d video base time %d, want %d", i, pt.BaseTime, nextBase)
				}
				for _, s := range pt.Samples {
					nextBase += uint64(s.Duration)
				}
				frames += len(pt.Samples)
			}
		}
		if len(parts[0].Tracks) != 2 {
			t.Errorf("fragment %d has %d tracks", i, len(parts[0].Tracks))
		}
	}
	if frames != len(video) || total != 3*time.Second {
		t.Fatalf("%d frames in %v, want %d in 3s", frames, total, len(video))
	}
}

func TestFragmenterWaitsForKeyframeAndParameterChange(t *testing.T) {
	video := accessUnits(t, "testdata/video.h264", func(n []byte) bool { return h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter })
	var got []*Fragment
	f, _ := NewFragmenter([]Track{{Codec: &codecs.H264{}, ClockRate: 90000}}, Options{}, func(fr *Fragment) error { got = append(got, fr); return nil })
	// Join mid-GOP: frames before the first keyframe are dropped.
	for i, au := range video[10:] {
		if err := f.WriteH264(0, time.Unix(0, 0), int64(i+10)*3600, au); err != nil {
			t.Fatal(err)
		}
	}
	f.Flush()
	if len(got) != 2 {
		t.Fatalf("%d fragments after joining mid-GOP", len(got))
	}
	// A new SPS at a keyframe starts a new init segment and a discontinuity.
	got = nil
	f, _ = NewFragmenter([]Track{{Codec: &codecs.H264{}, ClockRate: 90000}}, Options{}, func(fr *Fragment) error { got = append(got, fr); return nil })
	for i, au := range video {
		if i == 50 {
			au = changeSPS(au)
		}
		f.WriteH264(0, time.Unix(0, 0), int64(i)*3600, au)
	}
	f.Flush()
	if len(got) != 3 || !got[2].Discontinuity || bytes.Equal(got[2].Init, got[1].Init) || !bytes.Equal(got[0].Init, got[1].Init) {
		t.Fatalf("parameter change: %d fragments", len(got))
	}
}

// changeSPS returns the access unit with its SPS altered in a trailing byte
// that decoders ignore for this test (the init segment must change).
func changeSPS(au [][]byte) [][]byte {
	out := make([][]byte, len(au))
	for i, n := range au {
		out[i] = n
		if h264.NALUType(n[0]&0x1f) == h264.NALUTypeSPS {
			out[i] = append(append([]byte(nil), n...), 0)
		}
	}
	return out
}

func TestFragmenterMinDurationAndKeyframeRequest(t *testing.T) {
	video := accessUnits(t, "testdata/video.h264", func(n []byte) bool { return h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter })
	var got []*Fragment
	asked := 0
	f, _ := NewFragmenter([]Track{{Codec: &codecs.H264{}, ClockRate: 90000}}, Options{MinDuration: 1500 * time.Millisecond,
		MaxDuration: 1200 * time.Millisecond, RequestKeyframe: func() { asked++ }}, func(fr *Fragment) error { got = append(got, fr); return nil })
	for i, au := range video {
		f.WriteH264(0, time.Unix(0, 0), int64(i)*3600, au)
	}
	f.Flush()
	// Keyframes at 0, 1 and 2 s: with a 1.5 s minimum the cut is at 2 s.
	if len(got) != 2 || got[0].Duration != 2*time.Second || got[1].Duration != time.Second {
		t.Fatalf("min duration: %d fragments", len(got))
	}
	if asked != 1 {
		t.Fatalf("keyframe requested %d times past the maximum duration", asked)
	}
}

func TestFragmenterH265(t *testing.T) {
	raw, _ := os.ReadFile("testdata/video.h265")
	var aus [][][]byte
	for _, n := range splitAnnexB(raw) {
		if (n[0]>>1)&0x3f == 35 || len(aus) == 0 { // AUD_NUT
			aus = append(aus, nil)
		}
		aus[len(aus)-1] = append(aus[len(aus)-1], n)
	}
	var got []*Fragment
	f, _ := NewFragmenter([]Track{{Codec: &codecs.H265{}, ClockRate: 90000}}, Options{}, func(fr *Fragment) error { got = append(got, fr); return nil })
	for i, au := range aus {
		if err := f.WriteH265(0, time.Unix(0, 0), int64(i)*3600, au); err != nil {
			t.Fatal(err)
		}
	}
	f.Flush()
	if len(got) != 2 {
		t.Fatalf("%d H.265 fragments from 2 s", len(got))
	}
	var init fmp4.Init
	if err := init.Unmarshal(bytes.NewReader(got[0].Init)); err != nil {
		t.Fatal(err)
	}
	if _, ok := init.Tracks[0].Codec.(*codecs.H265); !ok {
		t.Fatalf("init codec %T", init.Tracks[0].Codec)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	in := &Fragment{Init: []byte("init"), ProducerTime: time.Unix(100, 5), Duration: 2 * time.Second, Discontinuity: true,
		Tracks: []TrackInfo{{ID: 1, TimeScale: 90000, BaseTime: 7, Duration: 180000, Samples: 50}, {ID: 2, TimeScale: 48000, Samples: 3}}}
	var out Fragment
	if err := decodeMeta(encodeMeta(in), &out); err != nil {
		t.Fatal(err)
	}
	if string(out.Init) != "init" || !out.ProducerTime.Equal(in.ProducerTime) || out.Duration != in.Duration || !out.Discontinuity || len(out.Tracks) != 2 || out.Tracks[0] != in.Tracks[0] {
		t.Fatalf("round trip: %+v", out)
	}
	for n := 0; n < len(encodeMeta(in)); n++ {
		var f Fragment
		if err := decodeMeta(encodeMeta(in)[:n], &f); err == nil {
			t.Fatalf("truncated meta of %d bytes decoded", n)
		}
	}
}

func FuzzDecodeMeta(f *testing.F) {
	f.Add(encodeMeta(&Fragment{Init: []byte("x"), Tracks: []TrackInfo{{ID: 1}}}))
	f.Add(encodeMeta(&Fragment{Init: []byte("init"), Tracks: []TrackInfo{{ID: 1}, {ID: 2}},
		Parts: []PartInfo{{Size: 10, Duration: 200 * time.Millisecond, Independent: true}, {Size: 5}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr Fragment
		if decodeMeta(b, &fr) == nil {
			fr.Data = make([]byte, 15)
			PartsOf(&fr) // must not panic whatever the record says
		}
	})
}

// TestAVCCInputMatches checks that the copy-saving AVCC entry point stores
// exactly what the NAL-unit one does.
func TestAVCCInputMatches(t *testing.T) {
	video := accessUnits(t, "testdata/video.h264", func(n []byte) bool { return h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter })
	run := func(avcc bool) []*Fragment {
		var got []*Fragment
		f, _ := NewFragmenter([]Track{{Codec: &codecs.H264{}, ClockRate: 90000}}, Options{}, func(fr *Fragment) error { got = append(got, fr); return nil })
		for i, au := range video {
			var err error
			if avcc {
				buf, _ := h264.AVCC(au).Marshal()
				err = f.WriteH264AVCC(0, time.Unix(0, 0), int64(i)*3600, buf)
			} else {
				err = f.WriteH264(0, time.Unix(0, 0), int64(i)*3600, au)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		f.Flush()
		return got
	}
	a, b := run(false), run(true)
	if len(a) != len(b) {
		t.Fatalf("%d fragments vs %d", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i].Data, b[i].Data) || !bytes.Equal(a[i].Init, b[i].Init) {
			t.Fatalf("fragment %d differs", i)
		}
	}
	if _, err := splitAVCC([]byte{0, 0, 0, 9, 1}); err == nil {
		t.Fatal("a truncated AVCC unit was accepted")
	}
}

func TestMarshalPartMatchesMediacommon(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200; i++ {
		p := fmp4.Part{SequenceNumber: rng.Uint32()}
		for tr := 0; tr < 1+rng.IntN(3); tr++ {
			pt := &fmp4.PartTrack{ID: tr + 1, BaseTime: rng.Uint64() >> rng.IntN(64)}
			for s := 0; s < rng.IntN(60); s++ {
				payload := make([]byte, rng.IntN(2000))
				for j := range payload {
					payload[j] = byte(rng.Uint32())
				}
				smp := &fmp4.Sample{Duration: rng.Uint32N(10000), Payload: payload}
				if rng.IntN(3) == 0 {
					smp.IsNonSyncSample = true
				}
				if rng.IntN(4) == 0 {
					smp.PTSOffset = int32(rng.IntN(20000)) - 10000
				}
				pt.Samples = append(pt.Samples, smp)
			}
			p.Tracks = append(p.Tracks, pt)
		}
		var ref seekablebuffer.Buffer
		if err := p.Marshal(&ref); err != nil {
			t.Fatal(err)
		}
		if got := marshalPart(&p); !bytes.Equal(got, ref.Bytes()) {
			t.Fatalf("part %d: %d bytes, mediacommon wrote %d", i, len(got), len(ref.Bytes()))
		}
	}
}

func TestFragmenterParts(t *testing.T) {
	video := accessUnits(t, "testdata/video.h264", func(n []byte) bool { return h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter })
	audio, conf := adts(t, "testdata/audio.aac")
	var got []*Fragment
	var parts []*Part
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f, err := NewFragmenter([]Track{{Codec: &codecs.H264{}, ClockRate: 90000}, {Codec: &codecs.MPEG4Audio{Config: *conf}, ClockRate: conf.SampleRate}},
		Options{PartDuration: 200 * time.Millisecond, OnPart: func(p *Part) { parts = append(parts, p) }},
		func(fr *Fragment) error { got = append(got, fr); return nil })
	if err != nil {
		t.Fatal(err)
	}
	ai := feed(t, f, video, audio, start)
	if len(got) != 3 || len(parts) != 15 {
		t.Fatalf("%d fragments and %d parts from 3 s with a 1 s GOP and 200 ms parts", len(got), len(parts))
	}
	pi := 0
	videoSamples, audioSamples := 0, 0
	for i, fr := range got {
		if len(fr.Parts) != 5 {
			t.Fatalf("fragment %d has %d parts", i, len(fr.Parts))
		}
		var joined []byte
		var dur time.Duration
		for j, info := range fr.Parts {
			p := parts[pi]
			pi++
			if p.Index != j || p.PartInfo != info || !bytes.Equal(p.Init, fr.Init) || p.Discontinuity != fr.Discontinuity {
				t.Errorf("fragment %d part %d: live %+v, stored %+v", i, j, p.PartInfo, info)
			}
			if info.Duration != 200*time.Millisecond || info.Independent != (j == 0) {
				t.Errorf("fragment %d part %d: %+v", i, j, info)
			}
			joined = append(joined, p.Data...)
			dur += info.Duration
		}
		if !bytes.Equal(joined, fr.Data) || dur != fr.Duration {
			t.Errorf("fragment %d: parts do not add up to the fragment (%v vs %v)", i, dur, fr.Duration)
		}
		var ps fmp4.Parts
		if err := ps.Unmarshal(fr.Data); err != nil || len(ps) != 5 {
			t.Fatalf("fragment %d: %d chunks, %v", i, len(ps), err)
		}
		for _, p := range ps {
			for _, pt := range p.Tracks {
				if pt.ID == 1 {
					videoSamples += len(pt.Samples)
				} else {
					audioSamples += len(pt.Samples)
				}
			}
		}
		var back Fragment
		back.Data = fr.Data
		if err := decodeMeta(encodeMeta(fr), &back); err != nil || len(back.Parts) != 5 || back.Parts[3] != fr.Parts[3] {
			t.Fatalf("fragment %d meta round trip: %v %+v", i, err, back.Parts)
		}
		if len(PartsOf(&back)) != 5 {
			t.Errorf("PartsOf lost parts")
		}
		if got, want := fr.Tracks[0].Samples, 25; got != want {
			t.Errorf("fragment %d: %d video samples, want %d", i, got, want)
		}
	}
	if videoSamples != len(video) || audioSamples < ai-2 {
		t.Errorf("%d video samples of %d, %d audio of %d", videoSamples, len(video), audioSamples, ai)
	}
}

// TestFragmenterTimelineStart checks that a session's decode times begin at
// Options.TimelineStart in every track's clock, however far along the
// stream's timeline that is (a year in nanoseconds times 90 kHz overflows
// int64), and advance from there as they would from 0.
func TestFragmenterTimelineStart(t *testing.T) {
	video := accessUnits(t, "testdata/video.h264", func(n []byte) bool { return h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter })
	audio, conf := adts(t, "testdata/audio.aac")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	bases := func(origin time.Duration) [][2]uint64 {
		var got []*Fragment
		f, err := NewFragmenter([]Track{{Codec: &codecs.H264{}, ClockRate: 90000}, {Codec: &codecs.MPEG4Audio{Config: *conf}, ClockRate: conf.SampleRate}},
			Options{TimelineStart: origin}, func(fr *Fragment) error { got = append(got, fr); return nil })
		if err != nil {
			t.Fatal(err)
		}
		feed(t, f, video, audio, start)
		var out [][2]uint64
		for _, fr := range got {
			out = append(out, [2]uint64{fr.Tracks[0].BaseTime, fr.Tracks[1].BaseTime})
			var parts fmp4.Parts
			if err := parts.Unmarshal(fr.Data); err != nil {
				t.Fatal(err)
			}
			for _, pt := range parts[0].Tracks {
				if pt.BaseTime != fr.Tracks[pt.ID-1].BaseTime {
					t.Errorf("track %d: tfdt %d, index %d", pt.ID, pt.BaseTime, fr.Tracks[pt.ID-1].BaseTime)
				}
			}
		}
		return out
	}
	zero := bases(0)
	origin := 366*24*time.Hour + time.Second/4
	moved := bases(origin)
	if len(zero) != 3 || len(moved) != len(zero) {
		t.Fatalf("%d and %d fragments", len(zero), len(moved))
	}
	videoOff := uint64(366*24*3600*90000 + 22500)
	audioOff := uint64(366*24*3600*conf.SampleRate + conf.SampleRate/4)
	if moved[0][0] != videoOff {
		t.Errorf("first video tfdt %d, want %d", moved[0][0], videoOff)
	}
	for i := range zero {
		if moved[i][0] != zero[i][0]+videoOff || moved[i][1] != zero[i][1]+audioOff {
			t.Errorf("fragment %d: tfdt %v from %v, want offsets %d and %d", i, moved[i], zero[i], videoOff, audioOff)
		}
	}
	if _, err := NewFragmenter([]Track{{Codec: &codecs.H264{}, ClockRate: 90000}}, Options{TimelineStart: -1}, nil); err == nil {
		t.Error("a negative timeline start is accepted")
	}
}

// TestTickConversionsRoundDown checks that a decode time converted to
// nanoseconds and back never grows, negative times included (decode times
// before a session's first frame are negative): a video part ends at the
// next part's first sample's time converted so, and a grown end made parts
// overlap by a tick.
func TestTickConversionsRoundDown(t *testing.T) {
	for _, rate := range []int{90000, 48000, 44100, 8000} {
		tr := &trackState{Track: Track{ClockRate: rate}}
		for x := int64(-100000); x <= 100000; x += 7 {
			if got := tr.ticks(tr.ns(x)); got > x {
				t.Fatalf("rate %d: ticks(ns(%d)) = %d", rate, x, got)
			}
		}
	}
}

// TestFragmenterPartsNeverOverlap feeds audio that lags video by a little
// more than maxAudioLag (parts are built before their audio's next frame
// is known, so the last frame gets the nominal duration, and the frame
// after it still arrives in time for the next part) and whose frames are a tick
// shorter than nominal, as timestamps converted between clocks can be: no
// track's part may start before the previous part of that track ends.
func TestFragmenterPartsNeverOverlap(t *testing.T) {
	video := accessUnits(t, "testdata/video.h264", func(n []byte) bool { return h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter })
	audio, conf := adts(t, "testdata/audio.aac")
	var got []*Fragment
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f, err := NewFragmenter([]Track{{Codec: &codecs.H264{}, ClockRate: 90000}, {Codec: &codecs.MPEG4Audio{Config: *conf}, ClockRate: conf.SampleRate}},
		Options{PartDuration: 200 * time.Millisecond}, func(fr *Fragment) error { got = append(got, fr); return nil })
	if err != nil {
		t.Fatal(err)
	}
	const step = 1023 // a tick short of AAC's 1024
	lag := time.Second + 10*time.Millisecond
	at := func(i int) time.Duration {
		return time.Duration(i) * step * time.Second / time.Duration(conf.SampleRate)
	}
	ai := 0
	for i, au := range video {
		vt := time.Duration(i) * time.Second / 25
		for ai < len(audio) && at(ai)+lag <= vt {
			if err := f.WriteMPEG4Audio(1, start.Add(at(ai)), int64(ai)*step, audio[ai:ai+1]); err != nil {
				t.Fatal(err)
			}
			ai++
		}
		if err := f.WriteH264(0, start.Add(vt), int64(i)*3600, au); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Flush(); err != nil {
		t.Fatal(err)
	}
	ends := map[int]uint64{}
	audioSamples := 0
	for i, fr := range got {
		var parts fmp4.Parts
		if err := parts.Unmarshal(fr.Data); err != nil {
			t.Fatal(err)
		}
		for j, p := range parts {
			for _, pt := range p.Tracks {
				if end, ok := ends[pt.ID]; ok && pt.BaseTime < end {
					t.Fatalf("fragment %d part %d track %d starts at %d, before the previous part's end %d", i, j, pt.ID, pt.BaseTime, end)
				}
				end := pt.BaseTime
				for _, s := range pt.Samples {
					end += uint64(s.Duration)
				}
				ends[pt.ID] = end
				if pt.ID == 2 {
					audioSamples += len(pt.Samples)
				}
			}
		}
	}
	// Lost: the first lag's audio (the first fragment was cut before any
	// arrived) and at most a frame a part with audio (it came after its
	// part was built).
	if lost := ai - audioSamples; audioSamples == 0 || lost > int(lag*time.Duration(conf.SampleRate)/time.Second/step)+5 {
		t.Errorf("%d audio frames stored of %d written", audioSamples, ai)
	}
}

// TestTicksUpUndoesNs checks that a video part's end, a frame's time in
// nanoseconds, converts back to exactly that frame's decode time.
func TestTicksUpUndoesNs(t *testing.T) {
	for _, rate := range []int{90000, 48000, 44100, 8000, 1000} {
		tr := &trackState{Track: Track{ClockRate: rate}}
		for x := int64(-100000); x <= 100000; x += 7 {
			if got := tr.ticksUp(tr.ns(x)); got != x {
				t.Fatalf("rate %d: ticksUp(ns(%d)) = %d", rate, x, got)
			}
		}
	}
}
