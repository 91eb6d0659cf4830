package webrtc

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// offerer is a pion publisher's peer connection with one H.264 track: its
// offer is complete (candidates gathered).
func offerer(t *testing.T) (*webrtc.PeerConnection, string) {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{PayloadType: 102, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}},
		webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000}, "video", "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gathered:
	case <-time.After(10 * time.Second):
		t.Fatal("the publisher gathered no candidates")
	}
	return pc, pc.LocalDescription().SDP
}

func post(t *testing.T, url, offer string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(offer))
	req.Header.Set("Content-Type", "application/sdp")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// The addresses of --webrtc-hosts are offered as host candidates on the
// ICE port, over UDP and TCP, beside the machine's own.
func TestHostsInAnswer(t *testing.T) {
	e := newTestEndpoint(t, Config{Hosts: []string{"192.0.2.10", " ", "192.0.2.10"}}, nil)
	_, port, _ := net.SplitHostPort(e.tr.UDPAddr())
	if _, tcpPort, _ := net.SplitHostPort(e.tr.tcpAddr()); tcpPort != port {
		t.Fatalf("ICE-TCP on port %s, UDP on %s: want the same", tcpPort, port)
	}
	_, offer := offerer(t)
	resp, answer := post(t, e.URL+"/whip/hosts", offer)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST: %d %s", resp.StatusCode, answer)
	}
	var cands []string
	for _, line := range strings.Split(answer, "\n") {
		if c, ok := strings.CutPrefix(strings.TrimSpace(line), "a=candidate:"); ok {
			cands = append(cands, c)
		}
	}
	// candidate: foundation component transport priority address port typ ...
	has := func(network, addr string) bool {
		for _, c := range cands {
			f := strings.Fields(c)
			if len(f) >= 8 && strings.EqualFold(f[2], network) && f[4] == addr && f[5] == port && f[7] == "host" {
				return true
			}
		}
		return false
	}
	for _, want := range []struct{ network, addr string }{
		{"udp", "192.0.2.10"}, {"tcp", "192.0.2.10"}, {"udp", "127.0.0.1"}, {"tcp", "127.0.0.1"},
	} {
		if !has(want.network, want.addr) {
			t.Errorf("no %s host candidate %s:%s in the answer:\n%s", want.network, want.addr, port, strings.Join(cands, "\n"))
		}
	}
	n := 0 // on component 1 (pion lists each candidate for RTCP too, muxed or not)
	for _, c := range cands {
		if f := strings.Fields(c); len(f) > 4 && f[1] == "1" && f[4] == "192.0.2.10" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("192.0.2.10 offered %d times, want twice (UDP, TCP), though listed twice:\n%s", n, strings.Join(cands, "\n"))
	}
}

