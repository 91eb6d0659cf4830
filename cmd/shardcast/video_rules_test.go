package main

import (
	"encoding/json"
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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/ingest/rtsp"
)

func TestKVSWithAWSCLI(t *testing.T) {
	p := startBinary(t, "--data-dir", t.TempDir())
	aws := newCLI(t, p.url)
	var created struct{ StreamARN string }
	aws.ok(&created, "kinesisvideo", "create-stream", "--stream-name", "porch", "--data-retention-in-hours", "24", "--media-type", "video/h264")
	var desc struct {
		StreamInfo struct {
			StreamName, StreamARN, Status, Version string
			DataRetentionInHours                   int
		}
	}
	aws.ok(&desc, "kinesisvideo", "describe-stream", "--stream-name", "porch")
	if desc.StreamInfo.StreamARN != created.StreamARN || desc.StreamInfo.Status != "ACTIVE" || desc.StreamInfo.DataRetentionInHours != 24 {
		t.Fatalf("describe-stream: %+v", desc)
	}
	var list struct{ StreamInfoList []struct{ StreamName string } }
	aws.ok(&list, "kinesisvideo", "list-streams")
	if len(list.StreamInfoList) != 1 {
		t.Fatalf("list-streams: %+v", list)
	}
	var ep struct{ DataEndpoint string }
	aws.ok(&ep, "kinesisvideo", "get-data-endpoint", "--stream-name", "porch", "--api-name", "LIST_FRAGMENTS")
	if ep.DataEndpoint != p.url {
		t.Fatalf("get-data-endpoint: %s", ep.DataEndpoint)
	}
	aws.ok(nil, "kinesisvideo", "tag-stream", "--stream-name", "porch", "--tags", "site=home")
	var tags struct{ Tags map[string]string }
	aws.ok(&tags, "kinesisvideo", "list-tags-for-stream", "--stream-name", "porch")
	if tags.Tags["site"] != "home" {
		t.Fatalf("tags: %v", tags)
	}
	aws.ok(&desc, "kinesisvideo", "describe-stream", "--stream-name", "porch") // tagging changed the version
	aws.ok(nil, "kinesisvideo", "update-data-retention", "--stream-name", "porch", "--current-version", desc.StreamInfo.Version,
		"--operation", "INCREASE_DATA_RETENTION", "--data-retention-change-in-hours", "24")
	var frags struct{ Fragments []any }
	aws.ok(&frags, "kinesis-video-archived-media", "list-fragments", "--stream-name", "porch",
		"--fragment-selector", "FragmentSelectorType=SERVER_TIMESTAMP,TimestampRange={StartTimestamp=0,EndTimestamp=2000000000}")
	if len(frags.Fragments) != 0 {
		t.Fatalf("list-fragments: %v", frags)
	}
	_, stderr, code := aws.run("kinesisvideo", "describe-stream", "--stream-name", "nope")
	if code == 0 || !strings.Contains(stderr, "ResourceNotFoundException") {
		t.Fatalf("describe of a missing stream: exit %d %s", code, stderr)
	}
	_, stderr, code = aws.run("kinesisvideo", "update-stream", "--stream-name", "porch", "--current-version", "7777", "--device-name", "x")
	if code == 0 || !strings.Contains(stderr, "VersionMismatchException") {
		t.Fatalf("stale version: exit %d %s", code, stderr)
	}
	aws.ok(nil, "kinesisvideo", "delete-stream", "--stream-arn", created.StreamARN)
	aws.ok(&list, "kinesisvideo", "list-streams")
	if len(list.StreamInfoList) != 0 {
		t.Fatalf("after delete-stream: %+v", list)
	}
	p.stop(t)
}

