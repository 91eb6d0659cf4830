package main

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/rtcp"
)

// encodeGOP1 encodes seconds of 320x240 H.264 at 25 fps with a 1 s GOP and
// no B-frames, as access units.
func encodeGOP1(t testing.TB, seconds int) (aus [][][]byte, sps, pps []byte) {
	t.Helper()
	need(t, "ffmpeg")
	path := filepath.Join(t.TempDir(), "cam.h264")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-t", fmt.Sprint(seconds), "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-bf", "0", "-g", "25", "-keyint_min", "25",
		"-sc_threshold", "0", "-b:v", "300k", "-pix_fmt", "yuv420p", "-bsf:v", "h264_metadata=aud=insert", "-f", "h264", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	raw, _ := os.ReadFile(path)
	for _, n := range splitAnnexB(raw) {
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeAccessUnitDelimiter:
			aus = append(aus, nil)
			continue
		case h264.NALUTypeSPS:
			sps = n
		case h264.NALUTypePPS:
			pps = n
		}
		if len(aus) == 0 {
			aus = append(aus, nil)
		}
		aus[len(aus)-1] = append(aus[len(aus)-1], n)
	}
	return aus, sps, pps
}

// ntpTime is t in the NTP format of RTCP sender reports.
func ntpTime(t time.Time) uint64 {
	const unixToNTP = 2208988800
	ns := t.UnixNano()
	sec := uint64(ns/1e9) + unixToNTP
	frac := uint64(ns%1e9) << 32 / 1e9
	return sec<<32 | frac
}

// fastClockCamera publishes aus in real time over RTSP (TCP), frames
// captured at start + i/25 s; its RTCP sender reports, one every 5 s,
// give a wall clock that runs 2 % fast and jitters by up to ±20 ms. It
// returns the capture times of its keyframes.
func fastClockCamera(t *testing.T, url string, aus [][][]byte, sps, pps []byte, frames int) []time.Time {
	t.Helper()
	forma := &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: sps, PPS: pps}
	desc := &description.Session{Medias: []*description.Media{{Type: description.MediaTypeVideo, Formats: []format.Format{forma}}}}
	tcp := gortsplib.TransportTCP
	c := gortsplib.Client{Transport: &tcp, DisableRTCPSenderReports: true}
	if err := c.StartRecording(url, desc); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	enc := &rtph264.Encoder{PayloadType: 96}
	if err := enc.Init(); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(8))
	base := rand.Uint32()
	start := time.Now()
	var keys []time.Time
	for i := 0; i < frames; i++ {
		capture := start.Add(time.Duration(i) * time.Second / 25)
		time.Sleep(time.Until(capture))
		ts := base + uint32(i*3600)
		au := aus[i%len(aus)]
		if h264.IsRandomAccess(au) {
			keys = append(keys, capture)
		}
		pkts, err := enc.Encode(au)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts {
			p.Timestamp = ts
			if err := c.WritePacketRTP(desc.Medias[0], p); err != nil {
				t.Fatal(err)
			}
		}
		if i%125 == 0 {
			// The client gave the packets its own SSRC: the report names it.
			elapsed := time.Duration(i) * time.Second / 25
			jitter := time.Duration(r.Int63n(int64(40*time.Millisecond))) - 20*time.Millisecond
			claimed := start.Add(elapsed + elapsed/50 + jitter)
			sr := &rtcp.SenderReport{SSRC: pkts[0].SSRC, NTPTime: ntpTime(claimed), RTPTime: ts}
			if err := c.WritePacketRTCP(desc.Medias[0], sr); err != nil {
				t.Fatal(err)
			}
		}
	}
	return keys
}

// TestProducerTimestampsFastSenderClock: a camera whose RTCP sender-report
// clock runs 2 % fast (and jitters) publishes 30 s without a break. Every
// fragment's ProducerTimestamp is at or before its ServerTimestamp and
// close to the capture time of its first frame (never ahead of it by more
// than the way to the server), and an ON_DISCONTINUITY playlist of the
// session has no discontinuity after its first segment. Before, producer
// times followed the sender reports: 600 ms ahead of capture by the end,
// with a 100 ms jump at every report.
func TestProducerTimestampsFastSenderClock(t *testing.T) {
	srv := videoServer(t, false, nil)
	const stream = "fastclock"
	aus, sps, pps := encodeGOP1(t, 10)
	keys := fastClockCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, aus, sps, pps, 30*25)
	waitIdle(t, srv)

	archived := archivedClient(t, srv.URL(), stream)
	frags := listAll(t, archived, stream, amtypes.FragmentSelectorTypeProducerTimestamp)
	sortFragments(frags)
	if len(frags) != len(keys) {
		t.Fatalf("%d fragments for %d keyframes", len(frags), len(keys))
	}
	// The way from the camera to the server is loopback: what a producer
	// time may be ahead of capture is that, with room for a busy machine.
	const ahead = 250 * time.Millisecond
	var worst time.Duration
	for i, f := range frags {
		p, s := *f.ProducerTimestamp, *f.ServerTimestamp
		if p.After(s) {
			t.Errorf("fragment %d: ProducerTimestamp %v is after its ServerTimestamp %v", i, p, s)
		}
		d := p.Sub(keys[i].Truncate(time.Millisecond))
		worst = max(worst, d)
		if d > ahead {
			t.Errorf("fragment %d: ProducerTimestamp %v ahead of the capture of its first frame", i, d)
		}
	}
	t.Logf("%d fragments; producer time at most %v after capture", len(frags), worst)
	for i := 1; i < len(frags); i++ {
		prev, f := frags[i-1], frags[i]
		end := prev.ProducerTimestamp.Add(time.Duration(prev.FragmentLengthInMilliseconds) * time.Millisecond)
		if d := f.ProducerTimestamp.Sub(end); d > 50*time.Millisecond || d < -50*time.Millisecond {
			t.Errorf("fragment %d starts %v from where fragment %d ends (producer time)", i, d, i-1)
		}
	}

	out, err := archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(stream),
		PlaybackMode: amtypes.HLSPlaybackModeOnDemand, DiscontinuityMode: amtypes.HLSDiscontinuityModeOnDiscontinuity,
		HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
			TimestampRange: &amtypes.HLSTimestampRange{StartTimestamp: frags[0].ProducerTimestamp, EndTimestamp: aws.Time(frags[len(frags)-1].ProducerTimestamp.Add(time.Second))}}})
	if err != nil {
		t.Fatal(err)
	}
	_, mediaURL := mediaPlaylistOf(t, *out.HLSStreamingSessionURL)
	text := getText(t, mediaURL)
	if n := strings.Count(text, "#EXT-X-DISCONTINUITY\n"); n > 1 {
		t.Errorf("the ON_DISCONTINUITY playlist of one uninterrupted publish has %d discontinuities:\n%s", n, text)
	}
}
