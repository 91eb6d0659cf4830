package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"golang.org/x/sys/unix"

	"github.com/shardcast/shardcast/fragments"
)

// mountTmpfs mounts a tmpfs of size bytes on a fresh directory, unmounted
// when the test ends. Tests run as root (make test); one that cannot mount
// fails rather than skips.
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("/bin/mount", "-t", "tmpfs", "-o", "size="+strconv.FormatInt(size, 10), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("mount a %d-byte tmpfs on %s (the test needs root): %v: %s", size, dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("/bin/umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// freeBytes returns the space left on dir's file system.
func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

// writeFiller writes path with up to size bytes (all that fits when size
// is negative) and reports how many it wrote.
func writeFiller(t *testing.T, path string, size int64) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte{0x5A}, 256<<10)
	var n int64
	for len(chunk) > 0 && (size < 0 || n < size) {
		c := chunk
		if size >= 0 && int64(len(c)) > size-n {
			c = c[:size-n]
		}
		w, err := f.Write(c)
		n += int64(w)
		if err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			chunk = chunk[:len(chunk)/2]
		}
	}
	return n
}

// keepFull keeps dir's file system full by growing the filler at path
// whenever the server frees a little (it gives back preallocated space
// after a failed write), until the returned function is called.
func keepFull(t *testing.T, path string) (stop func()) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fill := func() error {
		chunk := make([]byte, 64<<10)
		for len(chunk) > 0 {
			if _, err := f.Write(chunk); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					return err
				}
				chunk = chunk[:len(chunk)/2]
			}
		}
		return nil
	}
	if err := fill(); err != nil {
		t.Fatal(err)
	}
	quit, done := make(chan struct{}), make(chan error, 1)
	go func() {
		for {
			select {
			case <-quit:
				done <- nil
				return
			case <-time.After(10 * time.Millisecond):
				if err := fill(); err != nil {
					done <- err
					return
				}
			}
		}
	}()
	return func() {
		close(quit)
		if err := <-done; err != nil {
			t.Error(err)
		}
		f.Close()
	}
}

// ingestSession is the part of /admin/v1/ingest these tests read.
type ingestSession struct {
	Stream              string
	Fragments           int64
	StoreError          string
	HeldFragments       int64
	StreamHeldFragments int
	UnstoredFragments   int64
}

func ingestSessions(t *testing.T, url string) []ingestSession {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/admin/v1/ingest", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []ingestSession
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitFor polls cond (every 50 ms, up to limit) and fails with what it
// describes when it never holds. The limit only bounds a broken run.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
	}
}

func session(t *testing.T, url, stream string) (ingestSession, bool) {
	for _, s := range ingestSessions(t, url) {
		if s.Stream == stream {
			return s, true
		}
	}
	return ingestSession{}, false
}

// livePlaylistLast returns the last media segment URI of the plain live
// HLS playlist.
func livePlaylistLast(t *testing.T, url, stream string) string {
	t.Helper()
	resp, err := http.Get(url + "/hls/" + stream + "/index.m3u8")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("live playlist: %d %s", resp.StatusCode, b)
	}
	last := ""
	for _, line := range strings.Split(string(b), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			last = line
		}
	}
	return last
}

func putRecords(c *kinesis.Client, stream string, n, size int) (*kinesis.PutRecordsOutput, error) {
	var entries []ktypes.PutRecordsRequestEntry
	for i := range n {
		entries = append(entries, ktypes.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprint("k", i)), Data: bytes.Repeat([]byte{byte(i)}, size)})
	}
	return c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
}

