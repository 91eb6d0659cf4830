package getmedia

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	amp4 "github.com/abema/go-mp4"
)

// ffprobe counts the frames ffmpeg decodes per stream type; any decode
// error ffmpeg reports fails the test.
func ffprobe(t testing.TB, path string) (video, audio int) {
	t.Helper()
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Fatalf("ffprobe is required (make test installs it): %v", err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=codec_type,nb_read_frames",
		"-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var res struct {
		Streams []struct {
			Type   string `json:"codec_type"`
			Frames string `json:"nb_read_frames"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Streams {
		var n int
		json.Unmarshal([]byte(s.Frames), &n)
		switch s.Type {
		case "video":
			video += n
		case "audio":
			audio += n
		}
	}
	// Decoding errors ffmpeg prints while reading every frame.
	if msg, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput(); err != nil || len(msg) > 0 {
		t.Errorf("ffmpeg decoding %s: %v\n%s", path, err, msg)
	}
	return video, audio
}

func boxTypes(t testing.TB, b []byte) []string {
	t.Helper()
	var out []string
	_, err := amp4.ReadBoxStructure(bytes.NewReader(b), func(h *amp4.ReadHandle) (any, error) {
		out = append(out, h.BoxInfo.Type.String())
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestWriteMP4 writes the captured body, whose camera changes resolution
// halfway, as one file: ffmpeg decodes every frame, the second half with
// the parameter sets the writer put in-band.
func TestWriteMP4(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.mp4")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	stats, err := WriteMP4(f, NewReader(bytes.NewReader(captured(t))))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, _ := os.ReadFile(path)
	want := []string{"ftyp", "moov"}
	for range 4 {
		want = append(want, "moof", "mdat")
	}
	if got := boxTypes(t, b); !equal(got, want) {
		t.Errorf("top-level boxes %v, want %v", got, want)
	}
	if stats.Fragments != 4 || stats.Frames != 100+152 || stats.Bytes != int64(len(b)) || stats.Files != 1 {
		t.Errorf("stats %+v", stats)
	}
	if v, a := ffprobe(t, path); v != 100 || a != 152 {
		t.Errorf("ffprobe decodes %d video and %d audio frames, want 100 and 152", v, a)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestMP4NewFile: when the tracks change (here the audio track goes away)
// the file cannot go on; with NewFile the rest goes to a new file.
func TestMP4NewFile(t *testing.T) {
	frags := readAll(t, captured(t))
	for _, f := range frags[2:] {
		f.Tracks = f.Tracks[:1]
		var video []Frame
		for _, fr := range f.Frames {
			if fr.Track == 1 {
				video = append(video, fr)
			}
		}
		f.Frames = video
	}
	m := NewMP4Writer(io.Discard, MP4Options{})
	var err error
	for _, f := range frags {
		if err = m.Write(f); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrTracksChanged) {
		t.Fatalf("tracks changed without NewFile: %v, want ErrTracksChanged", err)
	}

	dir := t.TempDir()
	var files []*os.File
	open := func() (io.Writer, error) {
		f, err := os.Create(filepath.Join(dir, string(rune('a'+len(files)))+".mp4"))
		files = append(files, f)
		return f, err
	}
	w, _ := open()
	m = NewMP4Writer(w, MP4Options{NewFile: open})
	for _, f := range frags {
		if err := m.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		f.Close()
	}
	if len(files) != 2 || m.Stats().Files != 2 {
		t.Fatalf("%d files, stats %+v", len(files), m.Stats())
	}
	if v, a := ffprobe(t, files[0].Name()); v != 50 || a != 76 {
		t.Errorf("first file: %d video and %d audio frames, want 50 and 76", v, a)
	}
	if v, a := ffprobe(t, files[1].Name()); v != 50 || a != 0 {
		t.Errorf("second file: %d video and %d audio frames, want 50 and none", v, a)
	}
}

// TestMP4Opus writes the synthetic Opus body, passing over KVS's error.
func TestMP4Opus(t *testing.T) {
	path := filepath.Join(t.TempDir(), "opus.mp4")
	f, _ := os.Create(path)
	stats, err := WriteMP4(f, NewReader(bytes.NewReader(synthetic(t))))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if stats.Errors != 1 || stats.Fragments != 2 || stats.Frames != 53 {
		t.Errorf("stats %+v", stats)
	}
	if v, a := ffprobe(t, path); v != 0 || a != 53 {
		t.Errorf("ffprobe reads %d video and %d audio frames, want 53 Opus frames", v, a)
	}
}

// withoutParameterSets drops SPS and PPS NAL units from H.264 frames, as
// producers that send them only in CodecPrivate (most KVS producer SDKs)
// store their frames.
func withoutParameterSets(t testing.TB, frags []*Fragment) {
	for _, f := range frags {
		for i, fr := range f.Frames {
			if f.Track(fr.Track).Type != 1 {
				continue
			}
			var out []byte
			for b := fr.Data; len(b) > 4; {
				n := int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
				if typ := b[4] & 0x1f; typ != 7 && typ != 8 {
					out = append(out, b[:4+n]...)
				}
				b = b[4+n:]
			}
			f.Frames[i].Data = out
		}
	}
}

// TestMP4InBandParameterSets: frames without SPS and PPS, the resolution
// changing halfway: the writer sends the new parameter sets in-band at the
// keyframes after the change, and ffmpeg decodes every frame of both
// halves from the one file.
func TestMP4InBandParameterSets(t *testing.T) {
	frags := readAll(t, captured(t))
	withoutParameterSets(t, frags)
	path := filepath.Join(t.TempDir(), "out.mp4")
	f, _ := os.Create(path)
	m := NewMP4Writer(f, MP4Options{})
	for _, frag := range frags {
		if err := m.Write(frag); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if v, _ := ffprobe(t, path); v != 100 {
		t.Errorf("ffmpeg decodes %d video frames, want 100", v)
	}
}
