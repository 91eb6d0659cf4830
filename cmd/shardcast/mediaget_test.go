package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideomedia"
	kmtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideomedia/types"

	"github.com/shardcast/shardcast/playback/getmedia"
)

var updateGetMedia = flag.Bool("update-getmedia", false, "write the GetMedia body of TestMediaGet to playback/getmedia/testdata")

// sizedCamera is ffmpegCamera (H.264 with B-frames and AAC, 25 fps, 1 s
// GOP) at a given picture size.
func sizedCamera(t testing.TB, url, size string, seconds int) *exec.Cmd {
	t.Helper()
	need(t, "ffmpeg")
	return exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error",
		"-re", "-f", "lavfi", "-i", "testsrc2=size="+size+":rate=25",
		"-re", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", fmt.Sprint(seconds), "-map", "0:v", "-map", "1:a",
		"-c:v", "libx264", "-profile:v", "main", "-bf", "2", "-preset", "veryfast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
		"-pix_fmt", "yuv420p", "-b:v", "100k", "-c:a", "aac", "-b:a", "32k", "-ar", "48000", "-ac", "1",
		"-f", "rtsp", "-rtsp_transport", "tcp", url)
}

func mediaGetEnv(name string) string {
	switch name {
	case "AWS_ACCESS_KEY_ID":
		return testCreds.AccessKeyID
	case "AWS_SECRET_ACCESS_KEY":
		return testCreds.SecretAccessKey
	}
	return ""
}

// TestMediaGet publishes a camera with audio and video twice, the second
// time at another resolution (a new init segment mid-stream), reads the
// stream back with GetMedia through the getmedia package, and turns it
// into MP4 files with `shardcast media get` that ffprobe decodes with
// every published frame: the whole stream; the first session up to an end
// time; the second session as a producer-time range in the past; and a
// live reader stopped by --duration. With -update-getmedia the GetMedia body is
// kept as the package's test data.
func TestMediaGet(t *testing.T) {
	t.Parallel() // mostly waiting on a real-time camera: it overlaps the other waiting tests
	srv := videoServer(t, false, nil)
	url := srv.URL()
	const stream, seconds = "mediaget", 2
	runCamera(t, sizedCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, "320x240", seconds))
	waitIdle(t, srv)
	// A live reader (NOW for a while) during the second session: the
	// MP4 it leaves when its time is up is whole.
	dir := t.TempDir()
	live := filepath.Join(dir, "live.mp4")
	liveDone := make(chan string, 1)
	go func() {
		var stderr bytes.Buffer
		rc := run([]string{"media", "get", "--endpoint", url, "--stream", stream, "--start", "NOW", "--duration", "8s", "-o", live},
			mediaGetEnv, io.Discard, &stderr)
		liveDone <- fmt.Sprintf("exit %d: %s", rc, stderr.String())
	}()
	runCamera(t, sizedCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, "160x120", seconds))
	waitIdle(t, srv)
	if res := <-liveDone; !strings.HasPrefix(res, "exit 0") {
		t.Errorf("media get --start NOW --duration 8s: %s", res)
	} else if v, _ := probe(t, live); v < 25 {
		t.Errorf("the live reader's MP4 has %d video frames, want at least a fragment's (%s)", v, res)
	}

	out, err := mediaClient(t, url, stream).GetMedia(ctx, &kinesisvideomedia.GetMediaInput{StreamName: aws.String(stream),
		StartSelector: &kmtypes.StartSelector{StartSelectorType: kmtypes.StartSelectorTypeEarliest}})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(out.Payload)
	out.Payload.Close()
	if err != nil {
		t.Fatal(err)
	}
	if *updateGetMedia {
		if err := os.WriteFile(filepath.Join("..", "..", "playback", "getmedia", "testdata", "av-restart.mkv"), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := getmedia.NewReader(bytes.NewReader(body))
	var frags []*getmedia.Fragment
	video, audio, changes := 0, 0, 0
	for {
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(frags) > 0 {
			prev := frags[len(frags)-1]
			if !bytes.Equal(videoPrivate(prev), videoPrivate(f)) {
				changes++
			}
			if !f.ProducerTimestamp.After(prev.ProducerTimestamp) || f.ContinuationToken == "" || f.MillisBehindNow < 0 {
				t.Errorf("fragment %s: producer time %v after %v, token %q, behind %d", f.FragmentNumber, f.ProducerTimestamp,
					prev.ProducerTimestamp, f.ContinuationToken, f.MillisBehindNow)
			}
		}
		for _, fr := range f.Frames {
			switch f.Track(fr.Track).Type {
			case 1:
				video++
			case 2:
				audio++
			}
		}
		frags = append(frags, f)
	}
	if video != 2*seconds*25 || audio < 2*seconds*30 || changes != 1 {
		t.Fatalf("GetMedia body: %d fragments, %d video and %d audio frames, %d codec changes; want %d video frames, about %d audio, 1 change",
			len(frags), video, audio, changes, 2*seconds*25, 2*seconds*47)
	}

	get := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		args = append([]string{"media", "get", "--endpoint", url, "--stream", stream}, args...)
		if rc := run(args, mediaGetEnv, &stdout, &stderr); rc != 0 {
			t.Fatalf("shardcast %s: exit %d\n%s", strings.Join(args, " "), rc, stderr.String())
		}
		return stderr.String()
	}
	whole := filepath.Join(dir, "whole.mp4")
	summary := get("--start", "EARLIEST", "-o", whole)
	if !strings.Contains(summary, fmt.Sprintf("%d fragments", len(frags))) {
		t.Errorf("summary %q does not count the %d fragments", summary, len(frags))
	}
	if v, a := probe(t, whole); v != video || a != audio {
		t.Errorf("ffprobe decodes %d video and %d audio frames of the MP4, want the %d and %d published", v, a, video, audio)
	}

	// From EARLIEST to the end of the first session: one GetMedia,
	// stopped at the first fragment past --end.
	var second []*getmedia.Fragment
	for i, f := range frags {
		if i > 0 && !bytes.Equal(videoPrivate(frags[i-1]), videoPrivate(f)) {
			second = frags[i:]
		}
	}
	firstHalf := filepath.Join(dir, "first.mp4")
	get("--start", "EARLIEST", "--end", second[0].ProducerTimestamp.Add(-time.Millisecond).Format(time.RFC3339Nano), "-o", firstHalf)
	if v, _ := probe(t, firstHalf); v != seconds*25 {
		t.Errorf("ffprobe decodes %d video frames of the first session, want %d", v, seconds*25)
	}

	// The second session by producer time, a range in the past (read
	// with ListFragments and GetMediaForFragmentList): from its first
	// fragment to just after the last fragment's start.
	ranged := filepath.Join(dir, "range.mp4")
	get("--start", second[0].ProducerTimestamp.Format(time.RFC3339Nano), "--end",
		second[len(second)-1].ProducerTimestamp.Add(time.Millisecond).Format(time.RFC3339Nano), "-o", ranged)
	if v, _ := probe(t, ranged); v != seconds*25 {
		t.Errorf("ffprobe decodes %d video frames of the second session, want %d", v, seconds*25)
	}
}

