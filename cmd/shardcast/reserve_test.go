package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/shardcast/shardcast/fragments"
)

// The live RTSP re-serve (ingest/rtsp/reserve.go): readers of
// rtsp://host/<stream> play the current publisher from the live edge.

// ffmpegRead decodes frames video frames of an RTSP URL over transport and
// returns what ffmpeg printed at level error (nothing when all is well).
func ffmpegRead(t *testing.T, url, transport string, frames int) (string, error) {
	t.Helper()
	need(t, "ffmpeg")
	cmd := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-rtsp_transport", transport, "-i", url,
		"-frames:v", fmt.Sprint(frames), "-f", "null", "-")
	out, err := runWithin(cmd, 60*time.Second)
	return strings.TrimSpace(out), err
}

// firstFrame is ffprobe's key_frame and pict_type of the first video frame
// an RTSP reader decodes ("1,I" for a keyframe).
func firstFrame(t *testing.T, url, transport string) string {
	t.Helper()
	need(t, "ffprobe")
	cmd := exec.Command("ffprobe", "-v", "error", "-rtsp_transport", transport, "-i", url, "-select_streams", "v",
		"-read_intervals", "%+#3", "-show_entries", "frame=key_frame,pict_type", "-of", "csv=p=0")
	out, err := runWithin(cmd, 60*time.Second)
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", url, err, out)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	return strings.TrimSpace(line)
}

// runWithin runs cmd and returns its combined output; one still running
// after limit is killed and reported.
func runWithin(cmd *exec.Cmd, limit time.Duration) (string, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		return out.String(), fmt.Errorf("%s still running after %v", cmd.Path, limit)
	}
}

