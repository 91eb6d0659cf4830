package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/shardcast/shardcast/fragments"
)

// iceFrag is what a trickle-ice-sdpfrag carries: credentials and
// candidates (the lines after a=candidate:).
type iceFrag struct {
	ufrag, pwd string
	cands      []string
}

func readFrag(s string) iceFrag {
	var f iceFrag
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "a=ice-ufrag:"); ok {
			f.ufrag = v
		} else if v, ok := strings.CutPrefix(line, "a=ice-pwd:"); ok {
			f.pwd = v
		} else if v, ok := strings.CutPrefix(line, "a=candidate:"); ok {
			f.cands = append(f.cands, v)
		}
	}
	return f
}

// withICE is an SDP with its ICE credentials and candidates replaced by a
// fragment's (the candidates go to the first media section: one bundle).
func withICE(sdp string, f iceFrag) string {
	var b strings.Builder
	media := 0
	for _, line := range strings.Split(strings.TrimRight(sdp, "\r\n"), "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.HasPrefix(line, "a=ice-ufrag:"):
			line = "a=ice-ufrag:" + f.ufrag
		case strings.HasPrefix(line, "a=ice-pwd:"):
			line = "a=ice-pwd:" + f.pwd
		case strings.HasPrefix(line, "a=candidate:"), line == "a=end-of-candidates":
			continue
		}
		b.WriteString(line + "\r\n")
		if strings.HasPrefix(line, "m=") {
			media++
			if media == 1 {
				for _, c := range f.cands {
					b.WriteString("a=candidate:" + c + "\r\n")
				}
			}
		}
	}
	return b.String()
}

// storedCount is how many fragments a stream has stored so far.
func storedCount(t *testing.T, srv *testServer, stream string) uint64 {
	t.Helper()
	st, err := srv.video.Lookup(fragments.StreamRef{Name: stream})
	if err != nil {
		return 0
	}
	first, next := st.Bounds()
	return next - first
}

// An ICE restart (RFC 9725 section 4.4.1.2): a pion publisher publishes,
// then restarts ICE with new credentials in a PATCH; the server answers
// 200 with its own new credentials and candidates and a new ETag, the
// publisher applies them, and the stream goes on being stored (the old
// candidate pairs are gone on both sides after a restart, so media that
// arrives came over the new ICE session). The old ETag is stale.
func TestWHIPICERestart(t *testing.T) {
	need(t, "ffmpeg")
	srv := startServer(t, testConfig(t))
	const stream = "restart"
	c := newWHIPClient(t, srv.URL(), whipOpts{})
	c.publish(stream)
	answer := c.pc.RemoteDescription().SDP
	oldUfrag, oldETag := sdpAttr(answer, "ice-ufrag"), c.etag
	c.send(3 * time.Second)

	// The publisher's side: a new offer with new credentials, gathered
	// (the first offer's candidate handler is done).
	c.pc.OnICECandidate(func(*webrtc.ICECandidate) {})
	offer, err := c.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gathered:
	case <-time.After(10 * time.Second):
		t.Fatal("the publisher gathered no candidates for the restart")
	}
	mine := readFrag(c.pc.LocalDescription().SDP)
	if mine.ufrag == "" || mine.ufrag == sdpAttr(answer, "x") || len(mine.cands) == 0 {
		t.Fatalf("the restart offer has no credentials or candidates:\n%s", c.pc.LocalDescription().SDP)
	}
	var frag strings.Builder
	fmt.Fprintf(&frag, "a=ice-options:trickle ice2\r\na=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:0\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", mine.ufrag, mine.pwd)
	for _, cand := range mine.cands {
		fmt.Fprintf(&frag, "a=candidate:%s\r\n", cand)
	}
	frag.WriteString("a=end-of-candidates\r\n")
	before := storedCount(t, srv, stream)

	// Half a restart (a new ufrag, no password) and a fragment that is not
	// SDP are refused, and change nothing: the ETag still holds.
	half := fmt.Sprintf("a=ice-ufrag:%s\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:0\r\n", mine.ufrag)
	for _, bad := range []string{half, "this is not a fragment\r\n"} {
		if r, b := c.request("PATCH", srv.URL()+c.location, "application/trickle-ice-sdpfrag", bad, "If-Match", c.etag); r.StatusCode != http.StatusBadRequest {
			t.Errorf("PATCH %q: %d %s, want 400", bad, r.StatusCode, b)
		}
	}

	resp, body := c.request("PATCH", srv.URL()+c.location, "application/trickle-ice-sdpfrag", frag.String(), "If-Match", c.etag)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ICE restart PATCH: %d %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/trickle-ice-sdpfrag" {
		t.Errorf("ICE restart answered with Content-Type %q", ct)
	}
	newETag := resp.Header.Get("ETag")
	if newETag == "" || newETag == oldETag {
		t.Errorf("the ETag after the restart is %q (before: %q): want a new one", newETag, oldETag)
	}
	theirs := readFrag(body)
	if theirs.ufrag == "" || theirs.pwd == "" || theirs.ufrag == oldUfrag || len(theirs.cands) == 0 {
		t.Fatalf("the server's restart fragment (ufrag %q, before %q) lacks new credentials or candidates:\n%s", theirs.ufrag, oldUfrag, body)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: withICE(answer, theirs)}); err != nil {
		t.Fatalf("applying the server's restart answer: %v", err)
	}
	c.etag = newETag

	// Media goes on: fragments keep being stored.
	deadline := time.Now().Add(40 * time.Second)
	for storedCount(t, srv, stream) < before+4 {
		if time.Now().After(deadline) {
			t.Fatalf("after the ICE restart the stream stored %d fragments (%d before); ICE %s, connection %s",
				storedCount(t, srv, stream), before, c.pc.ICEConnectionState(), c.pc.ConnectionState())
		}
		c.send(time.Second)
	}
	if c.pc.ConnectionState() != webrtc.PeerConnectionStateConnected {
		t.Errorf("the publisher's connection is %s after the restart", c.pc.ConnectionState())
	}

	// The ETag before the restart is stale; the new one works (trickle).
	if r, b := c.request("PATCH", srv.URL()+c.location, "application/trickle-ice-sdpfrag", "a=end-of-candidates\r\n", "If-Match", oldETag); r.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("PATCH with the ETag from before the restart: %d %s, want 412", r.StatusCode, b)
	}
	if r, b := c.request("PATCH", srv.URL()+c.location, "application/trickle-ice-sdpfrag", "a=end-of-candidates\r\n", "If-Match", newETag); r.StatusCode != http.StatusNoContent {
		t.Errorf("PATCH with the new ETag: %d %s, want 204", r.StatusCode, b)
	}
	c.end()
	waitIdle(t, srv)
	decodeClean(t, storedFragments(t, srv, stream))
}
