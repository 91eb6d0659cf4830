package main

import (
	"context"
	"encoding/binary"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	mp4codecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/shardcast/shardcast/fragments"
)

// avSEI marks the test's SEI messages (user data unregistered): the frame
// number rides in the video itself, so a stored unit says which frame it is.
var avSEI = [16]byte{0x73, 0x68, 0x61, 0x72, 0x64, 0x63, 0x61, 0x73, 0x74, 0x2d, 0x61, 0x76, 0x2d, 0x73, 0x79, 0x6e}

// counterBytes writes n (24 bits) as 4 bytes that are never zero, so that
// no emulation prevention is needed inside a NAL unit.
func counterBytes(n int) []byte {
	return []byte{0x40 | byte(n>>18)&0x3f, 0x40 | byte(n>>12)&0x3f, 0x40 | byte(n>>6)&0x3f, 0x40 | byte(n)&0x3f}
}

func readCounter(b []byte) int {
	return int(b[0]&0x3f)<<18 | int(b[1]&0x3f)<<12 | int(b[2]&0x3f)<<6 | int(b[3]&0x3f)
}

// withFrameNumber puts an SEI with frame number n before the first slice
// of an Annex-B access unit.
func withFrameNumber(au []byte, n int) []byte {
	sei := append([]byte{6, 5, 20}, avSEI[:]...)
	sei = append(append(sei, counterBytes(n)...), 0x80)
	var out []byte
	done := false
	for _, nalu := range splitAnnexB(au) {
		if typ := h264.NALUType(nalu[0] & 0x1f); !done && (typ == h264.NALUTypeIDR || typ == h264.NALUTypeNonIDR) {
			out = append(append(out, 0, 0, 0, 1), sei...)
			done = true
		}
		out = append(append(out, 0, 0, 0, 1), nalu...)
	}
	return out
}

// frameNumber finds the test's SEI in an AVCC access unit.
func frameNumber(avcc []byte) (int, bool) {
	for len(avcc) >= 4 {
		n := int(binary.BigEndian.Uint32(avcc))
		if n > len(avcc)-4 {
			return 0, false
		}
		nalu := avcc[4 : 4+n]
		avcc = avcc[4+n:]
		if len(nalu) >= 3+16+4 && nalu[0]&0x1f == 6 && nalu[1] == 5 && [16]byte(nalu[3:19]) == avSEI {
			return readCounter(nalu[19:23]), true
		}
	}
	return 0, false
}

// avPublisher is a pion WHIP publisher of H.264 video and Opus audio with
// RTP timestamp bases of its choosing and its own sender reports: they say
// that audio packet k was captured skew after video frame k/2.
type avPublisher struct {
	*whipClient
	video, audio         *webrtc.TrackLocalStaticRTP
	videoSSRC, audioSSRC uint32
}

func newAVPublisher(t *testing.T, base string) *avPublisher {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{PayloadType: 102, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
		RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}}}}, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{PayloadType: 111, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}}, webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	// NACK answers retransmission requests; no report interceptor: the
	// test writes the sender reports itself.
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureNack(me, ir); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	p := &avPublisher{whipClient: &whipClient{t: t, base: base, pc: pc, stop: make(chan struct{}),
		http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}}}
	t.Cleanup(p.close)
	add := func(c webrtc.RTPCodecCapability, id string) (*webrtc.TrackLocalStaticRTP, *webrtc.RTPSender) {
		tr, err := webrtc.NewTrackLocalStaticRTP(c, id, "av-test")
		if err != nil {
			t.Fatal(err)
		}
		x, err := pc.AddTransceiverFromTrack(tr, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			t.Fatal(err)
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for {
				if _, _, err := x.Sender().ReadRTCP(); err != nil {
					return
				}
			}
		}()
		return tr, x.Sender()
	}
	var vs, as *webrtc.RTPSender
	p.video, vs = add(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000}, "video")
	p.audio, as = add(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio")
	p.videoSSRC = uint32(vs.GetParameters().Encodings[0].SSRC)
	p.audioSSRC = uint32(as.GetParameters().Encodings[0].SSRC)
	return p
}

// Timestamp bases: unrelated, and the audio one wraps a second in.
const (
	avVideoBase = uint32(0x10000000)
	avAudioBase = uint32(math.MaxUint32 - 48000)
)

// send publishes for d at real time: audio packet k (20 ms, its number in
// the payload) at k*20ms, video frame i (40 ms, its number in an SEI) at
// i*40ms. Sender reports: video from 0.5 s, audio from 2 s (browsers send
// their first audio report seconds in), each a second apart, saying that
// video frame i was captured at t0+i*40ms and audio packet k at
// t0+skew+k*20ms.
func (p *avPublisher) send(t *testing.T, clip [][]byte, d, skew time.Duration) {
	pk := rtp.NewPacketizer(1200, 0, 0, &codecs.H264Payloader{}, rtp.NewRandomSequencer(), 90000)
	aseq := uint16(1000)
	t0 := time.Now()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for n := 0; n < int(d/(20*time.Millisecond)); n++ {
		<-tick.C
		at := time.Duration(n) * 20 * time.Millisecond
		if n%2 == 0 {
			i := n / 2
			for _, pkt := range pk.Packetize(withFrameNumber(clip[i%len(clip)], i), 3600) {
				pkt.Timestamp = avVideoBase + uint32(i*3600)
				if err := p.video.WriteRTP(pkt); err != nil {
					t.Errorf("video: %v", err)
					return
				}
			}
		}
		payload := append([]byte{0xf8}, counterBytes(n)...) // TOC: CELT, 20 ms, one frame
		aseq++
		if err := p.audio.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: aseq, Timestamp: avAudioBase + uint32(n*960)}, Payload: payload}); err != nil {
			t.Errorf("audio: %v", err)
			return
		}
		var srs []rtcp.Packet
		if at >= 500*time.Millisecond && (n-25)%50 == 0 {
			srs = append(srs, &rtcp.SenderReport{SSRC: p.videoSSRC, NTPTime: ntpTime(t0.Add(at)), RTPTime: avVideoBase + uint32(n*1800)})
		}
		if at >= 2*time.Second && (n-100)%50 == 0 {
			srs = append(srs, &rtcp.SenderReport{SSRC: p.audioSSRC, NTPTime: ntpTime(t0.Add(skew + at)), RTPTime: avAudioBase + uint32(n*960)})
		}
		if len(srs) > 0 {
			if err := p.pc.WriteRTCP(srs); err != nil {
				t.Errorf("sender report: %v", err)
				return
			}
		}
	}
}

