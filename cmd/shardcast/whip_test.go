package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/shardcast/shardcast/fragments"
	shwebrtc "github.com/shardcast/shardcast/ingest/webrtc"
)

// whipClip is an H.264 clip as Annex-B access units (SPS and PPS before
// every keyframe), made with ffmpeg once per test binary.
var whipClip = sync.OnceValues(func() ([][]byte, error) {
	dir, err := os.MkdirTemp("", "whip-clip")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "clip.h264")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-t", "4", "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "baseline", "-bf", "0", "-g", "25", "-keyint_min", "25",
		"-sc_threshold", "0", "-b:v", "500k", "-maxrate", "500k", "-bufsize", "500k", "-pix_fmt", "yuv420p",
		"-x264-params", "repeat-headers=1:slices=1", "-bsf:v", "h264_metadata=aud=insert", "-f", "h264", path).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("ffmpeg: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var aus [][]byte
	for _, n := range splitAnnexB(raw) {
		if h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter {
			aus = append(aus, nil)
			continue
		}
		if len(aus) == 0 {
			aus = append(aus, nil)
		}
		aus[len(aus)-1] = append(append(aus[len(aus)-1], 0, 0, 0, 1), n...)
	}
	return aus, nil
})

// whipOpts shapes a pion WHIP publisher.
type whipOpts struct {
	token   string
	trickle bool     // offer without candidates, then PATCH them
	tcpOnly bool     // ICE over TCP only
	drop    float64  // share of RTP packets lost on the way (NACK off, so none come back)
	clip    [][]byte // Annex-B access units to send (default whipClip)
}

// whipClient is a pion publisher replaying whipClip at 25 fps.
type whipClient struct {
	t        testing.TB
	base     string
	opts     whipOpts
	pc       *webrtc.PeerConnection
	track    *webrtc.TrackLocalStaticSample
	location string
	etag     string
	plis     atomic.Int64
	remb     atomic.Int64 // the latest bitrate cap the server sent (REMB), bit/s
	dropped  atomic.Int64
	frames   atomic.Int64
	stop     chan struct{}
	wg       sync.WaitGroup
	http     *http.Client
}

// dropper loses a share of the RTP packets a client sends.
type dropper struct {
	interceptor.NoOp
	share float64
	rng   *rand.Rand
	mu    sync.Mutex
	n     *atomic.Int64
}

func (d *dropper) BindLocalStream(_ *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		d.mu.Lock()
		lose := d.rng.Float64() < d.share
		d.mu.Unlock()
		if lose {
			d.n.Add(1)
			return h.MarshalSize() + len(payload), nil
		}
		return w.Write(h, payload, a)
	})
}

type dropperFactory struct{ d *dropper }

func (f dropperFactory) NewInterceptor(string) (interceptor.Interceptor, error) { return f.d, nil }

// newWHIPClient makes a publisher's peer connection (not yet offered).
func newWHIPClient(t testing.TB, base string, o whipOpts) *whipClient {
	t.Helper()
	c := &whipClient{t: t, base: base, opts: o, stop: make(chan struct{}),
		http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}}
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{PayloadType: 102, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
		RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}}}}, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if o.drop > 0 {
		ir.Add(dropperFactory{&dropper{share: o.drop, rng: rand.New(rand.NewPCG(1, 2)), n: &c.dropped}})
	} else if err := webrtc.ConfigureNack(me, ir); err != nil {
		t.Fatal(err)
	}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	if o.tcpOnly {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeTCP4})
	} else {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	c.pc = pc
	c.track, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000}, "video", "whip-test")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := pc.AddTransceiverFromTrack(c.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		t.Fatal(err)
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			pkts, _, err := tr.Sender().ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				if _, ok := p.(*rtcp.PictureLossIndication); ok {
					c.plis.Add(1)
				}
				if r, ok := p.(*rtcp.ReceiverEstimatedMaximumBitrate); ok {
					c.remb.Store(int64(r.Bitrate))
				}
			}
		}
	}()
	t.Cleanup(c.close)
	return c
}

