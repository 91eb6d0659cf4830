package webrtc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// A video format of a browser offer: its payload type, rtpmap and fmtp,
// and the payload type of its retransmission (RTX) stream, 0 for none.
type offerFormat struct {
	pt   int
	name string // H264, VP9...; rtx, red and ulpfec are added by the builder
	fmtp string
	rtx  int
}

// The video formats headless Chromium offers for a camera, in its order:
// VP8 first, VP9 in profiles 0 and 2, H.264 in several profiles with
// packetization mode 1 and 0, AV1, then RED and ULPFEC. Each coded format
// has an RTX format (apt=) beside it.
var chromiumVideo = []offerFormat{
	{96, "VP8", "", 97},
	{98, "VP9", "profile-id=0", 99},
	{100, "VP9", "profile-id=2", 101},
	{102, "H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f", 103},
	{104, "H264", "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f", 105},
	{106, "H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", 107},
	{108, "H264", "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f", 109},
	{127, "H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f", 125},
	{39, "H264", "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f", 40},
	{45, "AV1", "level-idx=5;profile=0;tier=0", 46},
	{112, "H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f", 113},
}

// hevcFormat is what a Chromium with an H.265 encoder adds.
var hevcFormat = offerFormat{49, "H265", "level-id=93;profile-id=1;tier-flag=0;tx-mode=SRST", 50}

// SSRCs of the offers: the audio stream, the video stream and its RTX
// repair stream (an FID group).
const (
	audioSSRC = 1730000001
	videoSSRC = 2840000002
	rtxSSRC   = 3950000003
)

// browserOffer builds an offer shaped like headless Chromium's for a
// sendonly camera and microphone (audio first, as getUserMedia's tracks
// are added): BUNDLE, extmaps, Opus with RED, the video formats given with
// their RTX, RED and ULPFEC, an FID group and msid per SSRC. With audio
// false there is only the video section.
func browserOffer(video []offerFormat, audio bool) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	line("v=0")
	line("o=- 7236120854361207841 2 IN IP4 127.0.0.1")
	line("s=-")
	line("t=0 0")
	mids := "0 1"
	if !audio {
		mids = "0"
	}
	line("a=group:BUNDLE %s", mids)
	line("a=extmap-allow-mixed")
	line("a=msid-semantic: WMS cam")
	common := func(mid string) {
		line("c=IN IP4 0.0.0.0")
		line("a=rtcp:9 IN IP4 0.0.0.0")
		line("a=ice-ufrag:Qx7d")
		line("a=ice-pwd:u1Vq3mZ0d2pRkS8xYw6tNf4H")
		line("a=ice-options:trickle")
		line("a=fingerprint:sha-256 3A:91:0C:5E:77:12:AB:CD:EF:01:23:45:67:89:9A:BC:DE:F0:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE")
		line("a=setup:actpass")
		line("a=mid:%s", mid)
	}
	videoMid := "0"
	if audio {
		videoMid = "1"
		line("m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126")
		common("0")
		line("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level")
		line("a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time")
		line("a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01")
		line("a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid")
		line("a=sendonly")
		line("a=msid:cam mic-track")
		line("a=rtcp-mux")
		line("a=rtcp-rsize")
		line("a=rtpmap:111 opus/48000/2")
		line("a=rtcp-fb:111 transport-cc")
		line("a=fmtp:111 minptime=10;useinbandfec=1")
		line("a=rtpmap:63 red/48000/2")
		line("a=fmtp:63 111/111")
		line("a=rtpmap:9 G722/8000")
		line("a=rtpmap:0 PCMU/8000")
		line("a=rtpmap:8 PCMA/8000")
		line("a=rtpmap:13 CN/8000")
		line("a=rtpmap:110 telephone-event/48000")
		line("a=rtpmap:126 telephone-event/8000")
		line("a=ssrc:%d cname:Hc2pQ9sLr0", audioSSRC)
		line("a=ssrc:%d msid:cam mic-track", audioSSRC)
	}
	var pts []string
	for _, f := range video {
		pts = append(pts, fmt.Sprint(f.pt))
		if f.rtx != 0 {
			pts = append(pts, fmt.Sprint(f.rtx))
		}
	}
	pts = append(pts, "114", "115", "116")
	line("m=video 9 UDP/TLS/RTP/SAVPF %s", strings.Join(pts, " "))
	common(videoMid)
	line("a=extmap:14 urn:ietf:params:rtp-hdrext:toffset")
	line("a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time")
	line("a=extmap:13 urn:3gpp:video-orientation")
	line("a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01")
	line("a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay")
	line("a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid")
	line("a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id")
	line("a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id")
	line("a=sendonly")
	line("a=msid:cam cam-track")
	line("a=rtcp-mux")
	line("a=rtcp-rsize")
	for _, f := range video {
		line("a=rtpmap:%d %s/90000", f.pt, f.name)
		for _, fb := range []string{"goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"} {
			line("a=rtcp-fb:%d %s", f.pt, fb)
		}
		if f.fmtp != "" {
			line("a=fmtp:%d %s", f.pt, f.fmtp)
		}
		if f.rtx != 0 {
			line("a=rtpmap:%d rtx/90000", f.rtx)
			line("a=fmtp:%d apt=%d", f.rtx, f.pt)
		}
	}
	line("a=rtpmap:114 red/90000")
	line("a=rtpmap:115 rtx/90000")
	line("a=fmtp:115 apt=114")
	line("a=rtpmap:116 ulpfec/90000")
	line("a=ssrc-group:FID %d %d", videoSSRC, rtxSSRC)
	line("a=ssrc:%d cname:Hc2pQ9sLr0", videoSSRC)
	line("a=ssrc:%d msid:cam cam-track", videoSSRC)
	line("a=ssrc:%d cname:Hc2pQ9sLr0", rtxSSRC)
	line("a=ssrc:%d msid:cam cam-track", rtxSSRC)
	return b.String()
}

