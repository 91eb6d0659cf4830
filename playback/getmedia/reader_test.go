package getmedia

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"
)

// testdata/av-restart.mkv is a GetMedia body captured from shardcast
// (go test ./cmd/shardcast -run 'TestMediaGet$' -update-getmedia): an
// ffmpeg camera with H.264 (B-frames) and AAC published twice, at 320x240
// and then at 160x120, so the codec private data changes mid-stream.
func captured(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/av-restart.mkv")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readAll(t testing.TB, body []byte) []*Fragment {
	t.Helper()
	r := NewReader(bytes.NewReader(body))
	var out []*Fragment
	for {
		f, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("fragment %d: %v", len(out), err)
		}
		out = append(out, f)
	}
}

func count(f *Fragment) (video, audio int) {
	for _, fr := range f.Frames {
		switch f.Track(fr.Track).Type {
		case 1:
			video++
		case 2:
			audio++
		}
	}
	return video, audio
}

func TestReaderCaptured(t *testing.T) {
	frags := readAll(t, captured(t))
	want := []struct {
		video, audio int
		width        uint64
	}{{25, 29, 320}, {25, 47, 320}, {25, 29, 160}, {25, 47, 160}}
	if len(frags) != len(want) {
		t.Fatalf("%d fragments, want %d", len(frags), len(want))
	}
	for i, f := range frags {
		v, a := count(f)
		vt, at := f.Track(1), f.Track(2)
		if v != want[i].video || a != want[i].audio || vt == nil || at == nil {
			t.Fatalf("fragment %d: %d video, %d audio frames, tracks %+v", i, v, a, f.Tracks)
		}
		if vt.CodecID != "V_MPEG4/ISO/AVC" || vt.Width != want[i].width || len(vt.CodecPrivate) == 0 ||
			at.CodecID != "A_AAC" || at.SampleRate != 48000 || at.Channels != 1 {
			t.Errorf("fragment %d: tracks %+v", i, f.Tracks)
		}
		if f.FragmentNumber == "" || f.ContinuationToken != f.FragmentNumber || f.MillisBehindNow < 0 || len(f.Tags) != 0 || f.Err != nil {
			t.Errorf("fragment %d: number %q, token %q, behind %d, tags %v, err %v", i, f.FragmentNumber, f.ContinuationToken, f.MillisBehindNow, f.Tags, f.Err)
		}
		if f.ServerTimestamp.Before(f.ProducerTimestamp) || f.ProducerTimestamp.Year() < 2020 {
			t.Errorf("fragment %d: server time %v, producer time %v", i, f.ServerTimestamp, f.ProducerTimestamp)
		}
		// Frame times are producer times: the fragment's first frame is a
		// keyframe at (or, reordered, just after) its producer timestamp.
		first := time.Unix(0, int64(f.Frames[0].Time))
		if d := first.Sub(f.ProducerTimestamp); !f.Frames[0].Keyframe || d < 0 || d > 200*time.Millisecond {
			t.Errorf("fragment %d: first frame at %v (keyframe %v), producer timestamp %v", i, first, f.Frames[0].Keyframe, f.ProducerTimestamp)
		}
		if i > 0 && !f.ProducerTimestamp.After(frags[i-1].ProducerTimestamp) {
			t.Errorf("fragment %d: producer timestamps do not grow", i)
		}
	}
	if bytes.Equal(frags[1].Track(1).CodecPrivate, frags[2].Track(1).CodecPrivate) {
		t.Error("the second session has the first one's codec private data")
	}
}

// Test chunks written with ebml-go, the way KVS lays them out.
type testChunk struct {
	Header  webm.EBMLHeader `ebml:"EBML"`
	Segment testSegment     `ebml:"Segment,size=unknown"`
}

type testSegment struct {
	Info    webm.Info    `ebml:"Info"`
	Tracks  *webm.Tracks `ebml:"Tracks,omitempty"`
	Before  testTags     `ebml:"Tags"`
	Cluster *testCluster `ebml:"Cluster,omitempty"`
	After   *testTags    `ebml:"Tags,omitempty"`
}

type testTags struct {
	Tag []testTag `ebml:"Tag"`
}

type testTag struct {
	SimpleTag []testSimpleTag `ebml:"SimpleTag"`
}

type testSimpleTag struct {
	TagName   string `ebml:"TagName"`
	TagString string `ebml:"TagString"`
}

