package whep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/fragments/fragmentstest"
	"github.com/shardcast/shardcast/ingest"
)

// rig is a store with an ingest manager and a WHEP server, on a temp dir.
type rig struct {
	store   *fragments.Store
	manager *ingest.Manager
	whep    *Server
	api     *webrtc.API // the server's
}

func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func newRig(t *testing.T, cfg Config) *rig {
	t.Helper()
	st := fragmentstest.Open(t, fragments.Config{Logger: testLogger()})
	m := ingest.NewManager(ingest.Config{Store: st, AutoCreate: true, AutoCreateRetentionHours: 1, Logger: testLogger()})
	cfg.Store, cfg.Logger = st, testLogger()
	w := New(cfg)
	t.Cleanup(func() { w.Close(); m.Close() })
	return &rig{store: st, manager: m, whep: w, api: loopbackAPI(t)}
}

// loopbackAPI is a pion API on the loopback interface, UDP only.
func loopbackAPI(t *testing.T) *webrtc.API {
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		t.Fatal(err)
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir))
}

// clip is media encoded by ffmpeg: H.264 access units at 25 fps (keyframe
// every second, no B-frames) and Opus packets of 20 ms.
type clip struct {
	sps, pps []byte
	aus      [][][]byte
	opus     [][]byte
}

var clipOnce = sync.OnceValues(func() (*clip, error) {
	dir, err := os.MkdirTemp("", "whep-clip")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	v, a := filepath.Join(dir, "v.h264"), filepath.Join(dir, "a.ogg")
	for _, args := range [][]string{
		{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "4", "-c:v", "libx264", "-profile:v", "baseline", "-bf", "0",
			"-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-x264-params", "aud=1", "-pix_fmt", "yuv420p", "-f", "h264", v},
		{"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "4", "-ac", "2", "-c:a", "libopus", "-b:a", "32k", "-f", "ogg", a},
	} {
		out, err := exec.Command("ffmpeg", append([]string{"-hide_banner", "-v", "error", "-y"}, args...)...).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("ffmpeg (required): %v: %s", err, out)
		}
	}
	c := &clip{}
	raw, err := os.ReadFile(v)
	if err != nil {
		return nil, err
	}
	var cur [][]byte
	for _, n := range splitAnnexB(raw) {
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeAccessUnitDelimiter:
			if len(cur) > 0 {
				c.aus = append(c.aus, cur)
			}
			cur = nil
			continue
		case h264.NALUTypeSPS:
			c.sps = n
		case h264.NALUTypePPS:
			c.pps = n
		}
		cur = append(cur, n)
	}
	if len(cur) > 0 {
		c.aus = append(c.aus, cur)
	}
	ogg, err := os.ReadFile(a)
	if err != nil {
		return nil, err
	}
	if c.opus, err = oggPackets(ogg); err != nil {
		return nil, err
	}
	c.opus = c.opus[2:] // OpusHead, OpusTags
	if len(c.aus) != 100 || c.sps == nil || len(c.opus) < 190 {
		return nil, fmt.Errorf("clip: %d access units, %d Opus packets", len(c.aus), len(c.opus))
	}
	return c, nil
})

// splitAnnexB splits an H.264 byte stream at its start codes.
func splitAnnexB(b []byte) [][]byte {
	var out [][]byte
	start := -1
	for i := 0; i+2 < len(b); i++ {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				out = append(out, bytes.TrimRight(b[start:i], "\x00"))
			}
			start = i + 3
			i += 2
		}
	}
	if start >= 0 {
		out = append(out, b[start:])
	}
	return out
}

// oggPackets returns the packets of an Ogg stream.
func oggPackets(b []byte) ([][]byte, error) {
	var out [][]byte
	var cur []byte
	for len(b) > 0 {
		if len(b) < 27 || string(b[:4]) != "OggS" {
			return nil, errors.New("bad Ogg page")
		}
		n := int(b[26])
		if len(b) < 27+n {
			return nil, errors.New("short Ogg page")
		}
		lacing := b[27 : 27+n]
		data := b[27+n:]
		for _, l := range lacing {
			if len(data) < int(l) {
				return nil, errors.New("short Ogg page")
			}
			cur = append(cur, data[:l]...)
			data = data[l:]
			if l < 255 {
				out = append(out, cur)
				cur = nil
			}
		}
		b = data
	}
	return out, nil
}