// only keeps the formats of names (in Chromium's order).
func only(names ...string) []offerFormat {
	var out []offerFormat
	for _, f := range chromiumVideo {
		for _, n := range names {
			if f.name == n {
				out = append(out, f)
			}
		}
	}
	return out
}

func parseOffer(t *testing.T, s string) *sdp.SessionDescription {
	t.Helper()
	var d sdp.SessionDescription
	if err := d.UnmarshalString(s); err != nil {
		t.Fatalf("the test offer is not SDP: %v", err)
	}
	return &d
}

func TestChooseBrowserOffers(t *testing.T) {
	for _, c := range []struct {
		name   string
		video  []offerFormat
		audio  bool
		codec  codecKind
		pt     uint8
		fmtp   string // a parameter the kept format must carry
		tracks int
	}{
		{"chromium all", chromiumVideo, true, codecH264, 102, "packetization-mode=1", 2},
		{"chromium video only", chromiumVideo, false, codecH264, 102, "packetization-mode=1", 1},
		{"h264 after vp9", only("VP9", "H264"), true, codecH264, 102, "profile-level-id=42001f", 2},
		{"h264 mode 0 first", append(only("H264")[1:2], only("H264")[2]), true, codecH264, 106, "packetization-mode=1", 2},
		{"vp9 only", only("VP8", "VP9"), true, codecVP9, 98, "profile-id=0", 2},
		{"vp9 profile 2 only", only("VP9")[1:], false, codecVP9, 100, "profile-id=2", 1},
		{"av1 only", only("VP8", "AV1"), true, codecAV1, 45, "profile=0", 2},
		{"h265 offered", append([]offerFormat{hevcFormat}, only("VP8", "VP9", "AV1")...), true, codecH265, 49, "profile-id=1", 2},
		{"h264 beside h265", append(only("VP8", "H264"), hevcFormat), true, codecH264, 102, "packetization-mode=1", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			offer := browserOffer(c.video, c.audio)
			desc := parseOffer(t, offer)
			plans, tracks, err := choose(desc)
			if err != nil {
				t.Fatalf("choose: %v", err)
			}
			if len(plans) != c.tracks || len(tracks) != c.tracks {
				t.Fatalf("%d plans and %d tracks, want %d", len(plans), len(tracks), c.tracks)
			}
			var video plan
			for _, p := range plans {
				if p.codec.video() {
					video = p
				} else if p.codec != codecOpus || p.pt != 111 || p.channels != 2 {
					t.Errorf("audio plan %+v, want Opus on 111 in stereo", p)
				}
			}
			if video.codec != c.codec || video.pt != c.pt {
				t.Fatalf("video plan %v on %d, want %v on %d", video.codec, video.pt, c.codec, c.pt)
			}
			checkTrack(t, tracks[video.track].Codec, c.codec)
			checkRewritten(t, desc, c.pt, c.fmtp)
			if c.audio {
				audio := desc.MediaDescriptions[0]
				if got := strings.Join(audio.MediaName.Formats, " "); got != "111" {
					t.Errorf("audio formats %q, want only Opus (111)", got)
				}
				for _, a := range audio.Attributes {
					if strings.HasPrefix(a.Value, "63 ") {
						t.Errorf("the audio section keeps RED: a=%s:%s", a.Key, a.Value)
					}
				}
			}
			answerWithPion(t, desc, c.codec, c.pt)
		})
	}
}