// request sends one WHIP request with the client's token.
func (c *whipClient) request(method, url, ctype, body string, hdr ...string) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.opts.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// offer makes the client's offer: complete, or (trickle) without
// candidates, which then come through fragment.
func (c *whipClient) offer() (sdp string, fragment func() string) {
	c.t.Helper()
	var mu sync.Mutex
	var cands []string
	gathered := make(chan struct{})
	c.pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand == nil {
			close(gathered)
			return
		}
		mu.Lock()
		cands = append(cands, cand.ToJSON().Candidate)
		mu.Unlock()
	})
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.pc.SetLocalDescription(offer); err != nil {
		c.t.Fatal(err)
	}
	frag := func() string {
		select {
		case <-gathered:
		case <-time.After(10 * time.Second):
			c.t.Fatal("the client gathered no candidates")
		}
		ufrag, pwd := sdpAttr(offer.SDP, "ice-ufrag"), sdpAttr(offer.SDP, "ice-pwd")
		var b strings.Builder
		fmt.Fprintf(&b, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:0\r\n", ufrag, pwd)
		mu.Lock()
		for _, cand := range cands {
			fmt.Fprintf(&b, "a=%s\r\n", cand)
		}
		mu.Unlock()
		b.WriteString("a=end-of-candidates\r\n")
		return b.String()
	}
	if c.opts.trickle {
		return offer.SDP, frag
	}
	frag() // wait for gathering: the local description then has them all
	return c.pc.LocalDescription().SDP, nil
}

func sdpAttr(sdp, key string) string {
	for _, line := range strings.Split(sdp, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "a="+key+":"); ok {
			return v
		}
	}
	return ""
}

