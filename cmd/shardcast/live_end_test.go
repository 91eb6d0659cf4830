package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// opencvReader reads a URL with OpenCV's VideoCapture (its FFmpeg
// backend) until read() fails, printing "first" after the first frame and
// the frame count at the end.
const opencvReader = `import sys, cv2
cap = cv2.VideoCapture(sys.argv[1], cv2.CAP_FFMPEG)
if not cap.isOpened():
    print("cannot open", sys.argv[1], flush=True)
    sys.exit(2)
n = 0
while True:
    ok, frame = cap.read()
    if not ok:
        break
    n += 1
    if n == 1:
        print("first", flush=True)
print("frames", n, flush=True)
`

// startCamera starts an ffmpeg camera that publishes for up to two
// minutes; stop it with stopCamera.
func startCamera(t *testing.T, srv *testServer, stream string) *exec.Cmd {
	t.Helper()
	cam := ffmpegCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, 120, "tcp", "h264")
	var out bytes.Buffer
	cam.Stdout, cam.Stderr = &out, &out
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Process.Kill(); cam.Wait() })
	return cam
}

// stopCamera stops a camera as its user would (Ctrl-C: ffmpeg ends its
// RTSP session) and waits for it to exit.
func stopCamera(t *testing.T, cam *exec.Cmd) {
	t.Helper()
	cam.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { cam.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cam.Process.Kill()
		t.Fatal("the ffmpeg camera did not stop on SIGINT")
	}
}

