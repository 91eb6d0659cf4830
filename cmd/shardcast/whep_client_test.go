package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// whepClient is a WHEP viewer for tests and benchmarks: a pion
// PeerConnection that POSTs its offer to a /whep/<stream> endpoint,
// receives H.264, depacketizes it and writes it as Annex-B (each access
// unit followed by an access unit delimiter, so that a decoder reading the
// byte stream knows at once that the unit is complete) to sink.
type whepClient struct {
	pc       *webrtc.PeerConnection
	resource string // the session URL, for DELETE
	token    string
	readers  sync.WaitGroup

	mu        sync.Mutex
	sink      io.Writer
	frames    int
	firstKey  bool
	codec     string
	audio     int // audio packets received
	sinkErr   error
	gotFrame  chan struct{}
	frameOnce sync.Once
}

// aud is an H.264 access unit delimiter with a start code.
var aud = []byte{0, 0, 0, 1, 9, 0xf0}

// whepClientAPI is the viewer's own pion API: loopback candidates
// included, UDP and TCP.
func whepClientAPI() (*webrtc.API, error) {
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeTCP4})
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, err
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir)), nil
}

// dialWHEP starts a viewer of endpoint (http://host/whep/<stream>); token,
// when set, is sent as a bearer token.
func dialWHEP(ctx context.Context, endpoint, token string, sink io.Writer) (*whepClient, error) {
	api, err := whepClientAPI()
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	c := &whepClient{pc: pc, token: token, sink: sink, gotFrame: make(chan struct{})}
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			pc.Close()
			return nil, err
		}
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		c.readers.Add(1)
		defer c.readers.Done()
		if tr.Kind() == webrtc.RTPCodecTypeAudio {
			for {
				if _, _, err := tr.ReadRTP(); err != nil {
					return
				}
				c.mu.Lock()
				c.audio++
				c.mu.Unlock()
			}
		}
		c.mu.Lock()
		c.codec = tr.Codec().MimeType
		c.mu.Unlock()
		if !strings.EqualFold(tr.Codec().MimeType, webrtc.MimeTypeH264) {
			c.mu.Lock()
			c.sinkErr = fmt.Errorf("the viewer got %s, not H.264", tr.Codec().MimeType)
			c.mu.Unlock()
			return
		}
		dec := &rtph264.Decoder{}
		if err := dec.Init(); err != nil {
			return
		}
		var buf []byte
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			au, err := dec.Decode(pkt)
			if err != nil {
				continue // more packets needed, or a loss: the decoder resyncs
			}
			buf = buf[:0]
			for _, n := range au {
				buf = append(buf, 0, 0, 0, 1)
				buf = append(buf, n...)
			}
			buf = append(buf, aud...)
			c.mu.Lock()
			if c.frames == 0 {
				c.firstKey = h264.IsRandomAccess(au)
			}
			c.frames++
			if c.sinkErr == nil && c.sink != nil {
				_, c.sinkErr = c.sink.Write(buf)
			}
			c.mu.Unlock()
			c.frameOnce.Do(func() { close(c.gotFrame) })
		}
	})
	fail := func(err error) (*whepClient, error) {
		c.Close()
		return nil, err
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fail(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return fail(err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(pc.LocalDescription().SDP))
	if err != nil {
		return fail(err)
	}
	req.Header.Set("Content-Type", "application/sdp")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fail(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fail(fmt.Errorf("WHEP POST: %s: %s", resp.Status, bytes.TrimSpace(body)))
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/sdp") {
		return fail(fmt.Errorf("WHEP answer of type %q", ct))
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		base, _ := url.Parse(endpoint)
		if u, err := base.Parse(loc); err == nil {
			c.resource = u.String()
		}
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(body)}); err != nil {
		return fail(err)
	}
	return c, nil
}

// waitFrame waits for the first video frame.
func (c *whepClient) waitFrame(d time.Duration) error {
	select {
	case <-c.gotFrame:
		return nil
	case <-time.After(d):
		return fmt.Errorf("no video frame over WHEP in %v", d)
	}
}

func (c *whepClient) stats() (frames, audio int, firstKey bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frames, c.audio, c.firstKey, c.sinkErr
}

