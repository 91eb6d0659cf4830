package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shardcast/shardcast/fragments"
)

// TestThreeSourcesThreeWaysOut: an RTSP camera, a WHIP publisher and an
// RTSP pull source publish into three streams at once, and each stream
// plays over HLS (the plain live playlist), WHEP and the RTSP re-serve:
// ffmpeg decodes HLS and RTSP with nothing to say at -v error, and a WHEP
// viewer's frames start at a keyframe and decode.
func TestThreeSourcesThreeWaysOut(t *testing.T) {
	need(t, "ffmpeg")
	srv := videoServer(t, false, nil)
	rtspAddr := srv.rtsp.Addr()

	// 3. A camera the server pulls from (a relay standing in for it),
	// first: its port is chosen before anything else opens sockets.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	camAddr := ln.Addr().String()
	ln.Close()
	startRelay(t, camAddr)
	feed := noBFramesCamera(t, "rtsp://"+camAddr+"/feed", 60)
	if err := feed.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { feed.Process.Kill(); feed.Wait() })
	req, _ := http.NewRequest("PUT", srv.URL()+"/admin/v1/sources/three-pull", strings.NewReader(fmt.Sprintf(`{"url":"rtsp://%s/feed","transport":"tcp"}`, camAddr)))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT source: %d %s", resp.StatusCode, b)
	}

	// 1. A camera pushing RTSP.
	cam := noBFramesCamera(t, "rtsp://"+rtspAddr+"/three-rtsp", 60)
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Process.Kill(); cam.Wait() })

	// 2. A WHIP publisher (pion), sending until the test ends.
	pub := newWHIPClient(t, srv.URL(), whipOpts{})
	pub.publish("three-whip")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			pub.send(2 * time.Second)
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	streams := []string{"three-rtsp", "three-whip", "three-pull"}
	// Each stream has stored fragments (so its live playlist has segments).
	deadline := time.Now().Add(60 * time.Second)
	for _, s := range streams {
		for {
			st, err := srv.video.Lookup(fragments.StreamRef{Name: s})
			if err == nil {
				if first, next := st.Bounds(); next-first >= 2 {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no fragments within 60 s", s)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	for _, s := range streams {
		t.Run(s, func(t *testing.T) {
			// HLS: the plain live URL, as a player reads it.
			decodes(t, "HLS", "-i", srv.URL()+"/hls/"+s+"/index.m3u8", "-frames:v", "25")
			// RTSP re-serve, over TCP, from the live edge.
			decodes(t, "RTSP", "-rtsp_transport", "tcp", "-i", "rtsp://"+rtspAddr+"/"+s, "-frames:v", "25")
			if s == "three-whip" {
				// OpenCV reads the re-serve of the WHIP publisher as it
				// reads a camera.
				opencvReads(t, "rtsp://"+rtspAddr+"/"+s, 30, 320, 240)
			}
			// WHEP: a pion viewer; its Annex-B goes to ffmpeg.
			var sink syncBuffer
			c, err := dialWHEP(context.Background(), srv.URL()+"/whep/"+s, "", &sink)
			if err != nil {
				t.Fatalf("WHEP: %v", err)
			}
			if err := c.waitFrame(15 * time.Second); err != nil {
				c.Close()
				t.Fatal(err)
			}
			until := time.Now().Add(20 * time.Second)
			for {
				f, _, _, _ := c.stats()
				if f >= 25 || time.Now().After(until) {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			frames, _, firstKey, sinkErr := c.stats()
			if err := c.Close(); err != nil {
				t.Errorf("WHEP close: %v", err)
			}
			if frames < 25 || !firstKey || sinkErr != nil {
				t.Fatalf("WHEP: %d frames, first a keyframe %v, %v", frames, firstKey, sinkErr)
			}
			file := filepath.Join(t.TempDir(), "whep.h264")
			// The client ends each frame with an access unit delimiter (so a
			// live decoder shows it at once); the last one starts no frame.
			annexB := strings.TrimSuffix(sink.String(), string(aud))
			if err := os.WriteFile(file, []byte(annexB), 0o644); err != nil {
				t.Fatal(err)
			}
			decodes(t, "WHEP", "-f", "h264", "-i", file)
		})
	}
}

// decodes runs ffmpeg over the input arguments and fails the test when it
// exits with an error or prints anything at -v error.
func decodes(t *testing.T, what string, input ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{"-v", "error", "-nostdin"}, input...)
	args = append(args, "-f", "null", "-")
	out, err := exec.CommandContext(ctx, "ffmpeg", args...).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("%s: ffmpeg %v: %v\n%s", what, input, err, out)
	}
}

// opencvReads has OpenCV (python3-opencv, its FFmpeg backend) open url
// with cv2.VideoCapture and decode frames of width x height.
func opencvReads(t *testing.T, url string, frames, width, height int) {
	t.Helper()
	const script = `
import sys, cv2
want = int(sys.argv[2])
c = cv2.VideoCapture(sys.argv[1])
if not c.isOpened():
    sys.exit("cv2.VideoCapture could not open " + sys.argv[1])
n, shape = 0, None
while n < want:
    ok, f = c.read()
    if not ok:
        break
    n, shape = n + 1, f.shape
c.release()
print(n, shape[1] if shape else 0, shape[0] if shape else 0)
`
	out, err := runWithin(exec.Command("/usr/bin/python3", "-c", script, url, fmt.Sprint(frames)), 60*time.Second)
	if want := fmt.Sprintf("%d %d %d", frames, width, height); err != nil || !strings.HasSuffix(strings.TrimSpace(out), want) {
		t.Errorf("OpenCV reading %s: %v\n%s\nwant the last line %q (frames, width, height)", url, err, out, want)
	}
}
