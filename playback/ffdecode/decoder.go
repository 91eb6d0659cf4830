package ffdecode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is returned by Find when no ffmpeg binary is there.
var ErrNotFound = errors.New("ffdecode: ffmpeg not found")

// Find resolves the ffmpeg binary: path itself when it has a slash, else a
// look-up in PATH ("" looks up "ffmpeg").
func Find(path string) (string, error) {
	if path == "" {
		path = "ffmpeg"
	}
	p, err := exec.LookPath(path)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrNotFound, path, err)
	}
	return p, nil
}

// Decoder runs ffmpeg processes, at most MaxProcs at once.
type Decoder struct {
	path string
	sem  chan struct{}
}

// New returns a Decoder running the binary at path (see Find); maxProcs <= 0
// means the number of CPUs.
func New(path string, maxProcs int) *Decoder {
	if maxProcs <= 0 {
		maxProcs = runtime.NumCPU()
	}
	return &Decoder{path: path, sem: make(chan struct{}, maxProcs)}
}

// Request asks for frames of one fragment.
type Request struct {
	// Init and Data are the fragment's init segment and its moof/mdat
	// boxes: together one fragmented MP4 file.
	Init, Data []byte
	// Frames are the indexes, in presentation order and counted from 0, of
	// the frames of the first video track to return; ascending, no repeats.
	Frames []int
	// Width and Height are the size of the pictures returned (the frames
	// are scaled to it), both at least 1.
	Width, Height int
}

// Frames decodes the frames req asks for and calls fn with each, in the
// order asked; the picture is valid only during the call. It returns how
// many frames came out: fewer than asked when ffmpeg produced fewer.
func (d *Decoder) Frames(ctx context.Context, req Request, fn func(i int, img *image.RGBA) error) (int, error) {
	if len(req.Frames) == 0 {
		return 0, nil
	}
	if req.Width < 1 || req.Height < 1 || req.Width > 1<<14 || req.Height > 1<<14 {
		return 0, fmt.Errorf("ffdecode: bad picture size %dx%d", req.Width, req.Height)
	}
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-d.sem }()

	var sel strings.Builder
	sel.WriteString("select=")
	for i, n := range req.Frames {
		if i > 0 {
			sel.WriteByte('+')
		}
		sel.WriteString("eq(n\\," + strconv.Itoa(n) + ")")
	}
	sel.WriteString(",scale=" + strconv.Itoa(req.Width) + ":" + strconv.Itoa(req.Height) + ":flags=bicubic")
	// One decoding thread: a request decodes its fragments in parallel
	// processes, at most MaxProcs. ffmpeg stops once the last frame asked
	// for is out (-frames:v), without decoding the rest of the fragment.
	cmd := exec.CommandContext(ctx, d.path, "-hide_banner", "-nostats", "-loglevel", "error", "-threads", "1",
		"-f", "mp4", "-i", "pipe:0", "-map", "0:v:0", "-an", "-sn", "-dn",
		"-vf", sel.String(), "-fps_mode", "passthrough", "-frames:v", strconv.Itoa(len(req.Frames)),
		"-f", "rawvideo", "-pix_fmt", "rgba", "pipe:1")
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &limited{w: &stderr, n: 4096}
	cmd.Stdin = io.MultiReader(bytes.NewReader(req.Init), bytes.NewReader(req.Data))
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, fmt.Errorf("ffdecode: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("ffdecode: start %s: %w", d.path, err)
	}
	img := image.NewRGBA(image.Rect(0, 0, req.Width, req.Height))
	got := 0
	var fnErr, readErr error
	for got < len(req.Frames) {
		if _, readErr = io.ReadFull(out, img.Pix); readErr != nil {
			break
		}
		if fnErr = fn(got, img); fnErr != nil {
			break
		}
		got++
	}
	if fnErr != nil {
		cmd.Process.Kill()
	}
	// ffmpeg writes only the frames selected: once they are read (or the
	// output ended) it has nothing left to write and exits.
	waitErr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return got, ctx.Err()
	case fnErr != nil:
		return got, fnErr
	case waitErr != nil && got < len(req.Frames):
		return got, fmt.Errorf("ffdecode: ffmpeg: %w: %s", waitErr, strings.TrimSpace(stderr.String()))
	case readErr != nil && !errors.Is(readErr, io.EOF) && !errors.Is(readErr, io.ErrUnexpectedEOF):
		return got, fmt.Errorf("ffdecode: read frames: %w", readErr)
	}
	return got, nil
}

// limited keeps the first n bytes written to it.
type limited struct {
	mu sync.Mutex
	w  *bytes.Buffer
	n  int
}

func (l *limited) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := l.n - l.w.Len(); room > 0 {
		l.w.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
