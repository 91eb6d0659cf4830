package ffdecode

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"os/exec"
	"testing"
)

// testFMP4 has ffmpeg encode 2 s of a moving test pattern (25 fps, H.264
// with B-frames, a 1 s GOP) as fragmented MP4 and splits it into the init
// segment and the first fragment (one GOP).
func testFMP4(t *testing.T) (init, frag []byte) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatalf("ffmpeg is required (make test installs it): %v", err)
	}
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-t", "2", "-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
		"-pix_fmt", "yuv420p", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-f", "mp4", "pipe:1").Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	var moofs []int
	for off := 0; off+8 <= len(out); {
		size := int(binary.BigEndian.Uint32(out[off:]))
		if string(out[off+4:off+8]) == "moof" {
			moofs = append(moofs, off)
		}
		if size < 8 {
			t.Fatalf("bad box at %d", off)
		}
		off += size
	}
	if len(moofs) < 2 {
		t.Fatalf("%d fragments", len(moofs))
	}
	return out[:moofs[0]], out[moofs[0]:moofs[1]]
}

func TestFrames(t *testing.T) {
	init, frag := testFMP4(t)
	path, err := Find("")
	if err != nil {
		t.Fatal(err)
	}
	d := New(path, 2)
	var pics [][]byte
	n, err := d.Frames(context.Background(), Request{Init: init, Data: frag, Frames: []int{0, 12, 24}, Width: 160, Height: 120},
		func(i int, img *image.RGBA) error {
			if img.Bounds() != image.Rect(0, 0, 160, 120) {
				t.Errorf("frame %d: bounds %v", i, img.Bounds())
			}
			pics = append(pics, bytes.Clone(img.Pix))
			return nil
		})
	if err != nil || n != 3 || len(pics) != 3 {
		t.Fatalf("Frames: %d, %v", n, err)
	}
	if bytes.Equal(pics[0], pics[1]) || bytes.Equal(pics[1], pics[2]) {
		t.Error("different frames decoded the same")
	}
	// The same frame asked alone decodes the same (the index counts
	// frames in presentation order, whatever else is selected).
	var again []byte
	if _, err := d.Frames(context.Background(), Request{Init: init, Data: frag, Frames: []int{12}, Width: 160, Height: 120},
		func(_ int, img *image.RGBA) error { again = bytes.Clone(img.Pix); return nil }); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, pics[1]) {
		t.Error("frame 12 alone differs from frame 12 among others")
	}
	// Past the last frame: fewer come out, no error.
	if n, err := d.Frames(context.Background(), Request{Init: init, Data: frag, Frames: []int{24, 40}, Width: 32, Height: 24},
		func(int, *image.RGBA) error { return nil }); n != 1 || err != nil {
		t.Errorf("past the end: %d, %v", n, err)
	}
}

func TestFramesErrors(t *testing.T) {
	init, frag := testFMP4(t)
	path, err := Find("")
	if err != nil {
		t.Fatal(err)
	}
	d := New(path, 1)
	// Garbage instead of media: an error, no frames.
	if n, err := d.Frames(context.Background(), Request{Init: []byte("not an mp4 at all"), Data: frag, Frames: []int{0}, Width: 8, Height: 8},
		func(int, *image.RGBA) error { return nil }); n != 0 || err == nil {
		t.Errorf("garbage: %d, %v", n, err)
	}
	// The callback's error ends the run and is returned.
	stop := errors.New("stop")
	if _, err := d.Frames(context.Background(), Request{Init: init, Data: frag, Frames: []int{0, 1}, Width: 8, Height: 8},
		func(int, *image.RGBA) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("callback error: %v", err)
	}
	// A context already ended: nothing runs.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d.sem <- struct{}{} // the only slot taken: the call must give up on ctx
	_, err = d.Frames(ctx, Request{Init: init, Data: frag, Frames: []int{0}, Width: 8, Height: 8}, func(int, *image.RGBA) error { return nil })
	<-d.sem
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	if _, err := Find("/nonexistent/ffmpeg"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Find: %v", err)
	}
}