// waitPublishing waits until stream has a publisher session.
func waitPublishing(t *testing.T, srv *testServer, stream string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, s := range srv.ingest.Sessions() {
			if s.Stream == stream {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no publisher on %s", stream)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitGoroutines waits until no more goroutines run than base.
func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before the publisher:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// An ffmpeg camera publishes; ffmpeg over TCP and over UDP, ffprobe and
// OpenCV read the re-serve: every frame decodes, the first is a keyframe,
// also for a reader that joins in the middle of a GOP while another reads.
// When the camera leaves, its readers are disconnected, a new reader gets
// 404 Stream Not Live, and no goroutine is left behind.
func TestRTSPReserve(t *testing.T) {
	srv := videoServer(t, true, nil)
	// The stream exists first: a stream's own goroutines stay with it.
	if _, err := srv.video.CreateStream(fragments.CreateInput{Name: "cam", RetentionHours: 24}); err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()
	url := "rtsp://" + srv.rtsp.Addr() + "/cam"
	if out, err := ffmpegRead(t, "rtsp://"+srv.rtsp.Addr()+"/nosuch", "tcp", 1); err == nil || !strings.Contains(out, "404") {
		t.Fatalf("an unknown stream: %v %q, want a 404", err, out)
	}

	// The camera publishes until the readers are done, then quits as a
	// user would ("q" on its stdin: a TEARDOWN and a clean exit), so that a
	// slow machine cannot end it before the last reader.
	cam := ffmpegCamera(t, url, 120, "tcp", "h264")
	var camOut bytes.Buffer
	cam.Stdout, cam.Stderr = &camOut, &camOut
	quit, err := cam.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	camDone := make(chan error, 1)
	go func() { camDone <- cam.Wait() }()
	t.Cleanup(func() { cam.Process.Kill() })
	waitPublishing(t, srv, "cam")

	for _, transport := range []string{"tcp", "udp"} {
		if out, err := ffmpegRead(t, url, transport, 50); err != nil || out != "" {
			t.Fatalf("ffmpeg over %s: %v\n%s", transport, err, out)
		}
		if f := firstFrame(t, url, transport); f != "1,I" {
			t.Fatalf("the first frame over %s is %q, want a keyframe (1,I)", transport, f)
		}
	}

	// A reader that stays until the camera leaves, and one that joins
	// while it reads, half a GOP later.
	stay := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i", url, "-f", "null", "-")
	stayOut := make(chan string, 1)
	go func() {
		out, err := runWithin(stay, 60*time.Second)
		if err != nil {
			out += err.Error()
		}
		stayOut <- out
	}()
	time.Sleep(1500 * time.Millisecond)
	if f := firstFrame(t, url, "tcp"); f != "1,I" {
		t.Fatalf("a reader joining later starts with %q, want a keyframe (1,I)", f)
	}
	if out, err := ffmpegRead(t, url, "tcp", 25); err != nil || out != "" {
		t.Fatalf("a second reader: %v\n%s", err, out)
	}

	// OpenCV reads it as it reads a camera.
	script := `
import sys, cv2
c = cv2.VideoCapture(sys.argv[1])
n = 0
while n < 30:
    ok, f = c.read()
    if not ok:
        break
    n += 1
print(n, f.shape[1] if n else 0, f.shape[0] if n else 0)
`
	out, err := runWithin(exec.Command("/usr/bin/python3", "-c", script, url), 60*time.Second)
	if err != nil || !strings.HasSuffix(strings.TrimSpace(out), "30 320 240") {
		t.Fatalf("OpenCV: %v\n%s", err, out)
	}

	quit.Write([]byte("q"))
	select {
	case err := <-camDone:
		if err != nil {
			t.Fatalf("camera: %v\n%s", err, camOut.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the camera did not end")
	}
	waitIdle(t, srv)
	select {
	case out := <-stayOut:
		// The server closed its session: ffmpeg ends (EOF is no decode error).
		t.Logf("the reader that stayed: %q", out)
	case <-time.After(30 * time.Second):
		t.Fatal("a reader is still playing after the publisher left")
	}
	if out, err := ffmpegRead(t, url, "tcp", 1); err == nil || !strings.Contains(out, "404") {
		t.Fatalf("a stream without a publisher: %v %q, want a 404", err, out)
	}
	waitGoroutines(t, base)
}

// With credentials configured, a reader needs them: without, a 401; with
// them, by Basic (a raw DESCRIBE) or Digest (ffmpeg), it reads.
func TestRTSPReserveNeedsCredentials(t *testing.T) {
	srv := videoServer(t, false, withCreds)
	addr := srv.rtsp.Addr()
	userinfo := testCreds.AccessKeyID + ":" + testCreds.SecretAccessKey + "@"
	cam := ffmpegCamera(t, "rtsp://"+userinfo+addr+"/cam", 8, "tcp", "h264")
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Process.Kill(); cam.Wait() })
	waitPublishing(t, srv, "cam")

	if out, err := ffmpegRead(t, "rtsp://"+addr+"/cam", "tcp", 10); err == nil || !strings.Contains(out, "401") {
		t.Fatalf("a reader without credentials: %v %q, want a 401", err, out)
	}
	if out, err := ffmpegRead(t, "rtsp://"+testCreds.AccessKeyID+":wrong@"+addr+"/cam", "tcp", 10); err == nil || !strings.Contains(out, "401") {
		t.Fatalf("a reader with a wrong password: %v %q, want a 401", err, out)
	}
	basic := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(testCreds.AccessKeyID+":"+testCreds.SecretAccessKey))
	if status, h := rtspRequest(t, addr, "DESCRIBE", "cam", basic); !strings.Contains(status, " 200 ") || h.Get("Content-Type") != "application/sdp" {
		t.Fatalf("DESCRIBE with Basic credentials: %q %v, want 200 and an SDP", status, h)
	}
	if out, err := ffmpegRead(t, "rtsp://"+userinfo+addr+"/cam", "tcp", 25); err != nil || out != "" {
		t.Fatalf("a reader with credentials (Digest): %v\n%s", err, out)
	}
}