// checkTrack: the fragments track is of the codec chosen.
func checkTrack(t *testing.T, c any, want codecKind) {
	t.Helper()
	var ok bool
	switch want {
	case codecH264:
		_, ok = c.(*codecs.H264)
	case codecH265:
		_, ok = c.(*codecs.H265)
	case codecVP9:
		_, ok = c.(*codecs.VP9)
	case codecAV1:
		_, ok = c.(*codecs.AV1)
	}
	if !ok {
		t.Errorf("track codec %T, want %v", c, want)
	}
}

// checkRewritten: the video section carries only the chosen format, its
// own attributes, and no trace of the repair streams of the formats
// removed (their SSRCs beside a lone video SSRC read as Plan B).
func checkRewritten(t *testing.T, desc *sdp.SessionDescription, pt uint8, fmtp string) {
	t.Helper()
	md := desc.MediaDescriptions[len(desc.MediaDescriptions)-1]
	keep := fmt.Sprint(pt)
	if got := strings.Join(md.MediaName.Formats, " "); got != keep {
		t.Errorf("video formats %q, want %q", got, keep)
	}
	sawFmtp, sawRtpmap := false, false
	for _, a := range md.Attributes {
		switch a.Key {
		case "rtpmap", "fmtp", "rtcp-fb":
			p, rest, _ := strings.Cut(a.Value, " ")
			if p != keep {
				t.Errorf("kept a=%s:%s of a removed format", a.Key, a.Value)
			}
			if a.Key == "fmtp" {
				sawFmtp = true
				if !strings.Contains(rest, fmtp) {
					t.Errorf("a=fmtp:%s lacks %s", a.Value, fmtp)
				}
				if strings.Contains(rest, "apt=") {
					t.Errorf("kept an RTX fmtp: %s", a.Value)
				}
			}
			if a.Key == "rtpmap" {
				sawRtpmap = true
			}
		case "ssrc-group":
			t.Errorf("kept a=ssrc-group:%s", a.Value)
		case "ssrc":
			if strings.HasPrefix(a.Value, fmt.Sprint(rtxSSRC)) {
				t.Errorf("kept the RTX stream's a=ssrc:%s", a.Value)
			}
		}
	}
	if !sawRtpmap || !sawFmtp {
		t.Errorf("the chosen format lost its rtpmap (%v) or fmtp (%v)", sawRtpmap, sawFmtp)
	}
	ssrcs := map[string]bool{}
	for _, a := range md.Attributes {
		if a.Key == "ssrc" {
			s, _, _ := strings.Cut(a.Value, " ")
			ssrcs[s] = true
		}
	}
	if len(ssrcs) != 1 || !ssrcs[fmt.Sprint(videoSSRC)] {
		t.Errorf("video SSRCs %v, want only %d", ssrcs, videoSSRC)
	}
	if _, ok := md.Attribute("msid"); !ok {
		t.Error("the video section lost its msid")
	}
}

