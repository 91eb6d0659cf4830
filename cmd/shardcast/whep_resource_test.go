package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/pion/webrtc/v4"

	shwebrtc "github.com/shardcast/shardcast/ingest/webrtc"
)

// whepRequest sends one request to the server with optional headers
// (name, value pairs) and returns the status, headers and body.
func whepRequest(t *testing.T, method, u, ctype, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// trickleViewer is a pion WHEP viewer whose offer carries no candidate:
// they come after the answer, in a PATCH.
type trickleViewer struct {
	pc       *webrtc.PeerConnection
	offer    string
	mu       sync.Mutex
	cands    []string
	gathered chan struct{}
	once     sync.Once
	video    atomic.Int64
	location string
	etag     string
}

func newTrickleViewer(t *testing.T) *trickleViewer {
	t.Helper()
	api, err := whepClientAPI()
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	v := &trickleViewer{pc: pc, gathered: make(chan struct{})}
	t.Cleanup(func() { pc.Close() })
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			if tr.Kind() == webrtc.RTPCodecTypeVideo {
				v.video.Add(1)
			}
		}
	})
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			v.once.Do(func() { close(v.gathered) })
			return
		}
		v.mu.Lock()
		v.cands = append(v.cands, c.ToJSON().Candidate)
		v.mu.Unlock()
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	v.offer = offer.SDP
	return v
}

// fragment is the viewer's candidates as a trickle-ice-sdpfrag.
func (v *trickleViewer) fragment(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n", sdpAttr(v.offer, "ice-ufrag"), sdpAttr(v.offer, "ice-pwd"))
	select {
	case <-v.gathered:
	case <-time.After(10 * time.Second):
		t.Fatal("the viewer did not finish gathering candidates in 10 s")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.cands) == 0 {
		t.Fatal("the viewer gathered no candidates")
	}
	for _, c := range v.cands {
		fmt.Fprintf(&b, "a=%s\r\n", c)
	}
	b.WriteString("a=end-of-candidates\r\n")
	return b.String()
}

// postWHEP POSTs an offer until the stream has a first keyframe to serve
// (a camera that has just connected has none yet: 404).
func postWHEP(t *testing.T, u, offer string, hdr ...string) (*http.Response, string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, body := whepRequest(t, "POST", u, "application/sdp", offer, hdr...)
		if resp.StatusCode != http.StatusNotFound || time.Now().After(deadline) {
			return resp, body
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitViewers waits until the WHEP server has n viewers and the handler n
// sessions.
func waitViewers(t *testing.T, srv *testServer, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for srv.viewers.Viewers() != n || srv.whip.Sessions() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d WHEP viewers and %d sessions, want %d", srv.viewers.Viewers(), srv.whip.Sessions(), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WHEP follows the resource rules of WHIP: a viewer of a live RTSP camera
// POSTs an offer without candidates and gets 201 with the answer, a
// Location, an ETag and the ICE servers; PATCHes its candidates (If-Match);
// receives video; DELETE ends it on the server. A stream without a
// publisher gets 404.
func TestWHEPResource(t *testing.T) {
	srv := videoServer(t, false, func(c *Config) {
		c.WebRTCOpts.ICEServers = []shwebrtc.ICEServer{{URL: "stun:stun.example.net:3478"}}
	})
	base := srv.URL()

	nobody := newTrickleViewer(t)
	if r, body := whepRequest(t, "POST", base+"/whep/nobody", "application/sdp", nobody.offer); r.StatusCode != http.StatusNotFound || strings.TrimSpace(body) == "" {
		t.Fatalf("WHEP of a stream without a publisher: %d %q, want 404 saying why", r.StatusCode, body)
	}
	waitViewers(t, srv, 0)

	const stream = "whepres"
	cam := noBFramesCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, 60)
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Process.Kill(); cam.Wait() })
	waitPublishing(t, srv, stream)

	v := newTrickleViewer(t)
	if strings.Contains(v.offer, "a=candidate:") {
		t.Fatal("the trickle viewer's offer has candidates")
	}
	resp, answer := postWHEP(t, base+"/whep/"+stream, v.offer)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("WHEP POST: %d %s", resp.StatusCode, answer)
	}
	v.location, v.etag = resp.Header.Get("Location"), resp.Header.Get("ETag")
	if !strings.HasPrefix(v.location, "/whep/"+stream+"/") || v.etag == "" || resp.Header.Get("Content-Type") != "application/sdp" {
		t.Fatalf("WHEP answer headers: Location %q ETag %q Content-Type %q", v.location, v.etag, resp.Header.Get("Content-Type"))
	}
	if l := resp.Header.Get("Link"); l != `<stun:stun.example.net:3478>; rel="ice-server"` {
		t.Errorf("WHEP answer Link %q", l)
	}
	if !strings.Contains(answer, "a=candidate:") {
		t.Fatalf("the WHEP answer has no candidates:\n%s", answer)
	}
	if err := v.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	waitViewers(t, srv, 1)
	frag := v.fragment(t)
	if r, body := whepRequest(t, "PATCH", base+v.location, "application/trickle-ice-sdpfrag", frag, "If-Match", `"not-it"`); r.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("viewer PATCH with a wrong ETag: %d %s, want 412", r.StatusCode, body)
	}
	if r, body := whepRequest(t, "PATCH", base+v.location, "application/trickle-ice-sdpfrag", frag, "If-Match", v.etag); r.StatusCode != http.StatusNoContent {
		t.Fatalf("viewer PATCH of its candidates: %d %s", r.StatusCode, body)
	}
	deadline := time.Now().Add(20 * time.Second)
	for v.video.Load() < 100 {
		if time.Now().After(deadline) {
			t.Fatalf("the viewer got %d video packets in 20 s; connection %s", v.video.Load(), v.pc.ConnectionState())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A resource of the other kind, or of another stream, is not this one.
	id := v.location[strings.LastIndexByte(v.location, '/')+1:]
	for _, other := range []string{"/whip/" + stream + "/" + id, "/whep/other/" + id} {
		if r, _ := whepRequest(t, "DELETE", base+other, "", ""); r.StatusCode != http.StatusNotFound {
			t.Errorf("DELETE %s: %d, want 404", other, r.StatusCode)
		}
	}
	if r, body := whepRequest(t, "DELETE", base+v.location, "", ""); r.StatusCode != http.StatusOK {
		t.Fatalf("viewer DELETE: %d %s", r.StatusCode, body)
	}
	waitViewers(t, srv, 0)
	if r, _ := whepRequest(t, "DELETE", base+v.location, "", ""); r.StatusCode != http.StatusNotFound {
		t.Errorf("second DELETE: %d, want 404", r.StatusCode)
	}
	// The viewer's connection ends with it.
	deadline = time.Now().Add(30 * time.Second)
	for s := v.pc.ConnectionState(); s == webrtc.PeerConnectionStateConnected; s = v.pc.ConnectionState() {
		if time.Now().After(deadline) {
			t.Fatalf("the viewer is still %s 30 s after DELETE", s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A bearer token guards WHEP as it guards WHIP: a viewer without it, or
// with another, gets 401 with a Bearer challenge; with it, it plays.
func TestWHEPBearerToken(t *testing.T) {
	srv := videoServer(t, false, func(c *Config) { c.WebRTCOpts.Token = "view-secret" })
	const stream = "whepauth"
	cam := noBFramesCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, 60)
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Process.Kill(); cam.Wait() })
	waitPublishing(t, srv, stream)
	offer := newTrickleViewer(t).offer
	for _, hdr := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "Basic " + "dmlldzp2aWV3LXNlY3JldA=="}} {
		r, body := whepRequest(t, "POST", srv.URL()+"/whep/"+stream, "application/sdp", offer, hdr...)
		if r.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("viewer with %q: %d %q %s, want 401 with a Bearer challenge", hdr, r.StatusCode, r.Header.Get("WWW-Authenticate"), body)
		}
	}
	waitViewers(t, srv, 0)
	resp, answer := postWHEP(t, srv.URL()+"/whep/"+stream, offer, "Authorization", "Bearer view-secret")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("viewer with the token: %d %s", resp.StatusCode, answer)
	}
	loc := resp.Header.Get("Location")
	// The resource takes the token too.
	if r, _ := whepRequest(t, "DELETE", srv.URL()+loc, "", ""); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("DELETE without the token: %d, want 401", r.StatusCode)
	}
	if r, body := whepRequest(t, "DELETE", srv.URL()+loc, "", "", "Authorization", "Bearer view-secret"); r.StatusCode != http.StatusOK {
		t.Errorf("DELETE with the token: %d %s", r.StatusCode, body)
	}
	waitViewers(t, srv, 0)
}