// A full disk: data writers get a clear error that the AWS SDKs retry; a
// publishing camera's session shows the error while live HLS keeps
// advancing from memory; DeleteStream frees space; once space returns,
// appends work without a restart and every stored fragment is listed once,
// also after a restart.
func TestDiskFull(t *testing.T) {
	mnt := mountTmpfs(t, 64<<20)
	cfg := fileConfig(t)
	cfg.DataDir = filepath.Join(mnt, "data")
	cfg.Kinesis.SegmentMaxBytes = 64 << 10 // small segments: rolls (new files) happen while full
	cfg.Video.SegmentMaxBytes = 64 << 10
	srv := startServer(t, cfg)
	c := client(srv.URL(), testCreds)
	createStream(t, c, "writer", 1)
	createStream(t, c, "victim", 1)
	for range 20 {
		if _, err := putRecords(c, "victim", 10, 20<<10); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := putRecords(c, "writer", 10, 1<<10); err != nil {
		t.Fatal(err)
	}

	const stream = "cam-full"
	cam := ffmpegCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, 120, "tcp", "h264")
	var camOut bytes.Buffer
	cam.Stdout, cam.Stderr = &camOut, &camOut
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	camDone := make(chan error, 1)
	go func() { camDone <- cam.Wait() }()
	t.Cleanup(func() {
		cam.Process.Kill()
	})
	waitFor(t, 30*time.Second, "3 fragments stored", func() bool {
		s, ok := session(t, srv.URL(), stream)
		return ok && s.Fragments >= 3
	})

	filler := filepath.Join(mnt, "filler")
	stopFilling := keepFull(t, filler)
	stopped := false
	defer func() {
		if !stopped {
			stopFilling()
		}
	}()

	// Data writers: 503 ServiceUnavailable saying the disk is full and
	// naming the data file, which the SDK's standard retryer retries.
	var full error
	for i := 0; i < 200 && full == nil; i++ {
		_, full = putRecords(c, "writer", 1, 16<<10)
	}
	if full == nil {
		t.Fatal("PutRecords kept succeeding on a full disk")
	}
	code, msg := apiErr(t, full)
	if code != "ServiceUnavailable" || !strings.Contains(msg, "Disk full") || !strings.Contains(msg, ".seg") || strings.Contains(msg, ".tmp") {
		t.Fatalf("PutRecords on a full disk: %s %q", code, msg)
	}
	if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(full) != aws.TrueTernary {
		t.Fatalf("the SDK's standard retryer does not retry %v", full)
	}
	_, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("writer"), PartitionKey: aws.String("k"), Data: bytes.Repeat([]byte("r"), 16<<10)})
	if code, msg := apiErr(t, err); code != "ServiceUnavailable" || !strings.Contains(msg, "Disk full") {
		t.Fatalf("PutRecord on a full disk: %s %q", code, msg)
	}

	// The camera: its session says so, and live viewers keep advancing
	// on fragments held in memory.
	var sess ingestSession
	waitFor(t, 30*time.Second, "the camera's session to show the store error", func() bool {
		sess, _ = session(t, srv.URL(), stream)
		return strings.Contains(sess.StoreError, "disk full") && sess.HeldFragments > 0
	})
	last := livePlaylistLast(t, srv.URL(), stream)
	waitFor(t, 30*time.Second, "live HLS to advance while the disk is full", func() bool {
		return livePlaylistLast(t, srv.URL(), stream) != last
	})
	last = livePlaylistLast(t, srv.URL(), stream)
	resp, err := http.Get(srv.URL() + "/hls/" + stream + "/" + last)
	if err != nil {
		t.Fatal(err)
	}
	seg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(seg) == 0 {
		t.Fatalf("live segment %s while the disk is full: %d (%d bytes)", last, resp.StatusCode, len(seg))
	}
	if sess, _ = session(t, srv.URL(), stream); sess.StoreError == "" || sess.StreamHeldFragments == 0 {
		t.Fatalf("session while the disk is full: %+v", sess)
	}

	// DeleteStream works on a full disk and frees the stream's space.
	stopFilling()
	stopped = true
	before := freeBytes(t, mnt)
	if _, err := c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("victim")}); err != nil {
		t.Fatalf("DeleteStream on a full disk: %v", err)
	}
	if after := freeBytes(t, mnt); after < before+3<<20 {
		t.Fatalf("DeleteStream freed %d bytes; the stream held 4 MB", after-before)
	}
	_, err = c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("victim")})
	if code, _ := apiErr(t, err); code != "ResourceNotFoundException" {
		t.Fatalf("deleted stream: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "kinesis")); err != nil {
		t.Fatal(err)
	}

	// Space returns: writes work again without a restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	out, err := putRecords(c, "writer", 5, 1<<10)
	if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
		t.Fatalf("PutRecords after space returned: %v", err)
	}
	waitFor(t, 30*time.Second, "the camera's fragments to be stored again", func() bool {
		s, _ := session(t, srv.URL(), stream)
		return s.StoreError == "" && s.StreamHeldFragments == 0
	})
	stored, _ := session(t, srv.URL(), stream)
	waitFor(t, 30*time.Second, "a fragment stored after space returned", func() bool {
		s, _ := session(t, srv.URL(), stream)
		return s.Fragments > stored.Fragments
	})
	cam.Process.Signal(os.Interrupt)
	select {
	case <-camDone:
	case <-time.After(30 * time.Second):
		t.Fatalf("ffmpeg did not stop\n%s", camOut.String())
	}
	waitIdle(t, srv)
	if sess.UnstoredFragments != 0 {
		t.Fatalf("fragments lost: %+v", sess)
	}

	// Every stored fragment is listed exactly once, now and after a restart.
	checkListed := func(srv *testServer) int {
		t.Helper()
		st, err := srv.video.Lookup(fragments.StreamRef{Name: stream})
		if err != nil {
			t.Fatal(err)
		}
		first, next := st.Bounds()
		listed := listAll(t, archivedClient(t, srv.URL(), stream), stream, amtypes.FragmentSelectorTypeServerTimestamp)
		seen := map[uint64]bool{}
		for _, f := range listed {
			seq := seqOf(t, aws.ToString(f.FragmentNumber))
			if seen[seq] {
				t.Fatalf("fragment %d listed twice", seq)
			}
			seen[seq] = true
		}
		for seq := first; seq < next; seq++ {
			if !seen[seq] {
				t.Fatalf("stored fragment %d (of %d..%d) is not listed; %d listed", seq, first, next-1, len(listed))
			}
		}
		if len(listed) != int(next-first) {
			t.Fatalf("%d fragments listed, %d stored", len(listed), next-first)
		}
		return len(listed)
	}
	n := checkListed(srv)
	if n < 8 {
		t.Fatalf("only %d fragments stored", n)
	}
	srv.Close()
	srv2 := startServer(t, cfg)
	if n2 := checkListed(srv2); n2 != n {
		t.Fatalf("after a restart %d fragments are listed, before %d", n2, n)
	}
	if _, err := putRecords(client(srv2.URL(), testCreds), "writer", 5, 1<<10); err != nil {
		t.Fatal(err)
	}
}