type testCluster struct {
	Timecode    uint64       `ebml:"Timecode"`
	SimpleBlock []ebml.Block `ebml:"SimpleBlock"`
}

func tags(kv ...string) testTags {
	var t testTag
	for i := 0; i+1 < len(kv); i += 2 {
		t.SimpleTag = append(t.SimpleTag, testSimpleTag{kv[i], kv[i+1]})
	}
	return testTags{Tag: []testTag{t}}
}

// opusTrack is one Opus track: a chunk needs no video to be read.
var opusTrack = &webm.Tracks{TrackEntry: []webm.TrackEntry{{TrackNumber: 1, TrackUID: 1, TrackType: 2, CodecID: "A_OPUS",
	CodecPrivate: []byte("OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00"), Audio: &webm.Audio{SamplingFrequency: 48000, Channels: 2}}}}

func chunk(t testing.TB, s testSegment) []byte {
	t.Helper()
	c := testChunk{Header: webm.EBMLHeader{EBMLVersion: 1, EBMLReadVersion: 1, EBMLMaxIDLength: 4, EBMLMaxSizeLength: 8,
		DocType: "matroska", DocTypeVersion: 4, DocTypeReadVersion: 2}, Segment: s}
	if c.Segment.Info.TimecodeScale == 0 {
		c.Segment.Info.TimecodeScale = 1000000
	}
	var buf bytes.Buffer
	if err := ebml.Marshal(&c, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func opusFrames(n int) []ebml.Block {
	var out []ebml.Block
	for i := range n {
		out = append(out, ebml.Block{TrackNumber: 1, Timecode: int16(20 * i), Keyframe: true, Data: [][]byte{{0xfc, 0xff, 0xfe}}})
	}
	return out
}

// synthetic is a body with what shardcast's capture lacks: the
// GetMediaForFragmentList tag spellings, a producer's own tags, a
// TimecodeScale other than 1 ms, and an error chunk in place of a fragment.
func synthetic(t testing.TB) []byte {
	var body []byte
	body = append(body, chunk(t, testSegment{Tracks: opusTrack,
		Before: tags("AWS_KINESISVIDEO_FRAGMENT_NUMBER", "91343852333181432392682062594345524683454123450",
			"AWS_KINESISVIDEO_SERVER_SIDE_TIMESTAMP", "1733130001.25", "AWS_KINESISVIDEO_PRODUCER_SIDE_TIMESTAMP", "1733130000.123",
			"site", "hq", "AWS_KINESISVIDEO_SOMETHING_NEW", "x"),
		Cluster: &testCluster{Timecode: 1733130000123, SimpleBlock: opusFrames(50)},
		After:   &testTags{Tag: []testTag{{SimpleTag: []testSimpleTag{{"AWS_KINESISVIDEO_MILLIS_BEHIND_NOW", "1500"}, {"AWS_KINESISVIDEO_CONTINUATION_TOKEN", "token-1"}}}}},
	})...)
	body = append(body, chunk(t, testSegment{
		Before: tags("AWS_KINESISVIDEO_FRAGMENT_NUMBER", "91343852333181432392682062594345524683454123451",
			"AWS_KINESISVIDEO_ERROR_CODE", "FRAGMENT_NOT_FOUND", "AWS_KINESISVIDEO_ERROR_ID", "4000",
			"AWS_KINESISVIDEO_CONTINUATION_TOKEN", "token-2"),
	})...)
	body = append(body, chunk(t, testSegment{Tracks: opusTrack, Info: webm.Info{TimecodeScale: 100000},
		Before: tags("AWS_KINESISVIDEO_FRAGMENT_NUMBER", "91343852333181432392682062594345524683454123452",
			"AWS_KINESISVIDEO_SERVER_TIMESTAMP", "1733130003", "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP", "1733130002.123"),
		Cluster: &testCluster{Timecode: 17331300021230, SimpleBlock: opusFrames(3)},
	})...)
	return body
}

func TestReaderSynthetic(t *testing.T) {
	r := NewReader(bytes.NewReader(synthetic(t)))
	f, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if f.FragmentNumber != "91343852333181432392682062594345524683454123450" || f.ContinuationToken != "token-1" || f.MillisBehindNow != 1500 ||
		!f.ServerTimestamp.Equal(time.Unix(1733130001, 250e6)) || !f.ProducerTimestamp.Equal(time.Unix(1733130000, 123e6)) {
		t.Errorf("first fragment: %+v", f)
	}
	if len(f.Tags) != 1 || f.Tags[0] != (Tag{"site", "hq"}) {
		t.Errorf("producer tags %v, want [site=hq] (AWS_KINESISVIDEO_ names are KVS's)", f.Tags)
	}
	if len(f.Frames) != 50 || f.Frames[1].Time != time.Duration(1733130000143)*time.Millisecond || f.Tracks[0].CodecID != "A_OPUS" {
		t.Errorf("first fragment: %d frames, second at %v, tracks %+v", len(f.Frames), f.Frames[1].Time, f.Tracks)
	}

	f, err = r.Next()
	var kvsErr *Error
	if !errors.As(err, &kvsErr) || kvsErr.ID != 4000 || kvsErr.Code != "FRAGMENT_NOT_FOUND" ||
		kvsErr.FragmentNumber != "91343852333181432392682062594345524683454123451" || f == nil || f.Err != kvsErr ||
		f.ContinuationToken != "token-2" || len(f.Frames) != 0 {
		t.Fatalf("error chunk: %+v, %v", f, err)
	}

	// Reading goes on after KVS's error; this chunk has no tags after its
	// cluster, so it ends with the body.
	f, err = r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Frames) != 3 || f.Frames[0].Time != time.Duration(1733130002123)*time.Millisecond || f.MillisBehindNow != -1 ||
		!f.ServerTimestamp.Equal(time.Unix(1733130003, 0)) {
		t.Errorf("third fragment: %d frames, first at %v, %+v", len(f.Frames), f.Frames[0].Time, f)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after the last fragment: %v, want io.EOF", err)
	}
}

func TestReaderDamage(t *testing.T) {
	body := captured(t)
	r := NewReader(bytes.NewReader(body[:len(body)*2/3]))
	n := 0
	var err error
	for ; err == nil; n++ {
		_, err = r.Next()
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) || n < 2 {
		t.Errorf("a body cut short: %v after %d fragments, want io.ErrUnexpectedEOF after 2", err, n-1)
	}
	if _, again := r.Next(); again != err {
		t.Errorf("Next after the error: %v, want the same error", again)
	}
	_, err = NewReader(bytes.NewReader([]byte("HTTP/1.1 500 Internal Server Error\r\n\r\n"))).Next()
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("a body that is not Matroska: %v, want ErrInvalid", err)
	}
	bad := chunk(t, testSegment{Tracks: opusTrack, Before: tags("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP", "yesterday"),
		Cluster: &testCluster{Timecode: 1, SimpleBlock: opusFrames(1)}})
	if _, err := NewReader(bytes.NewReader(bad)).Next(); !errors.Is(err, ErrInvalid) {
		t.Errorf("a timestamp tag that is not a number: %v, want ErrInvalid", err)
	}
}