// Close DELETEs the session (when the server gave one) and closes the
// PeerConnection; it waits for the track readers.
func (c *whepClient) Close() error {
	var err error
	if c.resource != "" {
		req, _ := http.NewRequest(http.MethodDelete, c.resource, nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		if resp, e := http.DefaultClient.Do(req); e != nil {
			err = e
		} else {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
				err = fmt.Errorf("WHEP DELETE: %s", resp.Status)
			}
		}
		c.resource = ""
	}
	err = errors.Join(err, c.pc.Close())
	c.readers.Wait()
	return err
}

// noBFramesCamera publishes a 320x240 25 fps test pattern in constrained
// baseline H.264 (no B-frames: browsers play WebRTC video in decode
// order) with AAC audio, for seconds.
func noBFramesCamera(t testing.TB, url string, seconds int) *exec.Cmd {
	need(t, "ffmpeg")
	return exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-re", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", fmt.Sprint(seconds), "-map", "0:v", "-map", "1:a",
		"-c:v", "libx264", "-profile:v", "baseline", "-bf", "0", "-preset", "veryfast", "-tune", "zerolatency", "-g", "25", "-keyint_min", "25",
		"-sc_threshold", "0", "-pix_fmt", "yuv420p", "-b:v", "300k", "-c:a", "aac", "-b:a", "48k", "-ar", "48000", "-ac", "1",
		"-f", "rtsp", "-rtsp_transport", "tcp", url)
}