// With credentials configured (and no token), a viewer needs them: the
// player page hands WHEP the presigned query of the stream's playlist,
// which lets it in, and the session it gets can be ended with the same
// query; a viewer without credentials, or with a query signed with the
// wrong secret, gets 401.
func TestWHEPPresignedPlaylistQuery(t *testing.T) {
	srv := videoServer(t, false, withCreds)
	const stream = "cam"
	cam := noBFramesCamera(t, "rtsp://"+testCreds.AccessKeyID+":"+testCreds.SecretAccessKey+"@"+srv.rtsp.Addr()+"/"+stream, 60)
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Process.Kill(); cam.Wait() })
	waitPublishing(t, srv, stream)
	query := func(creds aws.Credentials) string {
		u, err := url.Parse(presign(t, srv.URL()+"/hls/"+stream+"/index.m3u8", creds, "kinesisvideo"))
		if err != nil {
			t.Fatal(err)
		}
		return "?" + u.RawQuery
	}
	offer := newTrickleViewer(t).offer
	endpoint := srv.URL() + "/whep/" + stream
	for name, u := range map[string]string{
		"no credentials": endpoint,
		"wrong secret":   endpoint + query(aws.Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: "wrong"}),
	} {
		if r, body := whepRequest(t, "POST", u, "application/sdp", offer); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d %s, want 401", name, r.StatusCode, body)
		}
	}
	waitViewers(t, srv, 0)

	// As the player page does: the playlist's query on the WHEP URL, the
	// session URL resolved against it.
	var sink syncBuffer
	var c *whepClient
	deadline := time.Now().Add(30 * time.Second)
	for {
		var err error
		c, err = dialWHEP(context.Background(), endpoint+query(testCreds), "", &sink)
		if err == nil {
			break
		}
		if time.Now().After(deadline) || !strings.Contains(err.Error(), "404") {
			t.Fatalf("a viewer with the presigned playlist query: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := c.waitFrame(15 * time.Second); err != nil {
		c.Close()
		t.Fatal(err)
	}
	waitViewers(t, srv, 1)
	if err := c.Close(); err != nil {
		t.Errorf("ending the session with the query it was made with: %v", err)
	}
	waitViewers(t, srv, 0)
}