func TestParseEpoch(t *testing.T) {
	for in, want := range map[string]time.Time{
		"1733130000":            time.Unix(1733130000, 0),
		"1733130000.5":          time.Unix(1733130000, 500e6),
		"1733130000.123":        time.Unix(1733130000, 123e6),
		"0.000000001":           time.Unix(0, 1),
		" 1733130000.250000000": time.Unix(1733130000, 250e6),
	} {
		if got, ok := parseEpoch(in); !ok || !got.Equal(want) {
			t.Errorf("parseEpoch(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", ".5", "-1", "1e9", "12.3456789012", "1.x", "99999999999999999999"} {
		if got, ok := parseEpoch(in); ok {
			t.Errorf("parseEpoch(%q) = %v, want an error", in, got)
		}
	}
}

// FuzzReader feeds the reader and the MP4 writer bytes near a GetMedia body:
// neither may panic or loop, whatever comes.
func FuzzReader(f *testing.F) {
	body := captured(f)
	f.Add(synthetic(f))
	f.Add(body[:4096])
	f.Add(chunk(f, testSegment{Tracks: opusTrack, Before: tags("AWS_KINESISVIDEO_ERROR_ID", "x")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReader(bytes.NewReader(b))
		m := NewMP4Writer(io.Discard, MP4Options{NewFile: func() (io.Writer, error) { return io.Discard, nil }})
		for range 1000 {
			frag, err := r.Next()
			var kvsErr *Error
			if errors.As(err, &kvsErr) {
				continue
			}
			if err != nil {
				break
			}
			if m.Write(frag) != nil {
				break
			}
		}
		m.Close()
	})
}