func loadClip(t *testing.T) *clip {
	c, err := clipOnce()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// publisher feeds a clip, looped, into an ingest session in real time
// (speed times faster when speed > 1).
type publisher struct {
	sess *ingest.Session
	stop chan struct{}
	done chan struct{}

	mu     sync.Mutex
	opusAt map[string]int64 // Opus packet -> its PTS (the latest use)
	frames int
}

func publish(t *testing.T, r *rig, stream string, c *clip, audio bool, speed int) *publisher {
	t.Helper()
	tracks := []fragments.Track{{Codec: &codecs.H264{SPS: c.sps, PPS: c.pps}, ClockRate: 90000}}
	if audio {
		tracks = append(tracks, fragments.Track{Codec: &codecs.Opus{ChannelCount: 2}, ClockRate: 48000})
	}
	sess, err := r.manager.Start(ingest.Request{Stream: stream, Protocol: "test", Tracks: tracks})
	if err != nil {
		t.Fatal(err)
	}
	p := &publisher{sess: sess, stop: make(chan struct{}), done: make(chan struct{}), opusAt: map[string]int64{}}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(40 * time.Millisecond / time.Duration(speed))
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
			now := ingest.Timing{Arrival: time.Now()}
			sess.WriteH264(0, now, int64(i)*3600, c.aus[i%len(c.aus)])
			if audio {
				for k := range 2 {
					j := 2*i + k
					pkt := c.opus[j%len(c.opus)]
					p.mu.Lock()
					p.opusAt[string(pkt)] = int64(j) * 960
					p.mu.Unlock()
					sess.WriteOpus(1, now, int64(j)*960, [][]byte{pkt})
				}
			}
			p.mu.Lock()
			p.frames++
			p.mu.Unlock()
		}
	}()
	t.Cleanup(p.close)
	return p
}

func (p *publisher) close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
	p.sess.Close()
}

// client is a pion viewer: it receives video into Annex-B and Opus
// packets with their RTP timestamps.
type client struct {
	pc      *webrtc.PeerConnection
	readers sync.WaitGroup

	mu        sync.Mutex
	annexB    bytes.Buffer
	frames    int
	firstKey  bool // the first access unit was an IDR
	videoTS   []uint32
	videoAUs  [][][]byte
	opus      [][]byte
	opusTS    []uint32
	gotVideo  chan struct{}
	videoOnce sync.Once
}

// offer makes a recvonly offer for video and audio, candidates gathered.
func newClient(t *testing.T, api *webrtc.API, read bool) (*client, string) {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	c := &client{pc: pc, gotVideo: make(chan struct{})}
	t.Cleanup(c.close)
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if !read {
			return
		}
		c.readers.Add(1)
		defer c.readers.Done()
		if tr.Kind() == webrtc.RTPCodecTypeAudio {
			for {
				pkt, _, err := tr.ReadRTP()
				if err != nil {
					return
				}
				c.mu.Lock()
				c.opus = append(c.opus, append([]byte(nil), pkt.Payload...))
				c.opusTS = append(c.opusTS, pkt.Timestamp)
				c.mu.Unlock()
			}
		}
		dec := &rtph264.Decoder{}
		if err := dec.Init(); err != nil {
			panic(err)
		}
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			au, err := dec.Decode(pkt)
			if err != nil {
				continue
			}
			b, _ := h264.AnnexB(au).Marshal()
			c.mu.Lock()
			if c.frames == 0 {
				c.firstKey = h264.IsRandomAccess(au)
			}
			c.frames++
			c.annexB.Write(b)
			c.videoTS = append(c.videoTS, pkt.Timestamp)
			c.videoAUs = append(c.videoAUs, au)
			c.mu.Unlock()
			c.videoOnce.Do(func() { close(c.gotVideo) })
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return c, pc.LocalDescription().SDP
}

