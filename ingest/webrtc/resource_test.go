package webrtc

import (
	"strings"
	"testing"
)

// A trickle-ice-sdpfrag (RFC 8840) as browsers and pion send it: session
// credentials, candidates under their section's mid.
func TestParseFrag(t *testing.T) {
	f, err := parseFrag("a=ice-options:trickle ice2\r\na=group:BUNDLE 0 1\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n" +
		"a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1\r\n" +
		"a=end-of-candidates\r\n" +
		"m=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:1\r\n" +
		"a=candidate:3471623853 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active\n")
	if err != nil {
		t.Fatal(err)
	}
	if f.ufrag != "EsAw" || f.pwd != "P2uYro0UCOQ4zxjKXaWCBui1" || len(f.cands) != 2 {
		t.Fatalf("parsed %+v", f)
	}
	if f.cands[0].mid != "0" || !strings.HasPrefix(f.cands[0].line, "candidate:1387637174 1 udp") || f.cands[1].mid != "1" {
		t.Errorf("candidates %+v", f.cands)
	}
	if _, err := parseFrag("a=ice-ufrag:x\r\nnot sdp\r\n"); err == nil || !strings.Contains(err.Error(), "not sdp") {
		t.Errorf("a line that is not SDP: %v", err)
	}
}

// The server's side of an ICE restart is a fragment with its credentials
// and the candidates of its answer; the client's side goes into the offer
// in place of the old credentials and candidates.
func TestRestartFragments(t *testing.T) {
	offer := parseOffer(t, browserOffer(only("H264"), true))
	offer.MediaDescriptions[0].Attributes = append(offer.MediaDescriptions[0].Attributes, parseOffer(t,
		"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=candidate:1 1 udp 1 192.0.2.9 5000 typ host\r\na=end-of-candidates\r\n").MediaDescriptions[0].Attributes...)
	setCreds(offer, sdpFrag{ufrag: "newU", pwd: "newpasswordnewpassword00", cands: []fragCand{
		{mid: "0", line: "candidate:2 1 udp 2 192.0.2.7 6000 typ host"},
		{mid: "", line: "candidate:3 1 tcp 3 192.0.2.7 6000 typ host tcptype passive"},
	}})
	if u, p := iceCreds(offer); u != "newU" || p != "newpasswordnewpassword00" {
		t.Errorf("credentials after setCreds: %q %q", u, p)
	}
	b, _ := offer.Marshal()
	s := string(b)
	if strings.Contains(s, "192.0.2.9") || strings.Contains(s, "end-of-candidates") || strings.Contains(s, "Qx7d") {
		t.Errorf("old candidates or credentials kept:\n%s", s)
	}
	if strings.Count(s, "a=candidate:") != 2 || !strings.Contains(s, "a=candidate:3 1 tcp") {
		t.Errorf("new candidates not in the first section:\n%s", s)
	}

	answer := "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:srvU\r\na=ice-pwd:serverpasswordserverpass\r\n" +
		"a=candidate:5 1 udp 2130706431 192.0.2.10 8189 typ host\r\na=candidate:6 1 tcp 1671430143 192.0.2.10 8189 typ host tcptype passive\r\n" +
		"a=end-of-candidates\r\n" +
		"m=video 9 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=ice-ufrag:srvU\r\na=ice-pwd:serverpasswordserverpass\r\n"
	frag, err := answerFrag(answer)
	if err != nil {
		t.Fatal(err)
	}
	back, err := parseFrag(frag)
	if err != nil {
		t.Fatalf("the server's fragment does not parse: %v\n%s", err, frag)
	}
	if back.ufrag != "srvU" || back.pwd != "serverpasswordserverpass" || len(back.cands) != 2 || back.cands[0].mid != "0" {
		t.Errorf("the server's fragment %+v:\n%s", back, frag)
	}
	if !strings.HasSuffix(frag, "a=end-of-candidates\r\n") {
		t.Errorf("the server's fragment does not end its candidates:\n%s", frag)
	}
}
