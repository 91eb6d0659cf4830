package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideomedia"
	kmtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideomedia/types"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/ingest/putmedia/putmediatest"
)

// putMediaAck is an acknowledgement as a producer decodes it.
type putMediaAck struct {
	EventType        string
	FragmentTimecode *uint64
	FragmentNumber   string
	ErrorId          int
	ErrorCode        string
}

// putMediaConn is a PutMedia upload in progress: a chunked body written as
// the test goes, acknowledgements read as they come.
type putMediaConn struct {
	body *io.PipeWriter
	resp *http.Response
	acks chan putMediaAck
	done chan error // the ack reader's end
}

// startPutMedia opens a PutMedia upload signed as the KVS producer
// libraries sign it (payload hash of an empty body). A refusal before the
// 200 is returned as the response with a nil conn.
func startPutMedia(t testing.TB, url, stream string, extra map[string]string) (*putMediaConn, *http.Response) {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest("POST", url+"/putMedia", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1
	req.Header.Set("x-amzn-stream-name", stream)
	req.Header.Set("x-amzn-fragment-timecode-type", "ABSOLUTE")
	req.Header.Set("x-amzn-producer-start-timestamp", fmt.Sprintf("%.3f", float64(time.Now().UnixMilli())/1000))
	req.Header.Set("x-amzn-fragment-acknowledgment-required", "1")
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(ctx, testCreds, req, hex.EncodeToString(sum[:]), "kinesisvideo", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	type result struct {
		resp *http.Response
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		got <- result{resp, err}
	}()
	var r result
	select {
	case r = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("PutMedia: no response headers")
	}
	if r.err != nil {
		t.Fatalf("PutMedia: %v", r.err)
	}
	if r.resp.StatusCode != http.StatusOK {
		pw.Close()
		return nil, r.resp
	}
	c := &putMediaConn{body: pw, resp: r.resp, acks: make(chan putMediaAck, 1000), done: make(chan error, 1)}
	go func() {
		dec := json.NewDecoder(bufio.NewReader(r.resp.Body))
		for {
			var a putMediaAck
			if err := dec.Decode(&a); err != nil {
				close(c.acks)
				c.done <- err
				return
			}
			c.acks <- a
		}
	}()
	t.Cleanup(func() { pw.Close(); r.resp.Body.Close() })
	return c, nil
}

// next returns the next acknowledgement that is not IDLE.
func (c *putMediaConn) next(t testing.TB) putMediaAck {
	t.Helper()
	for {
		select {
		case a, ok := <-c.acks:
			if !ok {
				t.Fatalf("acknowledgements ended: %v", <-c.done)
			}
			if a.EventType != "IDLE" {
				return a
			}
		case <-time.After(30 * time.Second):
			t.Fatal("no acknowledgement within 30 s")
		}
	}
}

// testH264 encodes a clip with ffmpeg (25 fps, a keyframe every 25 frames,
// no B-frames, access unit delimiters) and splits it into access units.
func testH264(t testing.TB, seconds int) (aus []putmediatest.AccessUnit, sps, pps []byte) {
	t.Helper()
	need(t, "ffmpeg")
	file := filepath.Join(t.TempDir(), "clip.h264")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-t", strconv.Itoa(seconds), "-c:v", "libx264", "-bf", "0", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
		"-pix_fmt", "yuv420p", "-preset", "veryfast", "-x264-params", "aud=1", "-f", "h264", file).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	aus, sps, pps, err = putmediatest.ReadH264(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(aus) != seconds*25 || !aus[0].Keyframe {
		t.Fatalf("%d access units", len(aus))
	}
	return aus, sps, pps
}

// clusters groups access units into one cluster per GOP, timecodes in ms
// from base (40 ms a frame).
func gopClusters(aus []putmediatest.AccessUnit, base uint64) (clusters [][]byte, frames []int) {
	var cur []putmediatest.Frame
	var start uint64
	for i, au := range aus {
		tc := base + uint64(i*40)
		if au.Keyframe && len(cur) > 0 {
			clusters, frames = append(clusters, putmediatest.Cluster(start, cur...)), append(frames, len(cur))
			cur = nil
		}
		if au.Keyframe {
			start = tc
		}
		cur = append(cur, putmediatest.Frame{Track: 1, Timecode: int16(tc - start), Keyframe: au.Keyframe, Data: putmediatest.AVCC(au.NALUs)})
	}
	return append(clusters, putmediatest.Cluster(start, cur...)), append(frames, len(cur))
}

func h264Header(sps, pps []byte) []byte {
	return putmediatest.Header(1000000, putmediatest.Track{Number: 1, CodecID: "V_MPEG4/ISO/AVC",
		CodecPrivate: putmediatest.AVCConfig(sps, pps), Video: true, Width: 320, Height: 240})
}

func wantAPIError(t testing.TB, resp *http.Response, status int, typ string) {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var body struct {
		Type string `json:"__type"`
	}
	json.Unmarshal(b, &body)
	if resp.StatusCode != status || body.Type != typ || resp.Header.Get("X-Amzn-Errortype") != typ {
		t.Fatalf("got %d %s (%s), want %d %s", resp.StatusCode, b, resp.Header.Get("X-Amzn-Errortype"), status, typ)
	}
}

// getMediaChunks reads a stream's fragments through GetMedia from the
// earliest, until n chunks came.
func getMediaChunks(t testing.TB, url, stream string, n int) []*mkvChunkParsed {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	out, err := mediaClient(t, url, stream).GetMedia(cctx, &kinesisvideomedia.GetMediaInput{StreamName: aws.String(stream),
		StartSelector: &kmtypes.StartSelector{StartSelectorType: kmtypes.StartSelectorTypeEarliest}})
	if err != nil {
		t.Fatalf("GetMedia: %v", err)
	}
	defer out.Payload.Close()
	r := newEBMLReader(out.Payload)
	var got []*mkvChunkParsed
	for len(got) < n {
		c, err := r.next()
		if err != nil {
			t.Fatalf("GetMedia after %d chunks: %v", len(got), err)
		}
		got = append(got, c)
	}
	return got
}

// TestPutMediaGoClient: a producer sends clusters with pauses through a
// chunked body and reads acknowledgements as it goes: each cluster gets
// BUFFERING, RECEIVED and PERSISTED, and every PERSISTED fragment number
// reads back through ListFragments and GetMedia with the cluster's frames.
// A second producer is refused; a corrupt cluster ends the upload with
// ERROR 4006 and keeps what was persisted; a timecode going backwards is
// ERROR 4004.
func TestPutMediaGoClient(t *testing.T) {
	srv := videoServer(t, false, nil)
	url := srv.URL()
	const stream = "pm-go"
	if _, err := kvsClient(url).CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(stream), DataRetentionInHours: aws.Int32(24)}); err != nil {
		t.Fatal(err)
	}
	// A missing stream and bad headers are refused before the 200.
	if _, resp := startPutMedia(t, url, "nope", nil); resp == nil {
		t.Fatal("PutMedia on a missing stream accepted")
	} else {
		wantAPIError(t, resp, 404, "ResourceNotFoundException")
	}
	if _, resp := startPutMedia(t, url, stream, map[string]string{"x-amzn-fragment-timecode-type": "LOCAL"}); resp == nil {
		t.Fatal("a bad timecode type accepted")
	} else {
		wantAPIError(t, resp, 400, "InvalidArgumentException")
	}

	if _, resp := startPutMedia(t, url, stream, map[string]string{"x-amzn-stream-arn": "arn:aws:kinesisvideo:us-east-1:000000000000:stream/pm-go/1"}); resp == nil {
		t.Fatal("a stream name and ARN accepted")
	} else {
		wantAPIError(t, resp, 400, "InvalidArgumentException")
	}

	aus, sps, pps := testH264(t, 4)
	base := uint64(time.Now().Add(-time.Minute).UnixMilli())
	clusters, frames := gopClusters(aus, base)
	c, _ := startPutMedia(t, url, stream, nil)
	if _, err := c.body.Write(h264Header(sps, pps)); err != nil {
		t.Fatal(err)
	}
	var numbers []string
	for i, cl := range clusters[:3] {
		c.body.Write(cl[:len(cl)/3])
		time.Sleep(150 * time.Millisecond) // the cluster arrives over time
		c.body.Write(cl[len(cl)/3:])
		want := base + uint64(i*1000)
		for _, ev := range []string{"BUFFERING", "RECEIVED", "PERSISTED"} {
			a := c.next(t)
			if a.EventType != ev || a.FragmentTimecode == nil || *a.FragmentTimecode != want {
				t.Fatalf("cluster %d: %+v, want %s at %d", i, a, ev, want)
			}
			if ev == "PERSISTED" {
				numbers = append(numbers, a.FragmentNumber)
			}
		}
		if i == 0 {
			// One producer per stream.
			if _, resp := startPutMedia(t, url, stream, nil); resp == nil {
				t.Fatal("a second PutMedia accepted")
			} else {
				wantAPIError(t, resp, 400, "ConnectionLimitExceededException")
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A corrupt cluster: its first child claims more than the cluster holds.
	bad := append([]byte(nil), clusters[3]...)
	copy(bad[12:], []byte{0x01, 0x00, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff})
	c.body.Write(bad)
	a := c.next(t)
	if a.EventType == "BUFFERING" {
		a = c.next(t)
	}
	if a.EventType != "ERROR" || a.ErrorId != 4006 || a.ErrorCode != "INVALID_MKV_DATA" {
		t.Fatalf("after a corrupt cluster: %+v", a)
	}
	if err := <-c.done; !errors.Is(err, io.EOF) {
		t.Fatalf("the answer did not end after ERROR: %v", err)
	}
	c.body.Close()

	// What was persisted reads back.
	archived := archivedClient(t, url, stream)
	list := listAll(t, archived, stream, amtypes.FragmentSelectorTypeServerTimestamp)
	if len(list) != 3 {
		t.Fatalf("%d fragments listed, want 3", len(list))
	}
	for i, f := range list {
		if *f.FragmentNumber != numbers[i] {
			t.Errorf("fragment %d is %s, acknowledged %s", i, *f.FragmentNumber, numbers[i])
		}
		if want := time.UnixMilli(int64(base) + int64(i*1000)); !f.ProducerTimestamp.Equal(want) {
			t.Errorf("fragment %d: producer time %v, want %v", i, f.ProducerTimestamp, want)
		}
	}
	chunks := getMediaChunks(t, url, stream, 3)
	for i, ch := range chunks {
		if n := ch.tag("AWS_KINESISVIDEO_FRAGMENT_NUMBER"); n != numbers[i] {
			t.Errorf("GetMedia chunk %d is fragment %s, want %s", i, n, numbers[i])
		}
		if len(ch.blocks) != frames[i] || !ch.blocks[0].keyframe {
			t.Errorf("GetMedia chunk %d: %d blocks, want %d", i, len(ch.blocks), frames[i])
		}
	}

	// A new upload whose timecodes go backwards: ERROR 4004, earlier kept.
	c2, resp := startPutMedia(t, url, stream, nil)
	if resp != nil {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("a new upload after the first ended: %d %s", resp.StatusCode, b)
	}
	later, _ := gopClusters(aus, base+10000)
	earlier, _ := gopClusters(aus, base+5000)
	c2.body.Write(h264Header(sps, pps))
	c2.body.Write(later[0])
	for _, ev := range []string{"BUFFERING", "RECEIVED", "PERSISTED"} {
		if a := c2.next(t); a.EventType != ev {
			t.Fatalf("got %+v, want %s", a, ev)
		}
	}
	c2.body.Write(earlier[0])
	if a := c2.next(t); a.EventType != "BUFFERING" {
		t.Fatalf("got %+v", a)
	}
	a = c2.next(t)
	if a.EventType != "ERROR" || a.ErrorId != 4004 || a.FragmentTimecode == nil || *a.FragmentTimecode != base+5000 {
		t.Fatalf("a timecode going backwards: %+v", a)
	}
	if n := len(listAll(t, archived, stream, amtypes.FragmentSelectorTypeServerTimestamp)); n != 4 {
		t.Fatalf("%d fragments after the second upload, want 4", n)
	}
}

// putMediaFFmpeg is ffmpeg muxing a test camera to Matroska and POSTing it
// chunked to /putMedia with the KVS headers. Its clusters start at
// keyframes (one a second): the size and time limits are set above a GOP,
// and the muxer starts a cluster at each video keyframe past 4 KiB.
func putMediaFFmpeg(t testing.TB, url, stream string, seconds int, bframes bool) *exec.Cmd {
	need(t, "ffmpeg")
	headers := "x-amzn-stream-name: " + stream + "\r\n" +
		"x-amzn-fragment-timecode-type: RELATIVE\r\n" +
		fmt.Sprintf("x-amzn-producer-start-timestamp: %.3f\r\n", float64(time.Now().UnixMilli())/1000) +
		// No acknowledgements: ffmpeg does not read the answer.
		// No keys are configured: any well-formed signature is accepted.
		"Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=00\r\n"
	bf := "0"
	if bframes {
		bf = "2"
	}
	return exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-t", strconv.Itoa(seconds), "-c:v", "libx264", "-bf", bf, "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
		"-pix_fmt", "yuv420p", "-preset", "veryfast", "-b:v", "300k",
		"-f", "matroska", "-live", "1", "-cluster_size_limit", "20000000", "-cluster_time_limit", "5000",
		"-method", "POST", "-chunked_post", "1", "-headers", headers, url+"/putMedia")
}

// TestPutMediaFFmpeg: ffmpeg muxes Matroska (H.264 with B-frames) and POSTs
// it chunked with the KVS headers; every frame reads back through
// ListFragments, GetMedia and HLS.
func TestPutMediaFFmpeg(t *testing.T) {
	need(t, "ffprobe")
	srv := videoServer(t, false, nil)
	url := srv.URL()
	const stream = "pm-ffmpeg"
	const seconds = 6
	if _, err := kvsClient(url).CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(stream), DataRetentionInHours: aws.Int32(24)}); err != nil {
		t.Fatal(err)
	}
	cmd := putMediaFFmpeg(t, url, stream, seconds, true)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	waitIdle(t, srv)
	archived := archivedClient(t, url, stream)
	list := listAll(t, archived, stream, amtypes.FragmentSelectorTypeServerTimestamp)
	if len(list) != seconds {
		t.Fatalf("%d fragments, want %d (one per cluster)", len(list), seconds)
	}
	chunks := getMediaChunks(t, url, stream, seconds)
	blocks := 0
	for i, ch := range chunks {
		if ch.tag("AWS_KINESISVIDEO_FRAGMENT_NUMBER") != *list[i].FragmentNumber || !ch.blocks[0].keyframe {
			t.Errorf("GetMedia chunk %d: fragment %s, first block a keyframe %v", i, ch.tag("AWS_KINESISVIDEO_FRAGMENT_NUMBER"), ch.blocks[0].keyframe)
		}
		blocks += len(ch.blocks)
	}
	if blocks != seconds*25 {
		t.Errorf("GetMedia: %d frames, want %d", blocks, seconds*25)
	}
	hls, err := archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(stream),
		PlaybackMode: amtypes.HLSPlaybackModeOnDemand, HLSFragmentSelector: &amtypes.HLSFragmentSelector{
			FragmentSelectorType: amtypes.HLSFragmentSelectorTypeServerTimestamp,
			TimestampRange:       &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(time.Now().Add(-time.Hour)), EndTimestamp: aws.Time(time.Now())}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v", "-show_entries", "stream=nb_read_frames",
		"-of", "csv=p=0", *hls.HLSStreamingSessionURL).CombinedOutput()
	// HLS lists the stream once as a program and once alone.
	if f := strings.Fields(string(out)); err != nil || len(f) == 0 || f[0] != strconv.Itoa(seconds*25) {
		t.Fatalf("ffprobe over HLS: %v %q, want %d frames", err, out, seconds*25)
	}
}