// answerWithPion: the server's pion API takes the rewritten offer and
// answers with exactly the chosen codec on the offered payload type.
func answerWithPion(t *testing.T, desc *sdp.SessionDescription, codec codecKind, pt uint8) {
	t.Helper()
	offer, err := desc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	tr := testTransport(t, Config{})
	pc, err := tr.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	answer, err := negotiate(context.Background(), pc, string(offer))
	if err != nil {
		t.Fatalf("pion refuses the rewritten offer: %v\n%s", err, offer)
	}
	ad := parseOffer(t, answer)
	md := ad.MediaDescriptions[len(ad.MediaDescriptions)-1]
	if got := strings.Join(md.MediaName.Formats, " "); got != fmt.Sprint(pt) {
		t.Errorf("answer video formats %q, want %d", got, pt)
	}
	rtpmap, _ := md.Attribute("rtpmap")
	if !strings.HasPrefix(strings.ToUpper(rtpmap), fmt.Sprintf("%d %s/90000", pt, strings.ToUpper(codec.String()))) {
		t.Errorf("answer rtpmap %q, want %v on %d", rtpmap, codec, pt)
	}
	if dir := direction(md); dir != "recvonly" {
		t.Errorf("answer video direction %s, want recvonly", dir)
	}
	// One receiving transceiver per accepted section: not Plan B.
	n := 0
	for _, tr := range pc.GetTransceivers() {
		if tr.Kind() == webrtc.RTPCodecTypeVideo {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d video transceivers, want 1", n)
	}
}

// An offer with nothing shardcast stores is refused, naming what was
// offered and what is accepted.
func TestChooseRefuses(t *testing.T) {
	// Audio only, in a codec shardcast does not store.
	isac := strings.Split(browserOffer(nil, true), "m=video")[0]
	isac = strings.Replace(isac, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0", 1)
	isac = strings.Replace(isac, "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 ISAC/16000", 1)
	for _, c := range []struct {
		name  string
		offer string
		says  string
	}{
		{"vp8 only", browserOffer(only("VP8"), true), "offered VP8, RTX, RED, ULPFEC"},
		{"h264 mode 0 only", browserOffer([]offerFormat{chromiumVideo[4], chromiumVideo[6]}, false), "offered H264, RTX"},
		{"audio without opus", isac, "no audio or video to store"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := choose(parseOffer(t, c.offer))
			if !errors.Is(err, errNoCodec) {
				t.Fatalf("choose: %v, want errNoCodec", err)
			}
			if !strings.Contains(err.Error(), accepted) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("the error %q should name what was offered (%s) and what is accepted (%s)", err, c.says, accepted)
			}
		})
	}
}

// keepOnly on a section with repair streams of both the kept format and
// others: the group and the repair SSRCs go, the media SSRC stays, and
// wildcard feedback stays.
func TestKeepOnly(t *testing.T) {
	desc := parseOffer(t, browserOffer(only("VP9", "H264"), false))
	md := desc.MediaDescriptions[0]
	md.Attributes = append(md.Attributes, sdp.NewAttribute("rtcp-fb", "* nack"))
	keepOnly(md, 100)
	var got []string
	for _, a := range md.Attributes {
		switch a.Key {
		case "rtpmap", "fmtp", "rtcp-fb", "ssrc", "ssrc-group":
			got = append(got, a.Key+":"+a.Value)
		}
	}
	want := []string{
		"rtpmap:100 VP9/90000", "rtcp-fb:100 goog-remb", "rtcp-fb:100 transport-cc", "rtcp-fb:100 ccm fir",
		"rtcp-fb:100 nack", "rtcp-fb:100 nack pli", "fmtp:100 profile-id=2",
		fmt.Sprintf("ssrc:%d cname:Hc2pQ9sLr0", videoSSRC), fmt.Sprintf("ssrc:%d msid:cam cam-track", videoSSRC),
		"rtcp-fb:* nack",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("kept:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