// publish offers to /whip/stream, applies the answer and waits for the
// connection; it returns the POST's answer.
func (c *whipClient) publish(stream string) *http.Response {
	c.t.Helper()
	offer, frag := c.offer()
	start := time.Now()
	resp, body := c.request("POST", c.base+"/whip/"+stream, "application/sdp", offer)
	if resp.StatusCode != http.StatusCreated {
		c.t.Fatalf("POST /whip/%s: %d %s", stream, resp.StatusCode, body)
	}
	c.t.Logf("WHIP answer in %v", time.Since(start))
	c.location, c.etag = resp.Header.Get("Location"), resp.Header.Get("ETag")
	if !strings.HasPrefix(c.location, "/whip/"+stream+"/") || c.etag == "" || resp.Header.Get("Content-Type") != "application/sdp" {
		c.t.Fatalf("answer headers: Location %q ETag %q Content-Type %q", c.location, c.etag, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(body, "a=candidate:") {
		c.t.Fatalf("the answer has no candidates:\n%s", body)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: body}); err != nil {
		c.t.Fatal(err)
	}
	if frag != nil {
		r, b := c.request("PATCH", c.base+c.location, "application/trickle-ice-sdpfrag", frag(), "If-Match", c.etag)
		if r.StatusCode != http.StatusNoContent {
			c.t.Fatalf("PATCH candidates: %d %s", r.StatusCode, b)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for c.pc.ConnectionState() != webrtc.PeerConnectionStateConnected {
		if time.Now().After(deadline) {
			c.t.Fatalf("not connected: %s", c.pc.ConnectionState())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return resp
}

// send replays the clip at 25 fps for d, from a keyframe.
func (c *whipClient) send(d time.Duration) {
	c.t.Helper()
	aus := c.opts.clip
	if aus == nil {
		var err error
		if aus, err = whipClip(); err != nil {
			c.t.Fatal(err)
		}
	}
	tick := time.NewTicker(40 * time.Millisecond)
	defer tick.Stop()
	n := int(d / (40 * time.Millisecond))
	for i := 0; i < n; i++ {
		<-tick.C
		if err := c.track.WriteSample(media.Sample{Data: aus[i%len(aus)], Duration: 40 * time.Millisecond}); err != nil {
			c.t.Fatalf("write sample: %v", err)
		}
		c.frames.Add(1)
	}
}

// end DELETEs the session and closes the client.
func (c *whipClient) end() {
	c.t.Helper()
	if r, b := c.request("DELETE", c.base+c.location, "", ""); r.StatusCode != http.StatusOK {
		c.t.Fatalf("DELETE: %d %s", r.StatusCode, b)
	}
	c.close()
}

func (c *whipClient) close() {
	c.pc.Close()
	c.wg.Wait()
}

// selectedNetwork is the transport of the client's selected candidate pair.
func (c *whipClient) selectedNetwork() string {
	for _, tr := range c.pc.GetTransceivers() {
		if s := tr.Sender(); s != nil && s.Transport() != nil {
			if p, err := s.Transport().ICETransport().GetSelectedCandidatePair(); err == nil && p != nil {
				return p.Local.Protocol.String()
			}
		}
	}
	return ""
}

// settled waits until the server has no WHIP session, no ingest session,
// and no more goroutines and open files than at the baseline.
func settled(t *testing.T, srv *testServer, goroutines, files int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		g, f := runtime.NumGoroutine(), openFiles(t, srv.dir)
		if srv.whip.Sessions() == 0 && len(srv.ingest.Sessions()) == 0 && g <= goroutines && f <= files {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("left behind: %d WHIP sessions, %d ingest sessions, %d goroutines (baseline %d), %d open files (baseline %d)\n%s",
				srv.whip.Sessions(), len(srv.ingest.Sessions()), g, goroutines, f, files, buf)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// openFiles counts the process's open files other than the store's own
// (streams open their segment files as they grow): sockets above all.
func openFiles(t *testing.T, dataDir string) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(target, dataDir) {
			continue
		}
		n++
	}
	return n
}

// decodeClean rebuilds the stored fragments into one file and decodes it
// all with ffmpeg: nothing may be printed at level error.
func decodeClean(t *testing.T, frags []*fragments.Fragment) {
	t.Helper()
	need(t, "ffmpeg")
	var file []byte
	file = append(file, frags[0].Init...)
	for _, f := range frags {
		file = append(file, f.Data...)
	}
	path := filepath.Join(t.TempDir(), "stored.mp4")
	os.WriteFile(path, file, 0o644)
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("ffmpeg decoding the stored fragments: %v\n%s", err, out)
	}
	// A frame dropped in the middle of a GOP leaves the frames after it
	// without their reference: H.264 decoders notice the gap in frame_num
	// (said at debug level) and show a damaged picture.
	out, err = exec.Command("ffmpeg", "-v", "debug", "-i", path, "-f", "null", "-").CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	if n := bytes.Count(out, []byte("Frame num gap")); n > 0 {
		t.Fatalf("the stored video misses frames that later frames reference (%d frame_num gaps)", n)
	}
}

// storedFragments reads every fragment of a stream.
func storedFragments(t *testing.T, srv *testServer, stream string) []*fragments.Fragment {
	t.Helper()
	st, err := srv.video.Lookup(fragments.StreamRef{Name: stream})
	if err != nil {
		t.Fatal(err)
	}
	frags, _, err := st.Read(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if len(frags) == 0 {
		t.Fatal("no fragment stored")
	}
	for i, f := range frags {
		if ft := parseFragment(t, f.Data); len(ft) == 0 || !ft[0].firstIsSync {
			t.Fatalf("fragment %d does not start with a keyframe", i)
		}
	}
	return frags
}

// Trickle ICE: the offer carries no candidate, a PATCH brings them; the
// stream is stored whole.
func TestWHIPTrickle(t *testing.T) {
	need(t, "ffmpeg")
	cfg := testConfig(t)
	cfg.WebRTCOpts.MaxBitrate = 1_500_000
	srv := startServer(t, cfg)
	c := newWHIPClient(t, srv.URL(), whipOpts{trickle: true})
	c.publish("trickle")
	c.send(4 * time.Second)
	// The configured cap reaches the publisher as REMB.
	if got := c.remb.Load(); got != 1_500_000 {
		t.Errorf("REMB asks for %d bit/s, want the configured 1500000", got)
	}
	c.end()
	waitIdle(t, srv)
	frags := checkFragments(t, srv, "trickle", 4, 1)
	decodeClean(t, frags)
	if c.plis.Load() == 0 {
		t.Error("the publisher was never asked for a keyframe")
	}
}

// ICE over TCP only (the client gathers no UDP candidate) publishes.
func TestWHIPTCPOnly(t *testing.T) {
	need(t, "ffmpeg")
	srv := startServer(t, testConfig(t))
	c := newWHIPClient(t, srv.URL(), whipOpts{tcpOnly: true})
	c.publish("tcp")
	if n := c.selectedNetwork(); n != "tcp" {
		t.Fatalf("selected candidate pair is %q, want tcp", n)
	}
	c.send(4 * time.Second)
	c.end()
	waitIdle(t, srv)
	decodeClean(t, checkFragments(t, srv, "tcp", 4, 1))
}

// 2 % of the RTP packets are lost on the way and not retransmitted: no
// damaged frame is stored (every stored frame decodes cleanly), and the
// publisher is asked for keyframes.
func TestWHIPPacketLoss(t *testing.T) {
	need(t, "ffmpeg")
	srv := startServer(t, testConfig(t))
	c := newWHIPClient(t, srv.URL(), whipOpts{drop: 0.02})
	c.publish("lossy")
	plis0 := c.plis.Load()
	c.send(8 * time.Second)
	c.end()
	waitIdle(t, srv)
	t.Logf("%d frames sent, %d packets dropped, %d PLIs (%d at the start)", c.frames.Load(), c.dropped.Load(), c.plis.Load(), plis0)
	if c.dropped.Load() == 0 {
		t.Fatal("no packet was dropped")
	}
	if c.plis.Load() <= plis0 {
		t.Fatal("no keyframe request after loss")
	}
	decodeClean(t, storedFragments(t, srv, "lossy"))
}

// An OBS-shaped publisher: a bearer token, the complete offer (no
// trickle), DELETE at the end. Around it, each wrong request gets a clear
// 4xx, and afterwards nothing is left behind.
func TestWHIPOBSAndErrors(t *testing.T) {
	need(t, "ffmpeg")
	cfg := testConfig(t)
	cfg.WebRTCOpts.Tokens = map[string]string{"obs": "obs-secret"}
	cfg.WebRTCOpts.ICEServers = []shwebrtc.ICEServer{{URL: "stun:stun.example.net:3478"}}
	srv := startServer(t, cfg)
	base := srv.URL()
	// The stream exists before the baseline: its shard's writer and files
	// are the stream's, not the session's.
	if _, err := srv.video.CreateStream(fragments.CreateInput{Name: "obs", RetentionHours: 24}); err != nil {
		t.Fatal(err)
	}
	goroutines, files := runtime.NumGoroutine(), openFiles(t, srv.dir)

	probe := newWHIPClient(t, base, whipOpts{})
	resp, _ := probe.request("OPTIONS", base+"/whip/obs", "", "")
	if resp.StatusCode != http.StatusNoContent || !strings.Contains(resp.Header.Get("Link"), `<stun:stun.example.net:3478>; rel="ice-server"`) {
		t.Fatalf("OPTIONS: %d Link %q", resp.StatusCode, resp.Header.Get("Link"))
	}
	// A wrong token, and none: 401 with a Bearer challenge.
	for _, tok := range []string{"wrong", ""} {
		bad := newWHIPClient(t, base, whipOpts{token: tok})
		offer, _ := bad.offer()
		r, body := bad.request("POST", base+"/whip/obs", "application/sdp", offer)
		if r.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("token %q: %d %q %s", tok, r.StatusCode, r.Header.Get("WWW-Authenticate"), body)
		}
		bad.close()
	}
	obs := newWHIPClient(t, base, whipOpts{token: "obs-secret"})
	obs.publish("obs")
	// A second publisher to the busy stream.
	second := newWHIPClient(t, base, whipOpts{token: "obs-secret"})
	offer, _ := second.offer()
	if r, body := second.request("POST", base+"/whip/obs", "application/sdp", offer); r.StatusCode != http.StatusConflict {
		t.Fatalf("second publisher: %d %s", r.StatusCode, body)
	}
	second.close()
	// Malformed SDP, the wrong content type, an offer with nothing to store.
	for _, c := range []struct {
		name, ctype, body string
		code              int
		says              string
	}{
		{"malformed", "application/sdp", "this is not SDP", 400, "not a valid SDP"},
		{"content type", "text/plain", offer, 415, "application/sdp"},
		{"vp8 only", "application/sdp", vp8Offer, 406, "H264, H265, VP9, AV1 video; Opus audio"},
	} {
		r, body := probe.request("POST", base+"/whip/other", c.ctype, c.body)
		if r.StatusCode != c.code || !strings.Contains(body, c.says) {
			t.Errorf("%s: %d %q, want %d saying %q", c.name, r.StatusCode, body, c.code, c.says)
		}
	}
	obs.send(4 * time.Second)
	// PATCH with a stale ETag, and with none.
	if r, body := obs.request("PATCH", base+obs.location, "application/trickle-ice-sdpfrag", "a=end-of-candidates\r\n", "If-Match", `"stale"`); r.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("stale ETag: %d %s", r.StatusCode, body)
	}
	if r, body := obs.request("PATCH", base+obs.location, "application/trickle-ice-sdpfrag", "a=end-of-candidates\r\n"); r.StatusCode != http.StatusPreconditionRequired {
		t.Errorf("no If-Match: %d %s", r.StatusCode, body)
	}
	// DELETE of a session that does not exist.
	if r, body := obs.request("DELETE", base+"/whip/obs/0123456789abcdef", "", ""); r.StatusCode != http.StatusNotFound {
		t.Errorf("DELETE unknown: %d %s", r.StatusCode, body)
	}
	obs.end()
	// DELETE again: the session is gone.
	if r, _ := obs.request("DELETE", base+obs.location, "", ""); r.StatusCode != http.StatusNotFound {
		t.Errorf("second DELETE: %d", r.StatusCode)
	}
	probe.close()
	waitIdle(t, srv)
	// Checked before the SDK reads fragments: its keep-alive connections
	// are the test's, not the sessions'.
	settled(t, srv, goroutines, files)
	decodeClean(t, checkFragments(t, srv, "obs", 4, 1))
}

// vp8Offer offers VP8 video only, which shardcast does not store.
const vp8Offer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\na=rtcp-mux\r\n" +
	"a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n" +
	"a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n" +
	"a=setup:actpass\r\na=rtpmap:96 VP8/90000\r\n"