// TestPutMediaUploadEndFreesSlot: an upload that sends nothing gets IDLE, and the
// stream's slot is free again once the upload ends.
func TestPutMediaUploadEndFreesSlot(t *testing.T) {
	srv := videoServer(t, false, nil)
	url := srv.URL()
	const stream = "pm-slot"
	if _, err := kvsClient(url).CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(stream), DataRetentionInHours: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	c, _ := startPutMedia(t, url, stream, nil)
	select {
	case a := <-c.acks:
		if a.EventType != "IDLE" {
			t.Fatalf("got %+v, want IDLE", a)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no IDLE")
	}
	c.body.Close()
	if err := <-c.done; !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	waitIdle(t, srv)
	c2, resp := startPutMedia(t, url, stream, nil)
	if resp != nil {
		t.Fatalf("slot still taken: %d", resp.StatusCode)
	}
	c2.body.Close()
}

// TestPutMediaRTSPWHIPAtOnce: an RTSP camera, a WHIP publisher and a
// PutMedia producer feed three streams at once; each plays back through
// HLS and GetMedia.
func TestPutMediaRTSPWHIPAtOnce(t *testing.T) {
	srv := videoServer(t, false, nil)
	url := srv.URL()
	if _, err := kvsClient(url).CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("at-once-putmedia"), DataRetentionInHours: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	cam := noBFramesCamera(t, "rtsp://"+srv.rtsp.Addr()+"/at-once-rtsp", 40)
	pm := putMediaFFmpeg(t, url, "at-once-putmedia", 40, false)
	for _, c := range []*exec.Cmd{cam, pm} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	}
	pub := newWHIPClient(t, url, whipOpts{})
	pub.publish("at-once-whip")
	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for {
			select {
			case <-stop:
				return
			default:
			}
			pub.send(2 * time.Second)
		}
	}()
	defer func() { close(stop); <-sent }()

	streams := []string{"at-once-rtsp", "at-once-whip", "at-once-putmedia"}
	deadline := time.Now().Add(60 * time.Second)
	for _, s := range streams {
		for {
			if st, err := srv.video.Lookup(fragments.StreamRef{Name: s}); err == nil {
				if first, next := st.Bounds(); next-first >= 2 {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no fragments within 60 s", s)
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	protocols := map[string]bool{}
	for _, in := range srv.ingest.Sessions() {
		protocols[in.Stream+"/"+in.Protocol] = true
	}
	for _, want := range []string{"at-once-rtsp/rtsp", "at-once-whip/webrtc", "at-once-putmedia/putmedia"} {
		if !protocols[want] {
			t.Errorf("no session %s among %v", want, protocols)
		}
	}
	for _, s := range streams {
		t.Run(s, func(t *testing.T) {
			decodes(t, "HLS", "-i", url+"/hls/"+s+"/index.m3u8", "-frames:v", "25")
			for i, ch := range getMediaChunks(t, url, s, 2) {
				if len(ch.blocks) == 0 || !ch.blocks[0].keyframe || ch.tag("AWS_KINESISVIDEO_FRAGMENT_NUMBER") == "" {
					t.Fatalf("GetMedia chunk %d: %d blocks, tags %v", i, len(ch.blocks), ch.tagsBefore)
				}
			}
		})
	}
}

// TestPutMediaOutlivesBodyLimits: a PutMedia body is a stream, not a
// request body read whole: it may last longer than --http-body-timeout
// and grow past --max-body-bytes.
func TestPutMediaOutlivesBodyLimits(t *testing.T) {
	srv := videoServer(t, false, func(c *Config) { c.MaxBodyBytes, c.HTTPBodyTimeout = 1<<20, time.Second })
	url := srv.URL()
	const stream = "pm-long"
	if _, err := kvsClient(url).CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(stream), DataRetentionInHours: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	aus, sps, pps := testH264(t, 2)
	c, _ := startPutMedia(t, url, stream, nil)
	c.body.Write(h264Header(sps, pps))
	sent := 0
	start := time.Now()
	base := uint64(time.Now().Add(-time.Hour).UnixMilli())
	for i := 0; time.Since(start) < 3*time.Second || sent <= 1<<20; i++ {
		clusters, _ := gopClusters(aus, base+uint64(i)*2000)
		for _, cl := range clusters {
			c.body.Write(cl)
			sent += len(cl)
			for a := c.next(t); a.EventType != "PERSISTED"; a = c.next(t) {
				if a.EventType == "ERROR" {
					t.Fatalf("after %d bytes, %v: %+v", sent, time.Since(start), a)
				}
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	c.body.Close()
	if err := <-c.done; !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
}
