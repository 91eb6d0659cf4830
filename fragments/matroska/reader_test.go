package matroska

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// A small EBML writer for the tests, separate from the reader.

func el(id uint32, body ...[]byte) []byte {
	var out []byte
	switch {
	case id > 0xFFFFFF:
		out = binary.BigEndian.AppendUint32(out, id)
	case id > 0xFFFF:
		out = append(out, byte(id>>16), byte(id>>8), byte(id))
	case id > 0xFF:
		out = append(out, byte(id>>8), byte(id))
	default:
		out = append(out, byte(id))
	}
	b := bytes.Join(body, nil)
	out = binary.BigEndian.AppendUint64(out, uint64(len(b))|1<<56) // an 8-byte size
	return append(out, b...)
}

// unknown writes a master element of unknown size (its children follow).
func unknown(id uint32) []byte {
	return append(binary.BigEndian.AppendUint32(nil, id), 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)
}

func u(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func header(docType string) []byte {
	return el(idEBML, el(0x4286, u(1)), el(idDocType, []byte(docType)))
}

func tracks(numbers ...uint64) []byte {
	var entries [][]byte
	for _, n := range numbers {
		codec := "V_MPEG4/ISO/AVC"
		typ := uint64(1)
		if n > 1 {
			codec, typ = "A_AAC", 2
		}
		entries = append(entries, el(idTrackEntry, el(idTrackNumber, u(n)), el(idTrackUID, u(n*10)), el(idTrackType, u(typ)),
			el(idCodecID, []byte(codec)), el(idCodecPriv, []byte{1, 2, 3})))
	}
	return el(idTracks, entries...)
}

func simpleBlock(track uint64, rel int16, key bool, data []byte) []byte {
	flags := byte(0)
	if key {
		flags = 0x80
	}
	b := []byte{0x80 | byte(track), byte(uint16(rel) >> 8), byte(rel), flags}
	return el(idSimpleBlock, append(b, data...))
}

func tags(kv ...string) []byte {
	var simple [][]byte
	for i := 0; i+1 < len(kv); i += 2 {
		simple = append(simple, el(idSimpleTag, el(idTagName, []byte(kv[i])), el(idTagString, []byte(kv[i+1]))))
	}
	return el(idTags, el(idTag, simple...))
}

// putMediaBody is a KVS producer's body: unknown-size Segment and Clusters.
func putMediaBody(clusters int) []byte {
	var b bytes.Buffer
	b.Write(header("matroska"))
	b.Write(unknown(idSegment))
	b.Write(el(idInfo, el(idTimecodeSc, u(1000000)), el(idMuxingApp, []byte("test"))))
	b.Write(tracks(1, 2))
	for i := range clusters {
		b.Write(unknown(idCluster))
		b.Write(el(idTimecode, u(uint64(1000+i*2000))))
		b.Write(simpleBlock(1, 0, true, []byte("key")))
		b.Write(simpleBlock(2, 10, true, []byte("aac")))
		b.Write(simpleBlock(1, 40, false, []byte("delta")))
		if i == 0 {
			b.Write(tags("EVENT", "door"))
		}
	}
	return b.Bytes()
}

func readAll(t *testing.T, r *Reader) ([]Event, error) {
	t.Helper()
	var evs []Event
	for {
		ev, err := r.Next()
		if err != nil {
			return evs, err
		}
		evs = append(evs, ev)
	}
}

func TestPutMediaShapedBody(t *testing.T) {
	var starts []uint64
	r := NewReader(bytes.NewReader(putMediaBody(3)), Options{ClusterStart: func(c *Cluster) { starts = append(starts, c.Timecode) }})
	evs, err := readAll(t, r)
	if err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	var kinds []Kind
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	want := []Kind{KindHeader, KindCluster, KindTags, KindCluster, KindCluster}
	if !slicesEqual(kinds, want) {
		t.Fatalf("events %v, want %v", kinds, want)
	}
	h := evs[0].Header
	if h.TimecodeScale != 1000000 || len(h.Tracks) != 2 || h.Track(2).CodecID != "A_AAC" || h.MuxingApp != "test" {
		t.Fatalf("header %+v", h)
	}
	c := evs[3].Cluster
	if c.Timecode != 3000 || len(c.Frames) != 3 {
		t.Fatalf("cluster %+v", c)
	}
	f := c.Frames[2]
	if f.Track != 1 || f.Timecode != 3040 || f.Keyframe || string(f.Data) != "delta" {
		t.Fatalf("frame %+v", f)
	}
	if evs[2].Tags[0] != (Tag{"EVENT", "door"}) {
		t.Fatalf("tags %+v", evs[2].Tags)
	}
	if !slicesEqual(starts, []uint64{1000, 3000, 5000}) {
		t.Fatalf("cluster starts %v", starts)
	}
	if r.Offset() != int64(len(putMediaBody(3))) {
		t.Fatalf("offset %d", r.Offset())
	}
}

// GetMedia's shape: one known-size document per fragment, back to back,
// and an unknown-size one after them.
func TestDocumentsInARow(t *testing.T) {
	var body []byte
	for i := range 2 {
		body = append(body, header("webm")...)
		body = append(body, el(idSegment, el(idInfo), tracks(1), tags("AWS_KINESISVIDEO_FRAGMENT_NUMBER", "9"),
			el(idCluster, el(idTimecode, u(uint64(i))), simpleBlock(1, 0, true, []byte{byte(i)})), tags("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW", "5"))...)
	}
	body = append(body, putMediaBody(1)...)
	evs, err := readAll(t, NewReader(bytes.NewReader(body), Options{}))
	if err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	headers, clusters := 0, 0
	for _, e := range evs {
		switch e.Kind {
		case KindHeader:
			headers++
		case KindCluster:
			clusters++
		}
	}
	if headers != 3 || clusters != 3 || len(evs) != 11 {
		t.Fatalf("%d events, %d headers, %d clusters", len(evs), headers, clusters)
	}
}

func TestLacing(t *testing.T) {
	frames := [][]byte{[]byte("aaaa"), bytes.Repeat([]byte("b"), 300), []byte("cc")}
	xiph := []byte{2, 4, 255, 45}
	// EBML lacing: first size 4 (0x84), then a signed difference +296
	// as a 2-byte vint: 296 + (2^13 - 1) = 8487 = 0x2127 | 0x4000.
	ebmlLace := []byte{2, 0x84, 0x61, 0x27}
	fixed := [][]byte{[]byte("xx"), []byte("yy"), []byte("zz")}
	for _, tc := range []struct {
		name   string
		lacing byte
		head   []byte
		frames [][]byte
	}{{"xiph", 1, xiph, frames}, {"ebml", 3, ebmlLace, frames}, {"fixed", 2, []byte{2}, fixed}} {
		payload := append([]byte{0x81, 0, 0, 0x80 | tc.lacing<<1}, tc.head...)
		payload = append(payload, bytes.Join(tc.frames, nil)...)
		body := append(header("matroska"), el(idSegment, tracks(1), el(idCluster, el(idTimecode, u(7)), el(idSimpleBlock, payload)))...)
		evs, err := readAll(t, NewReader(bytes.NewReader(body), Options{}))
		if err != io.EOF || len(evs) != 2 {
			t.Fatalf("%s: %d events, %v", tc.name, len(evs), err)
		}
		got := evs[1].Cluster.Frames
		if len(got) != 3 {
			t.Fatalf("%s: %d frames", tc.name, len(got))
		}
		for i := range got {
			if !bytes.Equal(got[i].Data, tc.frames[i]) || !got[i].Keyframe {
				t.Fatalf("%s: frame %d = %q", tc.name, i, got[i].Data)
			}
		}
	}
}

func TestDamage(t *testing.T) {
	good := putMediaBody(2)
	for _, tc := range []struct {
		name string
		body []byte
		want error
	}{
		{"not matroska", []byte("GET / HTTP/1.1\r\n\r\n"), ErrInvalid},
		{"wrong doctype", append(header("avi"), unknown(idSegment)...), ErrInvalid},
		{"truncated mid-block", good[:len(good)-3], io.ErrUnexpectedEOF},
		{"undeclared track", append(append(header("matroska"), unknown(idSegment)...), append(tracks(1), append(unknown(idCluster), append(el(idTimecode, u(1)), simpleBlock(5, 0, true, []byte("x"))...)...)...)...), ErrInvalid},
		{"second segment", append(append(header("matroska"), unknown(idSegment)...), append(tracks(1), unknown(idSegment)...)...), ErrInvalid},
		{"cluster before tracks", append(append(header("matroska"), unknown(idSegment)...), el(idCluster, el(idTimecode, u(1)))...), ErrInvalid},
		{"block before timecode", append(append(header("matroska"), unknown(idSegment)...), append(tracks(1), el(idCluster, simpleBlock(1, 0, true, nil))...)...), ErrInvalid},
	} {
		_, err := readAll(t, NewReader(bytes.NewReader(tc.body), Options{}))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// A cluster over the limit.
	_, err := readAll(t, NewReader(bytes.NewReader(good), Options{MaxClusterBytes: 16}))
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("limit: %v", err)
	}
	// Events before the damage are delivered.
	body := append(putMediaBody(2), 0x00, 0x00)
	evs, err := readAll(t, NewReader(bytes.NewReader(body), Options{}))
	if !errors.Is(err, ErrInvalid) || len(evs) < 3 {
		t.Errorf("trailing garbage: %d events, %v", len(evs), err)
	}
}

// TestFFmpegMatroska reads what ffmpeg's Matroska muxer writes, streamed
// as a non-seekable output the way `ffmpeg -f matroska -method POST` sends
// it.
func TestFFmpegMatroska(t *testing.T) {
	cmd := exec.Command("ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=3",
		"-f", "lavfi", "-i", "sine=duration=3", "-c:v", "libx264", "-g", "25", "-c:a", "aac", "-f", "matroska", "-live", "1", "pipe:1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, stderr.Bytes())
	}
	evs, err := readAll(t, NewReader(&stdout, Options{}))
	if err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	video, audio, keys := 0, 0, 0
	var h *Header
	for _, e := range evs {
		switch e.Kind {
		case KindHeader:
			h = e.Header
		case KindCluster:
			for _, f := range e.Cluster.Frames {
				switch h.Track(f.Track).Type {
				case 1:
					video++
					if f.Keyframe {
						keys++
					}
				case 2:
					audio++
				}
			}
		}
	}
	if h == nil || len(h.Tracks) != 2 || !strings.HasPrefix(h.Tracks[0].CodecID, "V_MPEG4/ISO/AVC") || len(h.Tracks[0].CodecPrivate) == 0 {
		t.Fatalf("header %+v", h)
	}
	if video != 75 || keys != 3 || audio == 0 {
		t.Fatalf("%d video frames (%d key), %d audio frames", video, keys, audio)
	}
}

func FuzzReader(f *testing.F) {
	f.Add(putMediaBody(2))
	f.Add(putMediaBody(1)[:40])
	f.Add(append(header("webm"), el(idSegment, tracks(1), el(idCluster, el(idTimecode, u(3)), el(idSimpleBlock, []byte{0x81, 0, 0, 0x86, 2, 0x84, 0x61, 0x27, 1, 2, 3})))...))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReader(bytes.NewReader(b), Options{MaxClusterBytes: 1 << 20})
		for range 10000 {
			if _, err := r.Next(); err != nil {
				return
			}
		}
		t.Fatal("no end after 10000 events")
	})
}

func slicesEqual[T comparable](a, b []T) bool {
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