func videoPrivate(f *getmedia.Fragment) []byte {
	for _, t := range f.Tracks {
		if t.Type == 1 {
			return t.CodecPrivate
		}
	}
	return nil
}

// TestMediaGetInterrupt runs the shardcast binary's `media get --start NOW`
// as a user would and stops it with Ctrl-C (SIGINT) while the camera
// publishes: it exits 0 and leaves a whole MP4, the last fragment it had
// read included.
func TestMediaGetInterrupt(t *testing.T) {
	t.Parallel() // mostly waiting on a real-time camera: it overlaps the other waiting tests
	bin, err := shardcastBinary()
	if err != nil {
		t.Fatalf("build shardcast: %v", err)
	}
	srv := videoServer(t, false, nil)
	const stream = "interrupted"
	cam := sizedCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, "320x240", 30)
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Process.Kill(); cam.Wait() })
	// The camera creates the stream.
	deadline := time.Now().Add(30 * time.Second)
	for len(srv.ingest.Sessions()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the camera did not start publishing")
		}
		time.Sleep(50 * time.Millisecond)
	}
	out := filepath.Join(t.TempDir(), "live.mp4")
	var stderr bytes.Buffer
	get := exec.Command(bin, "media", "get", "--endpoint", srv.URL(), "--stream", stream, "--start", "NOW", "-o", out)
	get.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+testCreds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+testCreds.SecretAccessKey)
	get.Stderr = &stderr
	if err := get.Start(); err != nil {
		t.Fatal(err)
	}
	// Two fragments written (the writer holds one back until the next
	// comes), then Ctrl-C.
	deadline = time.Now().Add(60 * time.Second)
	for {
		b, _ := os.ReadFile(out)
		if bytes.Count(b, []byte("moof")) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			get.Process.Kill()
			get.Wait()
			t.Fatalf("no two fragments in the file after a minute\n%s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	get.Process.Signal(os.Interrupt)
	if err := get.Wait(); err != nil {
		t.Fatalf("media get after Ctrl-C: %v\n%s", err, stderr.String())
	}
	var frags, frames int
	if _, err := fmt.Sscanf(strings.TrimPrefix(stderr.String(), "shardcast media get: "), "%d fragments, %d frames", &frags, &frames); err != nil || frags < 3 {
		t.Fatalf("summary %q: want at least 3 fragments (%v)", stderr.String(), err)
	}
	b, _ := os.ReadFile(out)
	if n := bytes.Count(b, []byte("moof")); n != frags {
		t.Errorf("the file has %d fragments, the summary says %d", n, frags)
	}
	if v, _ := probe(t, out); v < 25*frags-25 {
		t.Errorf("ffprobe decodes %d video frames of %d fragments", v, frags)
	}
}
