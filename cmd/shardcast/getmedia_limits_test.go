package main

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideomedia"
	kmtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideomedia/types"

	"github.com/shardcast/shardcast/playback/getmedia"
)

// TestGetMediaConnectionLimit: a stream serves 3 GetMedia connections at
// once, as KVS does; the newest beyond is refused with
// ConnectionLimitExceededException (HTTP 400), and a place that frees up
// is taken again.
func TestGetMediaConnectionLimit(t *testing.T) {
	srv := videoServer(t, false, func(c *Config) { c.GetMediaCallsPerSecond = 0 })
	const stream = "limited"
	if _, err := kvsClient(srv.URL()).CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(stream), DataRetentionInHours: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	media := mediaClient(t, srv.URL(), stream)
	cam := ffmpegCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, 20, "tcp", "h264")
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Process.Kill(); cam.Wait() })
	// A GetMedia from NOW on a stream nobody publishes ends after the
	// block timeout: the camera, slow to start on a loaded machine, must
	// publish before the readers connect.
	waitPublishing(t, srv, stream)
	open := func() (io.ReadCloser, error) {
		out, err := media.GetMedia(ctx, &kinesisvideomedia.GetMediaInput{StreamName: aws.String(stream),
			StartSelector: &kmtypes.StartSelector{StartSelectorType: kmtypes.StartSelectorTypeNow}})
		if err != nil {
			return nil, err
		}
		return out.Payload, nil
	}
	var bodies []io.ReadCloser
	for len(bodies) < 3 {
		body, err := open()
		if err != nil {
			t.Fatalf("connection %d: %v", len(bodies)+1, err)
		}
		bodies = append(bodies, body)
	}
	defer func() {
		for _, b := range bodies {
			b.Close()
		}
	}()
	// Each of the three gets fragments.
	for i, b := range bodies {
		if _, err := getmedia.NewReader(b).Next(); err != nil {
			t.Fatalf("connection %d: %v", i+1, err)
		}
	}
	_, err := open()
	wantErr(t, err, "ConnectionLimitExceededException", "Stream limited already has 3 GetMedia connections, the most allowed.")

	// One reader leaves: a new one gets its place once the server has
	// seen the connection close.
	bodies[0].Close()
	bodies = bodies[1:]
	deadline := time.Now().Add(30 * time.Second)
	for {
		body, err := open()
		if err == nil {
			bodies = append(bodies, body)
			break
		}
		if code, _ := apiErr(t, err); code != "ConnectionLimitExceededException" || time.Now().After(deadline) {
			t.Fatalf("after a reader left: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestGetMediaPacing: a reader behind the live edge gets at most
// --getmedia-fragments-per-second fragments a second (here 1), the newest
// fragment unpaced. The check is a lower bound on the time the backlog
// takes.
func TestGetMediaPacing(t *testing.T) {
	t.Parallel() // mostly waiting on a real-time camera: it overlaps the other waiting tests
	srv := videoServer(t, false, func(c *Config) { c.GetMediaFragmentsPerSecond = 1 })
	const stream = "paced"
	runCamera(t, ffmpegCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, 6, "tcp", "h264"))
	waitIdle(t, srv)
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	start := time.Now()
	out, err := mediaClient(t, srv.URL(), stream).GetMedia(cctx, &kinesisvideomedia.GetMediaInput{StreamName: aws.String(stream),
		StartSelector: &kmtypes.StartSelector{StartSelectorType: kmtypes.StartSelectorTypeEarliest}})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Payload.Close()
	r := getmedia.NewReader(out.Payload)
	var at []time.Duration
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		at = append(at, time.Since(start))
	}
	n := len(at)
	if n < 5 {
		t.Fatalf("%d fragments, want at least 5", n)
	}
	// Fragment k of the backlog may go out k seconds after the first.
	if took := at[n-2] - at[0]; took < time.Duration(n-2)*time.Second-100*time.Millisecond {
		t.Errorf("fragments 1 to %d of the backlog came in %v, faster than 1 a second", n-1, took)
	}
}

// TestGetMediaCallRate: a stream takes --getmedia-calls-per-second GetMedia
// calls a second (here 1); calls beyond get ClientLimitExceededException
// (HTTP 400) as on KVS. Another stream's calls are not counted against it.
func TestGetMediaCallRate(t *testing.T) {
	srv := videoServer(t, false, func(c *Config) { c.GetMediaCallsPerSecond = 1 })
	for _, name := range []string{"rated", "other"} {
		if _, err := kvsClient(srv.URL()).CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(name), DataRetentionInHours: aws.Int32(1)}); err != nil {
			t.Fatal(err)
		}
	}
	// A start after a fragment that is not there: each call is answered
	// at once, InvalidArgumentException when the rate lets it through.
	call := func(stream string) string {
		_, err := mediaClient(t, srv.URL(), stream).GetMedia(ctx, &kinesisvideomedia.GetMediaInput{StreamName: aws.String(stream),
			StartSelector: &kmtypes.StartSelector{StartSelectorType: kmtypes.StartSelectorTypeFragmentNumber, AfterFragmentNumber: aws.String("1")}})
		code, _ := apiErr(t, err)
		return code
	}
	counts := map[string]int{}
	for range 10 {
		counts[call("rated")]++
	}
	if counts["ClientLimitExceededException"] == 0 || counts["InvalidArgumentException"] == 0 || len(counts) != 2 {
		t.Errorf("10 calls in a row at 1 call/s: %v, want some refused with ClientLimitExceededException", counts)
	}
	if code := call("other"); code != "InvalidArgumentException" {
		t.Errorf("a call on another stream: %s, want it let through (InvalidArgumentException)", code)
	}
	_, err := mediaClient(t, srv.URL(), "rated").GetMedia(ctx, &kinesisvideomedia.GetMediaInput{StreamName: aws.String("rated"),
		StartSelector: &kmtypes.StartSelector{StartSelectorType: kmtypes.StartSelectorTypeFragmentNumber, AfterFragmentNumber: aws.String("1")}})
	if code, _ := apiErr(t, err); code == "ClientLimitExceededException" {
		wantErr(t, err, "ClientLimitExceededException", "Stream rated has had more than 1 GetMedia calls in a second; try again later.")
	}
}
