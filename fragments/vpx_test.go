package fragments

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
)

// The VP9 and AV1 clips in testdata were made with
//
//	ffmpeg -f lavfi -i testsrc2=size=320x240:rate=25 -t 3 -g 25 -keyint_min 25 -b:v 150k -pix_fmt yuv420p \
//	  -c:v libvpx-vp9 -deadline good -cpu-used 8 -row-mt 1 video.vp9.ivf
//	  (and -c:v libaom-av1 -cpu-used 8 -row-mt 1 video.av1.ivf)
//
// 75 frames at 25 fps, a keyframe every 25; the VP9 one has superframes
// (hidden alt-ref frames), the AV1 one temporal units that only show an
// earlier frame.

// ivfFrame is one frame of an IVF file with its time in the file's time base.
type ivfFrame struct {
	pts  int64
	data []byte
}

// readIVF parses an IVF file: a 32-byte header (time base at bytes 16-23)
// and frames behind 12-byte headers (size, 64-bit time).
func readIVF(t testing.TB, path string) (fourcc string, rate, scale int64, frames []ivfFrame) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 32 || string(b[:4]) != "DKIF" {
		t.Fatalf("%s is not IVF", path)
	}
	hl := int(binary.LittleEndian.Uint16(b[6:]))
	fourcc = string(b[8:12])
	rate, scale = int64(binary.LittleEndian.Uint32(b[16:])), int64(binary.LittleEndian.Uint32(b[20:]))
	for p := hl; p < len(b); {
		if p+12 > len(b) {
			t.Fatalf("%s: truncated frame header", path)
		}
		n := int(binary.LittleEndian.Uint32(b[p:]))
		pts := int64(binary.LittleEndian.Uint64(b[p+4:]))
		if p+12+n > len(b) {
			t.Fatalf("%s: truncated frame", path)
		}
		frames = append(frames, ivfFrame{pts: pts, data: b[p+12 : p+12+n]})
		p += 12 + n
	}
	return fourcc, rate, scale, frames
}

// ivfTo90k converts an IVF time to the 90 kHz RTP video clock.
func ivfTo90k(pts, rate, scale int64) int64 { return pts * 90000 * scale / rate }

// writeVPX feeds an IVF clip's frames to track 0 of f.
func writeVPX(t testing.TB, f *Fragmenter, codec string, fr ivfFrame, pts int64, at time.Time) error {
	t.Helper()
	if codec == "vp9" {
		return f.WriteVP9(0, at, pts, fr.data)
	}
	return f.WriteAV1(0, at, pts, [][]byte{fr.data})
}

