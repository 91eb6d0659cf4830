package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/pion/rtp"
)

func need(t testing.TB, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Fatalf("%s is required (make test installs it): %v", tool, err)
	}
}

// videoServer starts the in-process server with RTSP on loopback (UDP too
// when udp is set).
func videoServer(t *testing.T, udp bool, mutate func(*Config)) *testServer {
	t.Helper()
	cfg := testConfig(t)
	if udp {
		rtp, rtcp := freeUDPPair(t)
		cfg.RTSPUDPRTP, cfg.RTSPUDPRTCP = fmt.Sprintf("127.0.0.1:%d", rtp), fmt.Sprintf("127.0.0.1:%d", rtcp)
	}
	if mutate != nil {
		mutate(&cfg)
	}
	return startServer(t, cfg)
}

func freeUDPPair(t testing.TB) (int, int) {
	for i := 0; i < 50; i++ {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		if p%2 != 0 {
			p++
		}
		a, err1 := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p))
		b, err2 := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p+1))
		if a != nil {
			a.Close()
		}
		if b != nil {
			b.Close()
		}
		if err1 == nil && err2 == nil {
			return p, p + 1
		}
	}
	t.Fatal("no free UDP port pair")
	return 0, 0
}

// ffmpegCamera runs ffmpeg as an IP camera: a 25 fps test pattern with a
// 1 s GOP and a 1 kHz tone, for seconds.
func ffmpegCamera(t testing.TB, url string, seconds int, transport, codec string) *exec.Cmd {
	t.Helper()
	need(t, "ffmpeg")
	args := []string{"-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-re", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", fmt.Sprint(seconds), "-map", "0:v", "-map", "1:a"}
	if codec == "h265" {
		args = append(args, "-c:v", "libx265", "-x265-params", "keyint=25:min-keyint=25:scenecut=0:repeat-headers=1:log-level=error")
	} else {
		args = append(args, "-c:v", "libx264", "-profile:v", "main", "-bf", "2", "-preset", "veryfast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0")
	}
	args = append(args, "-pix_fmt", "yuv420p", "-b:v", "300k", "-c:a", "aac", "-b:a", "48k", "-ar", "48000", "-ac", "1",
		"-f", "rtsp", "-rtsp_transport", transport, url)
	return exec.Command("ffmpeg", args...)
}

// runCamera runs a camera to its end; one that has not ended a minute
// after it should have is killed and fails the test.
func runCamera(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v\n%s", cmd.Path, err, out.String())
		}
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not end\n%s", cmd.Path, out.String())
	}
}

// gstCamera is a GStreamer camera: rtspclientsink publishing H.264
// (OpenH264) with a 1 s GOP and AAC, which GStreamer sends as MP4A-LATM,
// for frames/25 seconds in real time. The media is encoded first, into an
// MP4 file (exact sample times, audio at 48 kHz), and published from it
// paced by its timestamps: OpenH264
// (Debian's 2.3.1) fails at end of stream ("EncodeFrame(), cmInitParaError")
// and, in a live pipeline on a loaded machine, that failure now and then
// keeps the end of stream from reaching rtspclientsink, which then never
// ends. Encoding apart keeps the publisher what it is (GStreamer's RTSP
// client, payloaders and pacing) without the encoder in its way. Even so,
// on a loaded machine gst-launch now and then never sees its pipeline's
// end of stream (rtspclientsink's log shows all media sent, then nothing
// but RTCP: it never starts its TEARDOWN); runGstCamera stops such a run
// as a user would, with Ctrl-C.
func gstCamera(t testing.TB, url string, frames int) *exec.Cmd {
	t.Helper()
	need(t, "gst-launch-1.0")
	file := filepath.Join(t.TempDir(), "gst-camera.mp4")
	encode := fmt.Sprintf("videotestsrc num-buffers=%d ! video/x-raw,width=320,height=240,framerate=25/1 ! "+
		"openh264enc gop-size=25 bitrate=300000 ! h264parse ! mux. "+
		"audiotestsrc num-buffers=%d samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=1 ! avenc_aac ! aacparse ! mux. "+
		"mp4mux name=mux ! filesink location=%s", frames, frames*48000/25/1024, file)
	if out, err := exec.Command("gst-launch-1.0", append([]string{"-q"}, strings.Fields(encode)...)...).CombinedOutput(); err != nil {
		t.Fatalf("encode the GStreamer camera's media: %v\n%s", err, out)
	}
	publish := fmt.Sprintf("filesrc location=%s ! qtdemux name=d "+
		"d.video_0 ! queue ! h264parse config-interval=-1 ! identity sync=true ! s. "+
		"d.audio_0 ! queue ! aacparse ! identity sync=true ! s. "+
		"rtspclientsink name=s location=%s protocols=tcp", file, url)
	return exec.Command("gst-launch-1.0", append([]string{"-q"}, strings.Fields(publish)...)...)
}