// A host name is resolved to the addresses offered; one that does not
// resolve stops the transport from starting.
func TestHostsResolve(t *testing.T) {
	got, err := resolveHosts([]string{"localhost", "192.0.2.10", "192.0.2.10"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 2 || got[len(got)-1] != "192.0.2.10" {
		t.Errorf("resolveHosts = %v, want localhost's addresses then 192.0.2.10 once", got)
	}
	if _, err := NewTransport(Config{Address: "127.0.0.1:0", Hosts: []string{"no-such-host.invalid"}}); err == nil || !strings.Contains(err.Error(), "no-such-host.invalid") {
		t.Errorf("NewTransport with a host that does not resolve: %v", err)
	}
}

// STUN and TURN servers go to clients as RFC 9725 Link headers, on the
// OPTIONS preflight and on the answer.
func TestICEServerLinks(t *testing.T) {
	servers := []ICEServer{
		{URL: "stun:stun.example.net:3478"},
		{URL: "turn:turn.example.net:3478?transport=udp", Username: "alice", Credential: `pa"ss\word`},
		{URL: "turns:turn.example.net:5349?transport=tcp", Username: "bob", Credential: "s3cret"},
	}
	want := []string{
		`<stun:stun.example.net:3478>; rel="ice-server"`,
		`<turn:turn.example.net:3478?transport=udp>; rel="ice-server"; username="alice"; credential="pa\"ss\\word"; credential-type="password"`,
		`<turns:turn.example.net:5349?transport=tcp>; rel="ice-server"; username="bob"; credential="s3cret"; credential-type="password"`,
	}
	e := newTestEndpoint(t, Config{ICEServers: servers}, nil)
	if got := e.h.LinkHeaders(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("LinkHeaders:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	req, _ := http.NewRequest("OPTIONS", e.URL+"/whip/links", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || strings.Join(resp.Header.Values("Link"), "\n") != strings.Join(want, "\n") {
		t.Errorf("OPTIONS: %d Link %q", resp.StatusCode, resp.Header.Values("Link"))
	}
	if !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "Link") {
		t.Errorf("a page's script cannot read Link: Access-Control-Expose-Headers %q", resp.Header.Get("Access-Control-Expose-Headers"))
	}
	_, offer := offerer(t)
	resp, body := post(t, e.URL+"/whip/links", offer)
	if resp.StatusCode != http.StatusCreated || len(resp.Header.Values("Link")) != len(want) {
		t.Errorf("POST: %d Link %q %s", resp.StatusCode, resp.Header.Values("Link"), body)
	}
}

func TestValidateICEServer(t *testing.T) {
	for _, s := range []ICEServer{
		{URL: "stun:stun.example.net"},
		{URL: "stun:stun.example.net:3478"},
		{URL: "stun:[2001:db8::1]:3478"},
		{URL: "stuns:stun.example.net:5349"},
		{URL: "turn:turn.example.net:3478?transport=udp", Username: "u", Credential: "p"},
		{URL: "turn:192.0.2.1", Username: "u", Credential: "p"},
		{URL: "turns:turn.example.net?transport=tcp", Username: "u", Credential: "p"},
	} {
		if err := ValidateICEServer(s); err != nil {
			t.Errorf("%+v refused: %v", s, err)
		}
	}
	for _, c := range []struct {
		s    ICEServer
		says string
	}{
		{ICEServer{URL: ""}, "stun:host"},
		{ICEServer{URL: "stun.example.net:3478"}, "scheme"},
		{ICEServer{URL: "stun:"}, "stun:host"},
		{ICEServer{URL: "http://stun.example.net"}, "scheme"},
		{ICEServer{URL: "STUN:stun.example.net"}, "scheme"},
		{ICEServer{URL: "turn:turn.example.net"}, "username and a credential"},
		{ICEServer{URL: "turn:turn.example.net", Username: "u"}, "username and a credential"},
		{ICEServer{URL: "stun:stun example.net"}, "stun example.net"},
		{ICEServer{URL: `stun:stun.example.net>; rel="x"`}, "stun.example.net"},
		{ICEServer{URL: "stun:stun.example.net:port"}, "stun.example.net:port"},
		{ICEServer{URL: "stun:stun.example.net:99999"}, "stun.example.net:99999"},
		{ICEServer{URL: "stun::3478"}, "stun::3478"},
		{ICEServer{URL: "turn:turn.example.net?transport=sctp", Username: "u", Credential: "p"}, "transport=sctp"},
		{ICEServer{URL: "stun:stun.example.net?transport=udp"}, "stun.example.net?transport=udp"},
	} {
		err := ValidateICEServer(c.s)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q: %v, want an error saying %q", c.s.URL, err, c.says)
		}
	}
	// The transport refuses to start with one.
	if _, err := NewTransport(Config{Address: "127.0.0.1:0", ICEServers: []ICEServer{{URL: "turn:x"}}}); err == nil {
		t.Error("NewTransport took a TURN server without credentials")
	}
}

// TestListenTCPPortTaken: ICE-TCP goes on the UDP socket's port number.
// When another program holds that TCP port, a transport asked for any port
// (":0") opens both again elsewhere; one asked for a fixed port fails with
// an error, cleanly.
func TestListenTCPPortTaken(t *testing.T) {
	refused := 0
	listen := func(network, addr string) (net.Listener, error) {
		if refused < 2 {
			refused++
			return nil, &net.OpError{Op: "listen", Net: network, Err: errors.New("address already in use")}
		}
		return net.Listen(network, addr)
	}
	tr, err := NewTransport(Config{Address: "127.0.0.1:0", Listen: listen})
	if err != nil {
		t.Fatalf("any port: %v", err)
	}
	defer tr.Close()
	_, udpPort, _ := net.SplitHostPort(tr.UDPAddr())
	_, tcpPort, _ := net.SplitHostPort(tr.tcpAddr())
	if refused != 2 || udpPort != tcpPort {
		t.Errorf("after %d refusals: UDP %s, TCP %s", refused, tr.UDPAddr(), tr.tcpAddr())
	}

	fixed := tr.UDPAddr() // a port whose UDP side is taken now
	probe, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := probe.LocalAddr().String()
	probe.Close()
	always := func(network, addr string) (net.Listener, error) {
		return nil, &net.OpError{Op: "listen", Net: network, Err: errors.New("address already in use")}
	}
	if _, err := NewTransport(Config{Address: free, Listen: always}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("a fixed port whose TCP side is taken: %v", err)
	}
	if _, err := NewTransport(Config{Address: fixed}); err == nil {
		t.Errorf("a fixed port whose UDP side is taken: no error")
	}
}