// The disk reserve deletes the oldest video first, whole segments, until
// free space is back above it; newer video and data streams are kept.
func TestDiskReserve(t *testing.T) {
	mnt := mountTmpfs(t, 32<<20)
	cfg := fileConfig(t)
	cfg.DataDir = filepath.Join(mnt, "data")
	cfg.Kinesis.SegmentMaxBytes = 64 << 10
	cfg.Video.SegmentMaxBytes = 64 << 10
	cfg.Video.DiskReserve = "4MiB"
	cfg.Video.DiskReserveCheck = 100 * time.Millisecond
	srv := startServer(t, cfg)
	c := client(srv.URL(), testCreds)
	createStream(t, c, "data", 1)
	if _, err := putRecords(c, "data", 10, 8<<10); err != nil {
		t.Fatal(err)
	}
	runCamera(t, ffmpegCamera(t, "rtsp://"+srv.rtsp.Addr()+"/cam-old", 5, "tcp", "h264"))
	waitIdle(t, srv)
	runCamera(t, ffmpegCamera(t, "rtsp://"+srv.rtsp.Addr()+"/cam-new", 5, "tcp", "h264"))
	waitIdle(t, srv)
	bounds := func(name string) (uint64, uint64) {
		st, err := srv.video.Lookup(fragments.StreamRef{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return st.Bounds()
	}
	oldFirst, oldNext := bounds("cam-old")
	newFirst, newNext := bounds("cam-new")
	if oldNext-oldFirst < 4 || newNext-newFirst < 4 {
		t.Fatalf("too few fragments: old %d..%d new %d..%d", oldFirst, oldNext, newFirst, newNext)
	}

	// Leave 100 KB less free than the reserve.
	const reserve = 4 << 20
	writeFiller(t, filepath.Join(mnt, "filler"), freeBytes(t, mnt)-reserve+100<<10)
	waitFor(t, 30*time.Second, "the reserve to free space", func() bool { return freeBytes(t, mnt) >= reserve })

	f1, n1 := bounds("cam-old")
	f2, n2 := bounds("cam-new")
	if f1 <= oldFirst || n1 != oldNext {
		t.Fatalf("the oldest video was not deleted: cam-old %d..%d, was %d..%d", f1, n1, oldFirst, oldNext)
	}
	if f1 >= n1 {
		t.Fatalf("all of cam-old was deleted (%d..%d) for a 100 KB deficit", f1, n1)
	}
	if f2 != newFirst || n2 != newNext {
		t.Fatalf("newer video was deleted: cam-new %d..%d, was %d..%d", f2, n2, newFirst, newNext)
	}
	listed := listAll(t, archivedClient(t, srv.URL(), "cam-old"), "cam-old", amtypes.FragmentSelectorTypeServerTimestamp)
	if len(listed) != int(n1-f1) {
		t.Fatalf("cam-old lists %d fragments, holds %d", len(listed), n1-f1)
	}
	it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("data"), ShardId: aws.String("shardId-000000000000"),
		ShardIteratorType: ktypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(recs.Records) != 10 {
		t.Fatalf("data stream after the reserve: %v records, %v", len(recs.Records), err)
	}
}