// runGstCamera runs a gstCamera for frames/25 seconds. A run still going
// 20 s after its media ended gets SIGINT (gst-launch then sets its pipeline
// to NULL: rtspclientsink tears the session down and it exits), which is
// logged; one that does not end after that fails the test.
func runGstCamera(t testing.TB, cmd *exec.Cmd, frames int) {
	t.Helper()
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	start, media := time.Now(), time.Duration(frames)*time.Second/25
	select {
	case err := <-done:
		// rtspclientsink sometimes meets the server's close of the
		// connection after its TEARDOWN with one more message and exits 1
		// ("Received end-of-file"); once all the media had time to go, that
		// is the end of the run, and the caller checks what was stored.
		if err != nil && !(time.Since(start) >= media && strings.Contains(out.String(), "Received end-of-file")) {
			t.Fatalf("%s: %v\n%s", cmd.Path, err, out.String())
		}
		if err != nil {
			t.Logf("gst-launch ended with an error after its media: %s", strings.TrimSpace(out.String()))
		}
		return
	case <-time.After(media + 20*time.Second):
	}
	t.Logf("gst-launch did not see its end of stream; stopping it with SIGINT")
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-done: // gst-launch exits 1 after an interrupt; that is expected here
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not end, even on SIGINT\n%s", cmd.Path, out.String())
	}
}

// waitIdle waits until no publisher session runs (the last one stored its
// final fragment).
func waitIdle(t testing.TB, srv *testServer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(srv.ingest.Sessions()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("publisher sessions still running: %+v", srv.ingest.Sessions())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func kvsClient(url string) *kinesisvideo.Client {
	return kinesisvideo.New(kinesisvideo.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), HTTPClient: sdkHTTPClient(awshttp.NewBuildableClient()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testCreds, nil }),
		Retryer:     aws.NopRetryer{}})
}

// dataEndpoint asks GetDataEndpoint where api is served, as real consumers do.
func dataEndpoint(t testing.TB, url, stream string, api kvtypes.APIName) *string {
	t.Helper()
	ep, err := kvsClient(url).GetDataEndpoint(ctx, &kinesisvideo.GetDataEndpointInput{StreamName: aws.String(stream), APIName: api})
	if err != nil {
		t.Fatalf("GetDataEndpoint: %v", err)
	}
	return ep.DataEndpoint
}

// archivedClient follows GetDataEndpoint.
func archivedClient(t testing.TB, url, stream string) *kinesisvideoarchivedmedia.Client {
	t.Helper()
	return kinesisvideoarchivedmedia.New(kinesisvideoarchivedmedia.Options{Region: "us-east-1", HTTPClient: sdkHTTPClient(awshttp.NewBuildableClient()),
		BaseEndpoint: dataEndpoint(t, url, stream, kvtypes.APINameListFragments),
		Credentials:  aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testCreds, nil }),
		Retryer:      aws.NopRetryer{}})
}

// listAll lists a stream's fragments (server time, all of time) a few at a
// time through the SDK's paginator.
func listAll(t testing.TB, c *kinesisvideoarchivedmedia.Client, stream string, kind amtypes.FragmentSelectorType) []amtypes.Fragment {
	t.Helper()
	p := kinesisvideoarchivedmedia.NewListFragmentsPaginator(c, &kinesisvideoarchivedmedia.ListFragmentsInput{
		StreamName: aws.String(stream), MaxResults: aws.Int64(3),
		FragmentSelector: &amtypes.FragmentSelector{FragmentSelectorType: kind,
			TimestampRange: &amtypes.TimestampRange{StartTimestamp: aws.Time(time.Unix(0, 0)), EndTimestamp: aws.Time(time.Now().Add(time.Hour))}},
	})
	var out []amtypes.Fragment
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListFragments: %v", err)
		}
		out = append(out, page.Fragments...)
	}
	return out
}