func TestPublishRules(t *testing.T) {
	srv := videoServer(t, false, func(c *Config) { c.Video.AutoCreate = false })
	url := "rtsp://" + srv.rtsp.Addr()
	// Without auto-create, publishing to an unknown stream is refused.
	if out, err := ffmpegCamera(t, url+"/unknown", 1, "tcp", "h264").CombinedOutput(); err == nil || !strings.Contains(string(out), "404") {
		t.Fatalf("publish to an unknown stream: %v\n%s", err, out)
	}
	c := kvsClient(srv.URL())
	if _, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("one"), DataRetentionInHours: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	// One publisher at a time: a second camera is refused while the first runs.
	first := ffmpegCamera(t, url+"/one", 6, "tcp", "h264")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(srv.ingest.Sessions()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if out, err := ffmpegCamera(t, url+"/one", 1, "tcp", "h264").CombinedOutput(); err == nil || !strings.Contains(string(out), "400") {
		t.Fatalf("second publisher: %v\n%s", err, out)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("the first publisher failed: %v", err)
	}
	waitIdle(t, srv)
	checkFragments(t, srv, "one", 6, 2)

	// Retention 0: fragments are kept for live readers in memory, never on disk.
	if _, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("live-only"), DataRetentionInHours: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	runCamera(t, ffmpegCamera(t, url+"/live-only", 3, "tcp", "h264"))
	waitIdle(t, srv)
	st, _ := srv.video.Lookup(fragments.StreamRef{Name: "live-only"})
	if first, next := st.Bounds(); next-first < 2 {
		t.Fatalf("live buffer holds %d fragments", next-first)
	}
	// Only the stream "one" has a log in the store, whatever the store.
	one, _ := srv.video.Lookup(fragments.StreamRef{Name: "one"})
	if logs, err := srv.videoStore.Logs(ctx); err != nil || len(logs) != 1 || logs[0].Stream != one.ID() {
		t.Fatalf("stored logs %v (%v), want only stream one's", logs, err)
	}
}

// TestPullSource points shardcast at an RTSP server fed by ffmpeg, stops
// that server, restarts it, and checks that ingest resumes.
func TestPullSource(t *testing.T) {
	srv := videoServer(t, false, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	camAddr := ln.Addr().String()
	ln.Close()
	cam := startRelay(t, camAddr)
	feed := func(seconds int) *execCmd {
		c := ffmpegCamera(t, "rtsp://"+camAddr+"/feed", seconds, "tcp", "h264")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		return &execCmd{c: c}
	}
	f := feed(30)
	defer f.kill()
	// Add the source through the admin API, as an operator would.
	put := func(body string) {
		req, _ := http.NewRequest("PUT", srv.URL()+"/admin/v1/sources/pulled", strings.NewReader(body))
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=00")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("PUT source: %d %s", resp.StatusCode, b)
		}
	}
	put(fmt.Sprintf(`{"url":"rtsp://%s/feed","transport":"tcp"}`, camAddr))
	fragmentsOf := func() uint64 {
		st, err := srv.video.Lookup(fragments.StreamRef{Name: "pulled"})
		if err != nil {
			return 0
		}
		first, next := st.Bounds()
		return next - first
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(40 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; sources: %+v", what, srv.sources.List())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	state := func() string {
		if l := srv.sources.List(); len(l) == 1 {
			return l[0].State
		}
		return ""
	}
	waitFor("the first fragments", func() bool { return fragmentsOf() >= 3 })
	if state() != rtsp.StateRunning {
		t.Fatalf("source state %s while pulling", state())
	}
	// The camera goes away: the source backs off and retries.
	f.kill()
	cam.close()
	before := fragmentsOf()
	waitFor("the source to notice", func() bool { return state() == rtsp.StateBackoff || state() == rtsp.StateConnecting })
	// The camera comes back on the same address: ingest resumes.
	cam = startRelay(t, camAddr)
	defer cam.close()
	f = feed(30)
	defer f.kill()
	waitFor("ingest to resume", func() bool { return fragmentsOf() >= before+3 })
	if l := srv.sources.List(); l[0].Connects < 2 || l[0].LastError == "" {
		t.Fatalf("status after a reconnect: %+v", l[0])
	}
	// The admin API lists it; the source survives a restart of shardcast.
	resp, err := http.Get(srv.URL() + "/admin/v1/sources")
	if err == nil {
		resp.Body.Close()
	}
	saved, _ := os.ReadFile(filepath.Join(srv.dir, "sources.json"))
	var cfgs []rtsp.SourceConfig
	if json.Unmarshal(saved, &cfgs); len(cfgs) != 1 || cfgs[0].Stream != "pulled" {
		t.Fatalf("sources.json: %s", saved)
	}
}

// execCmd is a camera running in the background.
type execCmd struct {
	c    *exec.Cmd
	once sync.Once
}

func (e *execCmd) kill() {
	e.once.Do(func() {
		e.c.Process.Kill()
		e.c.Wait()
	})
}