// fileOf writes a fragment (or several with the same init) as one MP4 file.
func fileOf(t testing.TB, frs ...*Fragment) string {
	t.Helper()
	b := append([]byte(nil), frs[0].Init...)
	for _, fr := range frs {
		if !bytes.Equal(fr.Init, frs[0].Init) {
			t.Fatal("fragments with different init segments")
		}
		b = append(b, fr.Data...)
	}
	path := filepath.Join(t.TempDir(), "frag.mp4")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// decodes runs ffmpeg over a file, failing on anything it reports at
// -v error, and returns the video frames ffprobe reads, its codec name and
// whether the first packet is a keyframe.
func decodes(t testing.TB, path string) (frames int, codec string, keyFirst bool) {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("ffmpeg decoding %s: %v\n%s", path, err, out)
	}
	out, err = exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
		"stream=codec_name,nb_read_frames", "-of", "json", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	var res struct {
		Streams []struct {
			Codec  string `json:"codec_name"`
			Frames string `json:"nb_read_frames"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Streams) != 1 {
		t.Fatalf("ffprobe %s: %v %s", path, err, out)
	}
	frames, _ = strconv.Atoi(res.Streams[0].Frames)
	out, err = exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-read_intervals", "%+#1", "-show_entries",
		"packet=flags", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe packets %s: %v\n%s", path, err, out)
	}
	return frames, res.Streams[0].Codec, strings.HasPrefix(strings.TrimSpace(string(out)), "K")
}

func TestFragmenterVP9AndAV1(t *testing.T) {
	for _, tc := range []struct {
		name, file, fourcc, ffName string
		codec                      codecs.Codec
	}{
		{"vp9", "testdata/video.vp9.ivf", "VP90", "vp9", &codecs.VP9{}},
		{"av1", "testdata/video.av1.ivf", "AV01", "av1", &codecs.AV1{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fourcc, rate, scale, frames := readIVF(t, tc.file)
			if fourcc != tc.fourcc || len(frames) != 75 {
				t.Fatalf("%s: %s with %d frames", tc.file, fourcc, len(frames))
			}
			var got []*Fragment
			var units []Unit
			var keyCodecs []codecs.Codec
			f, err := NewFragmenter([]Track{{Codec: tc.codec, ClockRate: 90000}}, Options{
				OnUnit: func(u Unit, c codecs.Codec) {
					units = append(units, u)
					if c != nil {
						keyCodecs = append(keyCodecs, c)
					}
				},
			}, func(fr *Fragment) error { got = append(got, fr); return nil })
			if err != nil {
				t.Fatal(err)
			}
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			// The clip starts one frame in: a decoder cannot start there,
			// so the fragmenter waits for the keyframe at frame 25.
			for i, fr := range frames[1:] {
				pts := ivfTo90k(fr.pts, rate, scale)
				if err := writeVPX(t, f, tc.name, fr, pts, start.Add(time.Duration(pts)*time.Second/90000)); err != nil {
					t.Fatalf("frame %d: %v", i+1, err)
				}
			}
			if err := f.Flush(); err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("%d fragments from 2 GOPs", len(got))
			}
			if len(units) != 50 || !units[0].Random || units[0].PTS != 25*3600 || units[0].DTS != units[0].PTS {
				t.Errorf("%d units, first %+v", len(units), units[0])
			}
			if len(keyCodecs) != 2 {
				t.Errorf("OnUnit got codec parameters %d times, want at the 2 keyframes", len(keyCodecs))
			}
			for i, fr := range got {
				if fr.Duration != time.Second || fr.Discontinuity != (i == 0) {
					t.Errorf("fragment %d: %v, discontinuity %v", i, fr.Duration, fr.Discontinuity)
				}
				if !fr.ProducerTime.Equal(start.Add(time.Duration(i+1) * time.Second)) {
					t.Errorf("fragment %d producer time %v", i, fr.ProducerTime)
				}
				var init fmp4.Init
				if err := init.Unmarshal(bytes.NewReader(fr.Init)); err != nil || len(init.Tracks) != 1 {
					t.Fatalf("fragment %d init: %v", i, err)
				}
				switch c := init.Tracks[0].Codec.(type) {
				case *codecs.VP9:
					if c.Width != 320 || c.Height != 240 || c.Profile != 0 || c.BitDepth != 8 || c.ChromaSubsampling != 1 {
						t.Errorf("VP9 parameters %+v", c)
					}
				case *codecs.AV1:
					if len(c.SequenceHeader) == 0 || c.SequenceHeader[0]>>3&0xf != 1 {
						t.Errorf("AV1 sequence header %x", c.SequenceHeader)
					}
				default:
					t.Errorf("init codec %T", c)
				}
				if fr.Tracks[0].Samples != 25 {
					t.Errorf("fragment %d has %d samples", i, fr.Tracks[0].Samples)
				}
				n, name, key := decodes(t, fileOf(t, fr))
				if n != 25 || name != tc.ffName || !key {
					t.Errorf("fragment %d: ffprobe reads %d %s frames, keyframe first %v", i, n, name, key)
				}
			}
			if n, _, _ := decodes(t, fileOf(t, got...)); n != 50 {
				t.Errorf("the fragments together decode to %d frames, want 50", n)
			}
		})
	}
}

// TestVP9AndAV1RefuseBadInput: malformed frames get an error and change
// nothing; frames whose time goes back make the stream wait for a keyframe.
func TestVP9AndAV1RefuseBadInput(t *testing.T) {
	var got []*Fragment
	f, err := NewFragmenter([]Track{{Codec: &codecs.VP9{}, ClockRate: 90000}, {Codec: &codecs.AV1{}, ClockRate: 90000}}, Options{},
		func(fr *Fragment) error { got = append(got, fr); return nil })
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := f.WriteVP9(0, now, 0, []byte{0x00, 0x01}); err == nil {
		t.Error("a VP9 frame without a frame marker was accepted")
	}
	if err := f.WriteAV1(1, now, 0, [][]byte{{0x12, 0x05, 0x00}}); err == nil {
		t.Error("an AV1 OBU longer than its buffer was accepted")
	}
	if err := f.WriteAV1(1, now, 0, [][]byte{{0x8a, 0x00}}); err == nil {
		t.Error("an AV1 OBU with the forbidden bit was accepted")
	}
	if err := f.WriteVP9(1, now, 0, []byte{0x82}); err == nil {
		t.Error("VP9 to an AV1 track was accepted")
	}
	if _, err := NewFragmenter([]Track{{Codec: &codecs.AV1{SequenceHeader: []byte{0x0a}}, ClockRate: 90000}}, Options{}, nil); err == nil {
		t.Error("a broken AV1 sequence header was accepted")
	}

	_, rate, scale, frames := readIVF(t, "testdata/video.vp9.ivf")
	for i, fr := range frames[:30] {
		pts := ivfTo90k(fr.pts, rate, scale)
		if i == 10 {
			// A frame that repeats the time before it.
			if err := f.WriteVP9(0, now, pts-3600, fr.data); err == nil {
				t.Fatal("a frame whose time does not advance was accepted")
			}
		}
		if err := f.WriteVP9(0, now, pts, fr.data); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	if err := f.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Tracks[0].Samples != 10 || got[1].Tracks[0].Samples != 5 || !got[1].Discontinuity {
		for _, fr := range got {
			t.Logf("fragment: %d samples, discontinuity %v", fr.Tracks[0].Samples, fr.Discontinuity)
		}
		t.Fatalf("%d fragments; want the 10 frames before the repeated time, then the GOP from the next keyframe", len(got))
	}
	for _, fr := range got {
		decodes(t, fileOf(t, fr))
	}
}