// relay is a minimal RTSP server (gortsplib): one publisher, many readers.
// Tests use it as the "camera" that shardcast pulls from.
type relay struct {
	srv    *gortsplib.Server
	mu     sync.Mutex
	stream *gortsplib.ServerStream
	pub    *gortsplib.ServerSession
}

func startRelay(t testing.TB, addr string) *relay {
	t.Helper()
	r := &relay{}
	r.srv = &gortsplib.Server{Handler: r, RTSPAddress: addr}
	if err := r.srv.Start(); err != nil {
		t.Fatalf("relay: %v", err)
	}
	return r
}

func (r *relay) close() {
	r.srv.Close()
	r.mu.Lock()
	if r.stream != nil {
		r.stream.Close()
		r.stream = nil
	}
	r.mu.Unlock()
}

func (r *relay) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stream != nil && ctx.Session == r.pub {
		r.stream.Close()
		r.stream = nil
	}
}

func (r *relay) OnDescribe(*gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stream == nil {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, r.stream, nil
}

func (r *relay) OnAnnounce(ctx *gortsplib.ServerHandlerOnAnnounceCtx) (*base.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stream != nil {
		r.stream.Close()
	}
	r.stream = &gortsplib.ServerStream{Server: r.srv, Desc: ctx.Description}
	if err := r.stream.Initialize(); err != nil {
		return &base.Response{StatusCode: base.StatusInternalServerError}, err
	}
	r.pub = ctx.Session
	return &base.Response{StatusCode: base.StatusOK}, nil
}

func (r *relay) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if ctx.Session.State() == gortsplib.ServerSessionStatePreRecord {
		return &base.Response{StatusCode: base.StatusOK}, nil, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stream == nil {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, r.stream, nil
}

func (r *relay) OnPlay(*gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	return &base.Response{StatusCode: base.StatusOK}, nil
}

func (r *relay) OnRecord(ctx *gortsplib.ServerHandlerOnRecordCtx) (*base.Response, error) {
	ctx.Session.OnPacketRTPAny(func(m *description.Media, _ format.Format, pkt *rtp.Packet) {
		r.mu.Lock()
		st := r.stream
		r.mu.Unlock()
		if st != nil {
			st.WritePacketRTP(m, pkt)
		}
	})
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// mp4Box is a box found by walkBoxes.
type mp4Box struct {
	typ     string
	payload []byte
}

// walkBoxes splits b into boxes. It is written here, independent of the
// MP4 code that produced the data.
func walkBoxes(t testing.TB, b []byte) []mp4Box {
	t.Helper()
	var out []mp4Box
	for len(b) > 0 {
		if len(b) < 8 {
			t.Fatalf("truncated box header (%d bytes)", len(b))
		}
		size := int(binary.BigEndian.Uint32(b))
		typ := string(b[4:8])
		hdr := 8
		if size == 1 {
			size, hdr = int(binary.BigEndian.Uint64(b[8:])), 16
		}
		if size < hdr || size > len(b) {
			t.Fatalf("box %q of size %d in %d bytes", typ, size, len(b))
		}
		out = append(out, mp4Box{typ: typ, payload: b[hdr:size]})
		b = b[size:]
	}
	return out
}

func child(t testing.TB, boxes []mp4Box, typ string) []byte {
	t.Helper()
	for _, b := range boxes {
		if b.typ == typ {
			return b.payload
		}
	}
	t.Fatalf("no %s box among %v", typ, boxTypes(boxes))
	return nil
}

func boxTypes(boxes []mp4Box) []string {
	var s []string
	for _, b := range boxes {
		s = append(s, b.typ)
	}
	return s
}

// fragTrack is what the independent parser reads of one traf.
type fragTrack struct {
	id            uint32
	baseTime      uint64
	sizes         []uint32
	durations     []uint32
	firstIsSync   bool
	totalDuration uint64
}

// parseFragment parses a moof+mdat with the box walker and checks that
// the sample sizes add up to the mdat.
func parseFragment(t testing.TB, data []byte) []fragTrack {
	t.Helper()
	top := walkBoxes(t, data)
	if len(top) == 0 || len(top)%2 != 0 {
		t.Fatalf("fragment boxes %v, want moof mdat pairs (one per part)", boxTypes(top))
	}
	var tracks []fragTrack
	for i := 0; i < len(top); i += 2 {
		if top[i].typ != "moof" || top[i+1].typ != "mdat" {
			t.Fatalf("fragment boxes %v, want moof mdat pairs (one per part)", boxTypes(top))
		}
		for _, pt := range parseChunk(t, top[i], top[i+1]) {
			found := false
			for j := range tracks {
				if tracks[j].id != pt.id {
					continue
				}
				found = true
				ft := &tracks[j]
				// Parts follow each other; audio may leave a gap (samples
				// that came more than a second late are dropped), never overlap.
				if want := ft.baseTime + ft.totalDuration; pt.baseTime < want {
					t.Fatalf("track %d: part %d starts at %d, before the previous part's end %d", pt.id, i/2, pt.baseTime, want)
				}
				ft.totalDuration = pt.baseTime - ft.baseTime
				ft.sizes = append(ft.sizes, pt.sizes...)
				ft.durations = append(ft.durations, pt.durations...)
				ft.totalDuration += pt.totalDuration
			}
			if !found {
				tracks = append(tracks, pt)
			}
		}
	}
	return tracks
}

// parseChunk parses one moof and checks that its samples fill its mdat.
func parseChunk(t testing.TB, moof, mdat mp4Box) []fragTrack {
	t.Helper()
	var tracks []fragTrack
	total := 0
	for _, traf := range walkBoxes(t, moof.payload) {
		if traf.typ != "traf" {
			continue
		}
		kids := walkBoxes(t, traf.payload)
		var ft fragTrack
		tfhd := child(t, kids, "tfhd")
		ft.id = binary.BigEndian.Uint32(tfhd[4:])
		tfhdFlags := binary.BigEndian.Uint32(tfhd) & 0xffffff
		var defaultDuration, defaultSize, defaultFlags uint32
		p := tfhd[8:]
		if tfhdFlags&0x1 != 0 {
			p = p[8:]
		}
		if tfhdFlags&0x2 != 0 {
			p = p[4:]
		}
		if tfhdFlags&0x8 != 0 {
			defaultDuration, p = binary.BigEndian.Uint32(p), p[4:]
		}
		if tfhdFlags&0x10 != 0 {
			defaultSize, p = binary.BigEndian.Uint32(p), p[4:]
		}
		if tfhdFlags&0x20 != 0 {
			defaultFlags = binary.BigEndian.Uint32(p)
		}
		tfdt := child(t, kids, "tfdt")
		if tfdt[0] == 1 {
			ft.baseTime = binary.BigEndian.Uint64(tfdt[4:])
		} else {
			ft.baseTime = uint64(binary.BigEndian.Uint32(tfdt[4:]))
		}
		trun := child(t, kids, "trun")
		flags := binary.BigEndian.Uint32(trun) & 0xffffff
		n := int(binary.BigEndian.Uint32(trun[4:]))
		q := trun[8:]
		if flags&0x1 != 0 {
			q = q[4:] // data offset
		}
		firstFlags, haveFirst := uint32(0), false
		if flags&0x4 != 0 {
			firstFlags, haveFirst, q = binary.BigEndian.Uint32(q), true, q[4:]
		}
		for i := 0; i < n; i++ {
			d, s, f := defaultDuration, defaultSize, defaultFlags
			if flags&0x100 != 0 {
				d, q = binary.BigEndian.Uint32(q), q[4:]
			}
			if flags&0x200 != 0 {
				s, q = binary.BigEndian.Uint32(q), q[4:]
			}
			if flags&0x400 != 0 {
				f, q = binary.BigEndian.Uint32(q), q[4:]
			}
			if flags&0x800 != 0 {
				q = q[4:]
			}
			if i == 0 {
				if haveFirst {
					f = firstFlags
				}
				ft.firstIsSync = f&0x10000 == 0 // sample_is_non_sync_sample clear
			}
			ft.sizes = append(ft.sizes, s)
			ft.durations = append(ft.durations, d)
			ft.totalDuration += uint64(d)
			total += int(s)
		}
		tracks = append(tracks, ft)
	}
	if total != len(mdat.payload) {
		t.Fatalf("samples add up to %d bytes, mdat holds %d", total, len(mdat.payload))
	}
	return tracks
}

func aTime(sec int64) time.Time { return time.Unix(sec, 0) }