// A WHIP publisher whose audio and video RTP timestamps start from
// unrelated bases, and whose sender reports say the audio was captured
// 250 ms after (or before) the video sent with it: once the reports are
// in, the stored audio and video presentation times keep the reports'
// relation within one audio frame (20 ms). Audio times never go back,
// and producer time never passes arrival.
func TestWHIPAlignsAudioVideoBySenderReports(t *testing.T) {
	need(t, "ffmpeg")
	clip, err := whipClip()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, testConfig(t))
	for _, c := range []struct {
		stream string
		skew   time.Duration
	}{{"av-later", 250 * time.Millisecond}, {"av-earlier", -250 * time.Millisecond}} {
		t.Run(c.stream, func(t *testing.T) {
			t.Parallel()
			checkAVAlignment(t, srv, c.stream, clip, c.skew)
		})
	}
}

func checkAVAlignment(t *testing.T, srv *testServer, stream string, clip [][]byte, skew time.Duration) {
	const publish = 6 * time.Second
	p := newAVPublisher(t, srv.URL())
	p.publish(stream)
	st, err := srv.video.Lookup(fragments.StreamRef{Name: stream})
	if err != nil {
		t.Error(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type subResult struct {
		sub *fragments.UnitSubscription
		err error
	}
	subc := make(chan subResult, 1)
	go func() {
		s, err := st.SubscribeUnits(ctx) // waits for the first keyframe
		subc <- subResult{s, err}
	}()
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		p.send(t, clip, publish, skew)
	}()
	r := <-subc
	if r.err != nil {
		t.Fatalf("%s: subscribe: %v", stream, r.err)
	}
	sub := r.sub
	defer sub.Close()
	var units []fragments.Unit
	func() {
		for {
			select {
			case u := <-sub.C():
				units = append(units, u)
			case <-sent:
				// What was sent last is still on its way: a moment more.
				end := time.After(500 * time.Millisecond)
				for {
					select {
					case u := <-sub.C():
						units = append(units, u)
					case <-end:
						return
					}
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	p.end()
	if len(sub.Tracks) != 2 {
		t.Errorf("%s: %d tracks, want video and audio", stream, len(sub.Tracks))
		return
	}
	video := 0
	if _, ok := sub.Tracks[0].Codec.(*mp4codecs.Opus); ok {
		video = 1
	}
	// Offsets of the presentation times from the sender's reported capture
	// times (seconds from the publisher's t0).
	vOff, haveV := 0.0, false
	var aOffs []float64
	lastAudio := int64(math.MinInt64)
	for _, u := range units {
		if u.Producer.After(u.Arrival) {
			t.Errorf("%s: a unit's producer time %v is after its arrival %v", stream, u.Producer, u.Arrival)
			return
		}
		if u.Track == video {
			i, ok := frameNumber(u.Data)
			if !ok {
				t.Errorf("%s: a video unit without its frame number", stream)
				return
			}
			off := float64(u.PTS)/90000 - float64(i)*0.040
			if !haveV {
				vOff, haveV = off, true
			} else if math.Abs(off-vOff) > 0.001 {
				t.Errorf("%s: video frame %d at %.4f s from its capture, earlier frames at %.4f s", stream, i, off, vOff)
				return
			}
			continue
		}
		if u.PTS <= lastAudio {
			t.Errorf("%s: audio went back from %d to %d", stream, lastAudio, u.PTS)
			return
		}
		lastAudio = u.PTS
		if len(u.Data) != 5 {
			t.Errorf("%s: an audio unit of %d bytes, the publisher sends 5", stream, len(u.Data))
			return
		}
		k := readCounter(u.Data[1:])
		if time.Duration(k)*20*time.Millisecond < 2600*time.Millisecond {
			continue // before the first audio sender report (and a moment after)
		}
		aOffs = append(aOffs, float64(u.PTS)/48000-(skew.Seconds()+float64(k)*0.020))
	}
	if !haveV || len(aOffs) < 100 {
		t.Errorf("%s: %d units, of which %d audio units after the reports: too few", stream, len(units), len(aOffs))
		return
	}
	worst := 0.0
	for _, a := range aOffs {
		worst = math.Max(worst, math.Abs(a-vOff))
	}
	t.Logf("%s (audio captured %v after video): %d units; audio placed at most %.1f ms from the reports' relation",
		stream, skew, len(units), worst*1000)
	if worst > 0.020 {
		t.Errorf("%s: audio is placed up to %.1f ms away from where the sender reports put it (the limit is one audio frame, 20 ms)", stream, worst*1000)
	}
}