// livePlaylistText waits until the plain live playlist lists a segment
// and returns it.
func livePlaylistText(t *testing.T, srv *testServer, stream string, live bool) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(srv.URL() + "/hls/" + stream + "/index.m3u8")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			text := string(b)
			if resp.StatusCode == 200 && strings.Contains(text, "#EXTINF") && strings.Contains(text, "#EXT-X-ENDLIST") != live {
				return text
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s live playlist in 30 s", map[bool]string{true: "live", false: "ended"}[live])
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func mediaSequence(t *testing.T, playlist string) int {
	t.Helper()
	m := regexp.MustCompile(`#EXT-X-MEDIA-SEQUENCE:(\d+)`).FindStringSubmatch(playlist)
	if m == nil {
		t.Fatalf("no media sequence in\n%s", playlist)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestLiveHLSEndsWhenCameraStops: ffmpeg and OpenCV read the plain live HLS
// URL of a camera; when the camera stops, the playlist ends (EXT-X-ENDLIST)
// after a short grace and both readers stop on their own, within 20 s
// (measured: a few seconds). Before, the playlist stayed live forever:
// OpenCV's read() blocked for its 30 s timeout. When the camera returns,
// the playlist is live again and its media sequence continues.
func TestLiveHLSEndsWhenCameraStops(t *testing.T) {
	need(t, "ffmpeg")
	if out, err := exec.Command("/usr/bin/python3", "-c", "import cv2").CombinedOutput(); err != nil {
		t.Fatalf("OpenCV for /usr/bin/python3 is required (make deps installs python3-opencv): %v\n%s", err, out)
	}
	srv := videoServer(t, false, nil)
	const stream = "ending"
	cam := startCamera(t, srv, stream)
	before := livePlaylistText(t, srv, stream, true)
	url := srv.URL() + "/hls/" + stream + "/index.m3u8"

	script := filepath.Join(t.TempDir(), "read.py")
	if err := os.WriteFile(script, []byte(opencvReader), 0o600); err != nil {
		t.Fatal(err)
	}
	type reader struct {
		name  string
		cmd   *exec.Cmd
		out   syncBuffer
		first chan struct{}
		done  chan time.Time
	}
	readers := []*reader{
		{name: "ffmpeg", cmd: exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-progress", "pipe:1", "-i", url, "-f", "null", "-")},
		{name: "OpenCV", cmd: exec.Command("/usr/bin/python3", script, url)},
	}
	for _, r := range readers {
		r.first, r.done = make(chan struct{}), make(chan time.Time, 1)
		stdout, err := r.cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		r.cmd.Stderr = &r.out
		if err := r.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.cmd.Process.Kill() })
		go func() {
			// ffmpeg's progress reports frame=N; the script says "first".
			sc, once := bufio.NewScanner(stdout), sync.Once{}
			for sc.Scan() {
				line := sc.Text()
				if line == "first" || (strings.HasPrefix(line, "frame=") && line != "frame=0") {
					once.Do(func() { close(r.first) })
				}
				if strings.HasPrefix(line, "frames ") {
					r.out.Write([]byte(line + "\n"))
				}
			}
			r.cmd.Wait()
			r.done <- time.Now()
		}()
	}
	for _, r := range readers {
		select {
		case <-r.first:
		case at := <-r.done:
			t.Fatalf("%s ended at %v before reading a frame: %s", r.name, at, r.out.String())
		case <-time.After(60 * time.Second):
			t.Fatalf("%s read no frame in 60 s: %s", r.name, r.out.String())
		}
	}

	stopCamera(t, cam)
	stopped := time.Now()
	for _, r := range readers {
		select {
		case at := <-r.done:
			took := at.Sub(stopped)
			t.Logf("%s stopped %.1f s after the camera (%s)", r.name, took.Seconds(), strings.TrimSpace(r.out.String()))
			if took > 20*time.Second {
				t.Errorf("%s stopped %v after the camera", r.name, took)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("%s still reading 60 s after the camera stopped: %s", r.name, r.out.String())
		}
	}
	ended := livePlaylistText(t, srv, stream, false)
	if strings.Contains(ended, "#EXT-X-PRELOAD-HINT") {
		t.Errorf("an ended playlist announces a part:\n%s", ended)
	}

	// The camera returns: the playlist is live again and goes on numbering.
	startCamera(t, srv, stream)
	again := livePlaylistText(t, srv, stream, true)
	if a, b := mediaSequence(t, again), mediaSequence(t, before); a < b {
		t.Errorf("media sequence went back from %d to %d", b, a)
	}
}

// playEmbed embeds a /play page and reports every message it posts.
const playEmbed = `<!doctype html><html><body>
<iframe src="%s" width="640" height="480" allow="autoplay"></iframe>
<script>
window.addEventListener('message', (e) => fetch('/result', {method: 'POST', body: JSON.stringify(e.data)}));
</script></body></html>`

// TestPlayPageOfflineAndBack: the /play page in headless Chromium plays a
// camera, says the camera is offline once it stops, and plays it again
// when it returns.
func TestPlayPageOfflineAndBack(t *testing.T) {
	need(t, "chromium")
	srv := videoServer(t, false, nil)
	const stream = "door"
	cam := startCamera(t, srv, stream)
	livePlaylistText(t, srv, stream, true)

	type message struct {
		Stream string `json:"stream"`
		State  string `json:"state"`
		Event  string `json:"event"`
	}
	msgs := make(chan message, 64)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, playEmbed, srv.URL()+"/play/"+stream)
		case "/result":
			var m message
			b, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(b, &m); err == nil {
				msgs <- m
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer page.Close()
	logs, _ := startChromium(t, page.URL+"/")

	var seen []string
	await := func(what string, match func(message) bool) {
		t.Helper()
		timeout := time.After(60 * time.Second)
		for {
			select {
			case m := <-msgs:
				seen = append(seen, m.State+m.Event)
				if m.Stream == stream && match(m) {
					return
				}
			case <-timeout:
				t.Fatalf("the /play page did not report %s in 60 s (reported %v); chromium said:\n%s", what, seen, logs.String())
			}
		}
	}
	await("playing", func(m message) bool { return m.Event == "playing" })
	stopCamera(t, cam)
	stopped := time.Now()
	await("offline", func(m message) bool { return m.State == "offline" })
	t.Logf("/play said offline %.1f s after the camera stopped", time.Since(stopped).Seconds())
	startCamera(t, srv, stream)
	await("live again", func(m message) bool { return m.State == "live" })
	await("playing again", func(m message) bool { return m.Event == "playing" })
	t.Logf("/play reported %v", seen)
}

// syncBuffer is a bytes.Buffer that a command and the test write at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