func (c *client) answer(t *testing.T, sdp string) {
	t.Helper()
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		t.Fatal(err)
	}
}

func (c *client) close() {
	c.pc.Close()
	c.readers.Wait()
}

func (c *client) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frames
}

// play connects a reading client to stream.
func play(t *testing.T, r *rig, stream string) (*client, Viewer) {
	t.Helper()
	c, offer := newClient(t, loopbackAPI(t), true)
	v, answer, err := r.whep.Play(context.Background(), r.api, stream, offer)
	if err != nil {
		t.Fatal(err)
	}
	c.answer(t, answer)
	return c, v
}

// ffmpegErrors decodes Annex-B H.264 and returns what ffmpeg complains of.
func ffmpegErrors(t *testing.T, annexB []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "got.h264")
	if err := os.WriteFile(f, annexB, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffmpeg", "-hide_banner", "-v", "error", "-i", f, "-f", "null", "-").CombinedOutput()
	if err != nil {
		return fmt.Sprintf("ffmpeg: %v: %s", err, out)
	}
	return string(out)
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s in %v", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settle waits for the goroutine count to come back to at most n.
func settle(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestH264AndOpus: a viewer joining mid-GOP gets the latest keyframe first,
// video that ffmpeg decodes without a complaint, Opus packets exactly as
// published, and RTP timestamps of both tracks on one clock from the
// units' presentation times. Closing it frees everything.
func TestH264AndOpus(t *testing.T) {
	c := loadClip(t)
	r := newRig(t, Config{})
	pub := publish(t, r, "cam", c, true, 1)
	time.Sleep(1300 * time.Millisecond) // join mid-GOP
	before := runtime.NumGoroutine()

	cl, v := play(t, r, "cam")
	select {
	case <-cl.gotVideo:
	case <-time.After(10 * time.Second):
		t.Fatal("no video 10 s after the answer")
	}
	waitFor(t, "75 frames", 20*time.Second, func() bool { return cl.count() >= 75 })
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-v.Done():
	default:
		t.Fatal("Done open after Close")
	}
	cl.close()

	cl.mu.Lock()
	defer cl.mu.Unlock()
	if !cl.firstKey {
		t.Error("the first access unit is not a keyframe")
	}
	if msg := ffmpegErrors(t, cl.annexB.Bytes()); msg != "" {
		t.Errorf("ffmpeg decoding what the viewer got: %s", msg)
	}
	// Opus passes through: every packet is one the publisher sent.
	pub.mu.Lock()
	opusAt := maps.Clone(pub.opusAt) // the publisher goes on writing
	pub.mu.Unlock()
	if len(cl.opus) < 50 {
		t.Fatalf("%d Opus packets received", len(cl.opus))
	}
	for i, p := range cl.opus {
		if _, ok := opusAt[string(p)]; !ok {
			t.Fatalf("Opus packet %d was not published as such", i)
		}
	}
	// One clock: for live units, RTP time minus media time (both in ns) is
	// the same for audio and video. The clip repeats, so identify video by
	// its frame index within the loop and audio by packet.
	vw := v.(*viewer)
	offsets := func(ts []uint32, pts []int64, base uint32, clock int64) []int64 {
		var out []int64
		for i := range ts {
			out = append(out, toNs(int64(ts[i]-base), clock)-toNs(pts[i], clock))
		}
		return out
	}
	// Video PTS: frames are consecutive from the last keyframe; recover
	// their index by content within the 100-frame loop.
	body := func(au [][]byte) string {
		var b [][]byte
		for _, n := range au {
			if typ := h264.NALUType(n[0] & 0x1f); typ != h264.NALUTypeSPS && typ != h264.NALUTypePPS {
				b = append(b, n)
			}
		}
		return string(bytes.Join(b, []byte{0, 0, 1}))
	}
	indexOf := map[string]int{}
	for i, au := range c.aus {
		indexOf[body(au)] = i
	}
	var vpts []int64
	var vts []uint32
	loops := 0
	prev := -1
	for i, au := range cl.videoAUs {
		k, ok := indexOf[body(au)]
		if !ok {
			t.Fatalf("received access unit %d is not one published", i)
		}
		if prev >= 0 && k < prev {
			loops++
		}
		prev = k
		vpts = append(vpts, int64(loops*100+k)*3600)
		vts = append(vts, cl.videoTS[i])
	}
	vo := offsets(vts, vpts, vw.video.pk.Timestamp(0), 90000)
	// The cached units come first, drawn together; then the live ones.
	live := vo[len(vo)-1]
	nLive := 0
	for i := len(vo) - 1; i >= 0 && abs(vo[i]-live) < int64(50*time.Microsecond); i-- {
		nLive++
	}
	if nLive < 40 {
		t.Errorf("only the last %d of %d frames keep one RTP-to-media offset: %v", nLive, len(vo), vo)
	}
	// Audio: the loop of Opus packets is 4 s; map each packet to the PTS
	// nearest the video's.
	for i, p := range cl.opus {
		at := opusAt[string(p)]
		// Undo the loop: the published PTS of this packet may be a later
		// repeat; take the repeat nearest the live offset.
		loop := int64(len(c.opus)) * 960
		base := toNs(int64(cl.opusTS[i]-vw.audio.pk.Timestamp(0)), 48000) - live
		ticks := toTicks(base, 48000)
		at += (ticks - at) / loop * loop
		for at+loop/2 < ticks {
			at += loop
		}
		for at-loop/2 > ticks {
			at -= loop
		}
		off := toNs(int64(cl.opusTS[i]-vw.audio.pk.Timestamp(0)), 48000) - toNs(at, 48000)
		if abs(off-live) > int64(50*time.Microsecond) {
			t.Fatalf("Opus packet %d: RTP-to-media offset %v, video's %v: the tracks are not on one clock", i, time.Duration(off), time.Duration(live))
		}
	}
	t.Logf("%d frames (%d on the live offset), %d Opus packets; viewers now %d", len(vo), nLive, len(cl.opus), r.whep.Viewers())
	cl.mu.Unlock()
	settle(t, before)
	cl.mu.Lock()
	if r.whep.Viewers() != 0 {
		t.Errorf("%d viewers after Close", r.whep.Viewers())
	}
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestStalledViewer: a viewer that does not take its media (its client
// never connects, so its sender is stuck as a blocked write would be)
// holds back neither the publisher nor another viewer, which gets every
// frame; the stalled one is skipped ahead by the feed.
func TestStalledViewer(t *testing.T) {
	c := loadClip(t)
	r := newRig(t, Config{ConnectTimeout: time.Minute})
	pub := publish(t, r, "cam", c, false, 8) // 200 frames a second
	time.Sleep(300 * time.Millisecond)

	_, offer := newClient(t, loopbackAPI(t), false)
	stalled, _, err := r.whep.Play(context.Background(), r.api, "cam", offer) // the answer is never applied
	if err != nil {
		t.Fatal(err)
	}
	good, v := play(t, r, "cam")
	<-good.gotVideo
	waitFor(t, "the stalled viewer to drop units", 30*time.Second, func() bool { return stalled.(*viewer).sub.Dropped() > 0 })
	got0 := good.count()
	pub.mu.Lock()
	sent0 := pub.frames
	pub.mu.Unlock()
	waitFor(t, "600 more frames", 30*time.Second, func() bool { return good.count() >= got0+600 })
	pub.mu.Lock()
	sent := pub.frames - sent0
	pub.mu.Unlock()
	if d := pub.sess.Info().DroppedUnits; d != 0 {
		t.Errorf("the publisher's session dropped %d units", d)
	}
	if d := v.(*viewer).sub.Dropped(); d != 0 {
		t.Errorf("the reading viewer missed %d units", d)
	}
	t.Logf("reading viewer: %d frames while %d were published; stalled viewer skipped %d units", good.count()-got0, sent, stalled.(*viewer).sub.Dropped())
	stalled.Close()
	v.Close()
	good.close()
	good.mu.Lock()
	defer good.mu.Unlock()
	if msg := ffmpegErrors(t, good.annexB.Bytes()); msg != "" {
		t.Errorf("ffmpeg: %s", msg)
	}
}

// TestPublisherReturns: when the publisher leaves, the viewer waits, and
// follows the next publisher of the same codec; with none it ends.
func TestPublisherReturns(t *testing.T) {
	c := loadClip(t)
	r := newRig(t, Config{RejoinWait: 3 * time.Second})
	pub := publish(t, r, "cam", c, false, 1)
	cl, v := play(t, r, "cam")
	waitFor(t, "30 frames", 20*time.Second, func() bool { return cl.count() >= 30 })
	pub.close()
	time.Sleep(500 * time.Millisecond)
	n := cl.count()
	pub2 := publish(t, r, "cam", c, false, 1)
	waitFor(t, "frames of the second publisher", 20*time.Second, func() bool { return cl.count() >= n+30 })
	pub2.close()
	select {
	case <-v.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the viewer did not end when no publisher came back")
	}
	cl.close()
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if msg := ffmpegErrors(t, cl.annexB.Bytes()); msg != "" {
		t.Errorf("ffmpeg: %s", msg)
	}
}

// TestRefusals: each refusal is an *Error with its HTTP status and a
// message naming the problem, and leaves nothing behind.
func TestRefusals(t *testing.T) {
	c := loadClip(t)
	r := newRig(t, Config{})
	_, offer := newClient(t, loopbackAPI(t), false)
	if _, err := r.store.CreateStream(fragments.CreateInput{Name: "idle", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	publish(t, r, "cam", c, false, 1)
	time.Sleep(300 * time.Millisecond)
	before := runtime.NumGoroutine()
	check := func(name, stream, offer string, status int, msg string) {
		t.Helper()
		_, _, err := r.whep.Play(context.Background(), r.api, stream, offer)
		var e interface{ HTTPStatus() int }
		if !errors.As(err, &e) || e.HTTPStatus() != status || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: got %v, want %d %q", name, err, status, msg)
		}
	}
	check("unknown stream", "nope", offer, http.StatusNotFound, "no video stream")
	check("no publisher", "idle", offer, http.StatusNotFound, "not live")
	check("malformed", "cam", "v=0 nonsense", http.StatusBadRequest, "malformed")
	vp8 := onlyVP8(offer)
	check("VP8 only", "cam", vp8, http.StatusNotAcceptable, "H.264 video; the offer has no H.264 with packetization-mode=1 (it offers video: VP8")
	settle(t, before)
	if r.whep.Viewers() != 0 {
		t.Errorf("%d viewers after refusals", r.whep.Viewers())
	}
}

// onlyVP8 keeps only VP8 in an offer's video m-line.
func onlyVP8(offer string) string {
	lines := strings.Split(offer, "\r\n")
	vp8 := ""
	for _, l := range lines {
		if strings.HasPrefix(l, "a=rtpmap:") && strings.Contains(l, " VP8/") {
			vp8 = strings.TrimPrefix(strings.Fields(l)[0], "a=rtpmap:")
		}
	}
	var out []string
	video := false
	for _, l := range lines {
		if strings.HasPrefix(l, "m=") {
			video = strings.HasPrefix(l, "m=video")
			if video {
				f := strings.Fields(l)
				l = strings.Join(append(f[:3], vp8), " ")
			}
		}
		if video && (strings.HasPrefix(l, "a=rtpmap:") || strings.HasPrefix(l, "a=fmtp:") || strings.HasPrefix(l, "a=rtcp-fb:")) {
			pt, _, _ := strings.Cut(strings.SplitN(l, ":", 2)[1], " ")
			if pt != vp8 {
				continue
			}
		}
		out = append(out, l)
	}
	return strings.Join(out, "\r\n")
}