// TestWHEPClientHelper checks the WHEP client helper against the server's
// /whep endpoint: an RTSP camera (main profile, B-frames, AAC) is received
// over WebRTC from its latest keyframe, ffmpeg decodes what the client
// wrote without a complaint, and AAC is not sent.
func TestWHEPClientHelper(t *testing.T) {
	srv := videoServer(t, false, nil)
	const stream = "whepcam"
	cam := ffmpegCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, 30, "tcp", "h264")
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Process.Kill(); cam.Wait() })

	// The camera's first keyframe, then a viewer.
	var c *whepClient
	deadline := time.Now().Add(20 * time.Second)
	var annexB bytes.Buffer
	var sink syncBuffer
	for {
		var err error
		c, err = dialWHEP(context.Background(), srv.URL()+"/whep/"+stream, "", &sink)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("WHEP viewer: %v", err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if err := c.waitFrame(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	waitUntil := time.Now().Add(20 * time.Second)
	for {
		if f, _, _, _ := c.stats(); f >= 75 {
			break
		}
		if time.Now().After(waitUntil) {
			t.Fatal("fewer than 75 frames in 20 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := c.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	frames, audio, firstKey, sinkErr := c.stats()
	if sinkErr != nil {
		t.Fatal(sinkErr)
	}
	if !firstKey {
		t.Error("the first frame is not a keyframe")
	}
	// The delimiter after the last unit starts an empty one.
	annexB.WriteString(strings.TrimSuffix(sink.String(), string(aud)))
	f := filepath.Join(t.TempDir(), "whep.h264")
	if err := os.WriteFile(f, annexB.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffmpeg", "-hide_banner", "-v", "error", "-i", f, "-f", "null", "-").CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("ffmpeg decoding the WHEP video: %v %s", err, out)
	}
	t.Logf("%d frames, %d audio packets (AAC is not sent)", frames, audio)
	if audio != 0 {
		t.Errorf("%d audio packets from an AAC camera", audio)
	}
	if n := srv.viewers.Viewers(); n != 0 {
		t.Errorf("%d viewers after DELETE", n)
	}
}

// TestWHEPPlayPageChromium: the /play page in headless Chromium plays a
// live RTSP camera over WebRTC (WHEP) and its frames advance. It needs the
// server's /whep endpoint (ingest/webrtc).
func TestWHEPPlayPageChromium(t *testing.T) {
	need(t, "chromium")
	srv := videoServer(t, false, nil)
	const stream = "webrtccam"
	cam := noBFramesCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, 60)
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Process.Kill(); cam.Wait() })
	livePlaylistText(t, srv, stream, true)

	type message struct {
		Stream string  `json:"stream"`
		State  string  `json:"state"`
		Event  string  `json:"event"`
		Via    string  `json:"via"`
		Frames int     `json:"frames"`
		Time   float64 `json:"time"`
	}
	msgs := make(chan message, 256)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, playEmbed, srv.URL()+"/play/"+stream)
		case "/result":
			var m message
			b, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(b, &m); err == nil {
				select {
				case msgs <- m:
				default:
				}
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer page.Close()
	logs, _ := startChromium(t, page.URL+"/", "--allow-loopback-in-peer-connection")

	var seen []string
	var first, last message
	timeout := time.After(60 * time.Second)
	for {
		select {
		case m := <-msgs:
			seen = append(seen, m.State+m.Event+"/"+m.Via)
			if m.Event == "playing" && m.Via != "WebRTC" {
				t.Fatalf("the page plays %q, not WebRTC (reported %v); chromium said:\n%s", m.Via, seen, logs.String())
			}
			if m.Event != "progress" || m.Via != "WebRTC" {
				continue
			}
			if first.Event == "" {
				first = m
			}
			last = m
		case <-timeout:
			t.Fatalf("no WebRTC progress for 60 s (reported %v); chromium said:\n%s", seen, logs.String())
		}
		if first.Event != "" && last.Frames-first.Frames >= 75 {
			break
		}
	}
	t.Logf("WebRTC: frames %d -> %d, currentTime %.2f -> %.2f", first.Frames, last.Frames, first.Time, last.Time)
	if last.Time <= first.Time {
		t.Errorf("video time did not advance: %.2f -> %.2f", first.Time, last.Time)
	}
}

// BenchmarkWHEPLatency publishes a barcode camera over RTSP into the
// shardcast binary and reads it over WHEP for BENCH_SECONDS (default 20):
// the client depacketizes H.264 and pipes it to ffmpeg, which decodes the
// burnt-in capture clock of every frame (glass to glass). Target: p50
// under 200 ms. It needs the server's /whep endpoint (ingest/webrtc).
func BenchmarkWHEPLatency(b *testing.B) {
	seconds := 20
	if v, _ := strconv.Atoi(os.Getenv("BENCH_SECONDS")); v > 0 {
		seconds = v
	}
	need(b, "ffmpeg")
	for i := 0; i < b.N; i++ {
		rtspAddr := freeTCP(b)
		srv := startBuilt(b, benchBinary, "--data-dir", b.TempDir(), "--rtsp", rtspAddr)
		const stream = "latency"
		cam := barcodeCamera("rtsp://"+rtspAddr+"/"+stream, seconds+10)
		if out, err := cam.StderrPipe(); err == nil {
			go io.Copy(io.Discard, out)
		}
		if err := cam.Start(); err != nil {
			b.Fatal(err)
		}
		dec := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-fflags", "nobuffer", "-flags", "low_delay",
			"-probesize", "32", "-analyzeduration", "0", "-f", "h264", "-i", "pipe:0",
			"-vf", "crop=640:16:0:8,scale=32:1:flags=area,format=gray", "-f", "rawvideo", "pipe:1")
		stdin, _ := dec.StdinPipe()
		stdout, _ := dec.StdoutPipe()
		if err := dec.Start(); err != nil {
			b.Fatal(err)
		}
		var mu sync.Mutex
		var g2g []float64
		read := make(chan struct{})
		go func() {
			defer close(read)
			// The first seconds hold the cached GOP the viewer starts with.
			readBarcodes(stdout, 3*time.Second, &g2g, &mu)
		}()
		var c *whepClient
		var err error
		deadline := time.Now().Add(20 * time.Second)
		for {
			c, err = dialWHEP(context.Background(), srv.url+"/whep/"+stream, "", stdin)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("WHEP viewer: %v", err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		time.Sleep(time.Duration(seconds) * time.Second)
		frames, _, _, sinkErr := c.stats()
		c.Close()
		stdin.Close()
		dec.Process.Kill()
		<-read
		dec.Wait()
		cam.Process.Kill()
		cam.Wait()
		if sinkErr != nil {
			b.Fatal(sinkErr)
		}
		if len(g2g) == 0 {
			b.Fatalf("measured no frames (%d received)", frames)
		}
		sort.Float64s(g2g)
		b.ReportMetric(g2g[len(g2g)/2], "g2g_p50_ms")
		b.ReportMetric(g2g[len(g2g)*95/100], "g2g_p95_ms")
		b.ReportMetric(float64(len(g2g)), "frames")
		b.ReportMetric(0, "ns/op")
	}
}
