package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
)

// dashMPD is what the tests read of an MPD, with encoding/xml.
type dashMPD struct {
	Type    string `xml:"type,attr"`
	Periods []struct {
		ID    string `xml:"id,attr"`
		Start string `xml:"start,attr"`
		Sets  []struct {
			ContentType string `xml:"contentType,attr"`
			Reps        []struct {
				Codecs   string `xml:"codecs,attr"`
				Template struct {
					Start uint64 `xml:"startNumber,attr"`
					S     []struct {
						D  uint64 `xml:"d,attr"`
						TS string `xml:"https://kinesisvideo.amazonaws.com/dash ts,attr"`
						FN string `xml:"https://kinesisvideo.amazonaws.com/dash fn,attr"`
					} `xml:"SegmentTimeline>S"`
				} `xml:"SegmentTemplate"`
			} `xml:"Representation"`
		} `xml:"AdaptationSet"`
	} `xml:"Period"`
}

// stripKVS removes the kvs:ts and kvs:fn attributes of an MPD.
func stripKVS(mpd string) string {
	return regexp.MustCompile(` kvs:(ts|fn)="[^"]*"`).ReplaceAllString(mpd, "")
}

// getMPD fetches and parses an MPD, checking its content type.
func getMPD(t testing.TB, url string) (*dashMPD, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/dash+xml" {
		t.Fatalf("GET %s: %d %s\n%s", url, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	var m dashMPD
	if err := xml.Unmarshal(b, &m); err != nil {
		t.Fatalf("MPD: %v\n%s", err, b)
	}
	return &m, string(b)
}

// segments counts the S elements of an MPD's video adaptation sets.
func (m *dashMPD) segments() int {
	n := 0
	for _, p := range m.Periods {
		for _, s := range p.Sets {
			if s.ContentType == "video" {
				n += len(s.Reps[0].Template.S)
			}
		}
	}
	return n
}

// probeLive reads a live URL with ffprobe for about seconds of media and
// returns the distinct video and audio decode times it read. ffmpeg 5.1's
// DASH reader loses its place in a SegmentTimeline when it reloads a live
// MPD (it takes the $Number$ of its next segment for the segment's index in
// the timeline and goes back to the window's start), so it may read a
// segment twice: what it reads is checked once de-duplicated.
func probeLive(t testing.TB, url string, seconds int) (video, audio []float64) {
	t.Helper()
	need(t, "ffprobe")
	cmd := exec.Command("ffprobe", "-v", "error", "-analyzeduration", "1000000", "-read_intervals", "%+"+strconv.Itoa(seconds),
		"-show_entries", "packet=codec_type,dts_time", "-of", "csv=p=0", url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", url, err, out)
	}
	seen := map[string]map[float64]bool{"video": {}, "audio": {}}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 2 || seen[f[0]] == nil {
			t.Errorf("ffprobe said %q", line)
			continue
		}
		if v, err := strconv.ParseFloat(f[1], 64); err == nil {
			seen[f[0]][v] = true
		}
	}
	sorted := func(m map[float64]bool) []float64 {
		var out []float64
		for v := range m {
			out = append(out, v)
		}
		sort.Float64s(out)
		return out
	}
	return sorted(seen["video"]), sorted(seen["audio"])
}

// probeDASH counts the frames of a finite DASH URL per media type, each
// read on its own (ffmpeg's DASH reader, reading all of them together,
// ends at the first representation's end, a few packets before the
// others'), and fails on a decode error or a decode time that does not
// grow.
func probeDASH(t testing.TB, url string) (video, audio int) {
	t.Helper()
	need(t, "ffprobe")
	for _, kind := range []string{"v", "a"} {
		out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", kind, "-count_frames", "-show_entries", "stream=nb_read_frames",
			"-of", "csv=p=0", url).CombinedOutput()
		if err != nil {
			t.Fatalf("ffprobe %s: %v\n%s", url, err, out)
		}
		n, err := strconv.Atoi(strings.Fields(string(out) + " x")[0])
		if err != nil {
			t.Fatalf("ffprobe %s frames: %q", kind, out)
		}
		if kind == "v" {
			video = n
		} else {
			audio = n
		}
		if out, err := exec.Command("ffmpeg", "-v", "error", "-i", url, "-map", "0:"+kind, "-f", "null", "-").CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("ffmpeg decoding %s of %s: %v\n%s", kind, url, err, out)
		}
		out, err = exec.Command("ffprobe", "-v", "error", "-select_streams", kind, "-show_entries", "packet=dts_time", "-of", "csv=p=0", url).Output()
		if err != nil {
			t.Fatalf("ffprobe packets: %v", err)
		}
		prev := math.Inf(-1)
		for _, line := range strings.Fields(string(out)) {
			v, err := strconv.ParseFloat(strings.TrimSuffix(line, ","), 64)
			if err != nil {
				continue
			}
			if v <= prev {
				t.Errorf("%s: %s decode time %v after %v", url, kind, v, prev)
				break
			}
			prev = v
		}
	}
	return video, audio
}

// TestDASHSessions: GetDASHStreamingSessionURL through the Go SDK for a
// camera with video and audio, in each playback mode; ffprobe and ffmpeg
// read each MPD (LIVE while publishing; ON_DEMAND and a finished
// LIVE_REPLAY with every published frame), and sessions refuse tokens that
// are not theirs.
func TestDASHSessions(t *testing.T) {
	t.Parallel() // mostly waiting on a real-time camera: it overlaps the other waiting tests
	srv := videoServer(t, false, nil)
	url := srv.URL()
	const stream = "dash"
	if _, err := kvsClient(url).CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(stream), DataRetentionInHours: aws.Int32(24)}); err != nil {
		t.Fatal(err)
	}
	archived := archivedClient(t, url, stream)
	_, err := archived.GetDASHStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{StreamName: aws.String(stream)})
	wantErr(t, err, "ResourceNotFoundException", "No fragments found in the stream for the streaming request.")

	const seconds = 10
	cam := ffmpegCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, seconds, "tcp", "h264")
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Process.Kill(); cam.Wait() })

	// LIVE while publishing: a dynamic MPD that ffprobe follows.
	var liveURL string
	deadline := time.Now().Add(20 * time.Second)
	for liveURL == "" && time.Now().Before(deadline) {
		out, err := archived.GetDASHStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{StreamName: aws.String(stream),
			PlaybackMode: amtypes.DASHPlaybackModeLive, DisplayFragmentNumber: amtypes.DASHDisplayFragmentNumberAlways,
			MaxManifestFragmentResults: aws.Int64(10)})
		if err == nil {
			liveURL = *out.DASHStreamingSessionURL
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if liveURL == "" {
		t.Fatal("no LIVE DASH session while publishing")
	}
	if !strings.HasPrefix(liveURL, url+"/dash/v1/getDASHManifest.mpd?SessionToken=") {
		t.Fatalf("LIVE URL %s", liveURL)
	}
	m, body := getMPD(t, liveURL)
	if m.Type != "dynamic" || len(m.Periods) != 1 || len(m.Periods[0].Sets) != 2 || m.Periods[0].Sets[0].ContentType != "video" ||
		m.Periods[0].Sets[1].ContentType != "audio" || !strings.HasPrefix(m.Periods[0].Sets[1].Reps[0].Codecs, "mp4a.40.") {
		t.Fatalf("LIVE MPD:\n%s", body)
	}
	if s := m.Periods[0].Sets[0].Reps[0].Template.S; len(s) == 0 || s[0].FN == "" {
		t.Errorf("LIVE MPD without kvs:fn:\n%s", body)
	}
	// ffmpeg starts at the window's first segment: let the window hold
	// more than it reads.
	// As the window slides, the Period keeps its id and start (the
	// wall-clock time of its media time zero).
	period := m.Periods[0].ID + "@" + m.Periods[0].Start
	for deadline := time.Now().Add(20 * time.Second); m.segments() < 6 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		m, body = getMPD(t, liveURL)
		if len(m.Periods) != 1 || m.Periods[0].ID+"@"+m.Periods[0].Start != period {
			t.Errorf("LIVE MPD's period was %s:\n%s", period, body)
		}
	}
	video, audio := probeLive(t, liveURL, 2)
	if len(video) < 25 || len(audio) < 25 {
		t.Errorf("ffprobe read %d video and %d audio packets of the LIVE MPD", len(video), len(audio))
	}
	// The video is frame after frame, no more than 40 ms apart.
	for i := 1; i < len(video); i++ {
		if d := video[i] - video[i-1]; d > 0.045 {
			t.Errorf("LIVE video decode times %v then %v", video[i-1], video[i])
			break
		}
	}
	if err := cam.Wait(); err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	waitIdle(t, srv)

	frags := listAll(t, archived, stream, amtypes.FragmentSelectorTypeServerTimestamp)
	sortFragments(frags)
	first, last := frags[0], frags[len(frags)-1]
	wantFrames := seconds * 25

	t.Run("on-demand", func(t *testing.T) {
		out, err := archived.GetDASHStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{StreamName: aws.String(stream),
			PlaybackMode: amtypes.DASHPlaybackModeOnDemand, DisplayFragmentTimestamp: amtypes.DASHDisplayFragmentTimestampAlways,
			DisplayFragmentNumber: amtypes.DASHDisplayFragmentNumberAlways,
			DASHFragmentSelector: &amtypes.DASHFragmentSelector{FragmentSelectorType: amtypes.DASHFragmentSelectorTypeServerTimestamp,
				TimestampRange: &amtypes.DASHTimestampRange{StartTimestamp: first.ServerTimestamp, EndTimestamp: last.ServerTimestamp}}})
		if err != nil {
			t.Fatal(err)
		}
		m, body := getMPD(t, *out.DASHStreamingSessionURL)
		if m.Type != "static" || m.segments() != len(frags) {
			t.Fatalf("ON_DEMAND MPD lists %d of %d fragments:\n%s", m.segments(), len(frags), body)
		}
		for i, s := range m.Periods[0].Sets[0].Reps[0].Template.S {
			if s.FN != *frags[i].FragmentNumber || s.TS != frags[i].ServerTimestamp.UTC().Format("2006-01-02T15:04:05.000Z") {
				t.Errorf("S %d: kvs:fn %s kvs:ts %s, fragment %s at %v", i, s.FN, s.TS, *frags[i].FragmentNumber, frags[i].ServerTimestamp)
			}
		}
		video, audio := probeDASH(t, *out.DASHStreamingSessionURL)
		if video != wantFrames || audio < (seconds-1)*47 {
			t.Errorf("DASH ON_DEMAND decodes %d video and %d audio frames, want %d and about %d", video, audio, wantFrames, seconds*47)
		}
		// The AWS CLI gets a session of the same range, with the same MPD
		// but for its token.
		var cli struct{ DASHStreamingSessionURL string }
		newCLI(t, url).ok(&cli, "kinesis-video-archived-media", "get-dash-streaming-session-url", "--stream-name", stream,
			"--playback-mode", "ON_DEMAND", "--dash-fragment-selector", "FragmentSelectorType=SERVER_TIMESTAMP,TimestampRange={StartTimestamp="+
				strconv.FormatInt(first.ServerTimestamp.Unix(), 10)+",EndTimestamp="+strconv.FormatInt(last.ServerTimestamp.Unix()+1, 10)+"}")
		token := func(u string) string { return u[strings.Index(u, "SessionToken=")+len("SessionToken="):] }
		if m2, body2 := getMPD(t, cli.DASHStreamingSessionURL); m2.segments() != len(frags) ||
			strings.ReplaceAll(body2, token(cli.DASHStreamingSessionURL), "T") != strings.ReplaceAll(strings.NewReplacer(` xmlns:kvs="https://kinesisvideo.amazonaws.com/dash"`, "").Replace(stripKVS(body)), token(*out.DASHStreamingSessionURL), "T") {
			t.Errorf("the CLI's session MPD differs:\n%s\nfrom\n%s", body2, body)
		}
	})

	t.Run("live replay", func(t *testing.T) {
		out, err := archived.GetDASHStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{StreamName: aws.String(stream),
			PlaybackMode: amtypes.DASHPlaybackModeLiveReplay, MaxManifestFragmentResults: aws.Int64(1000),
			DASHFragmentSelector: &amtypes.DASHFragmentSelector{FragmentSelectorType: amtypes.DASHFragmentSelectorTypeProducerTimestamp,
				TimestampRange: &amtypes.DASHTimestampRange{StartTimestamp: first.ProducerTimestamp, EndTimestamp: last.ProducerTimestamp}}})
		if err != nil {
			t.Fatal(err)
		}
		u := *out.DASHStreamingSessionURL
		m, body := getMPD(t, u)
		if m.Type != "dynamic" || m.segments() == 0 || m.segments() >= len(frags) {
			t.Fatalf("LIVE_REPLAY starts with %d of %d fragments:\n%s", m.segments(), len(frags), body)
		}
		// The replay runs in real time; once it has, its MPD is static with
		// every fragment.
		deadline := time.Now().Add(time.Duration(3*seconds) * time.Second)
		for m.Type != "static" && time.Now().Before(deadline) {
			time.Sleep(500 * time.Millisecond)
			m, body = getMPD(t, u)
		}
		if m.Type != "static" || m.segments() != len(frags) {
			t.Fatalf("finished LIVE_REPLAY lists %d of %d fragments:\n%s", m.segments(), len(frags), body)
		}
		if video, _ := probeDASH(t, u); video != wantFrames {
			t.Errorf("DASH LIVE_REPLAY decodes %d video frames, want %d", video, wantFrames)
		}
	})

	t.Run("tokens", func(t *testing.T) {
		hls, err := archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(stream),
			PlaybackMode: amtypes.HLSPlaybackModeOnDemand, HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeServerTimestamp,
				TimestampRange: &amtypes.HLSTimestampRange{StartTimestamp: first.ServerTimestamp, EndTimestamp: last.ServerTimestamp}}})
		if err != nil {
			t.Fatal(err)
		}
		hlsTok := (*hls.HLSStreamingSessionURL)[strings.Index(*hls.HLSStreamingSessionURL, "SessionToken=")+len("SessionToken="):]
		dashTok := liveURL[strings.Index(liveURL, "SessionToken=")+len("SessionToken="):]
		for _, c := range []struct{ path, why string }{
			{"/dash/v1/getDASHManifest.mpd?SessionToken=" + hlsTok, "HLS token on DASH"},
			{"/dash/v1/getMP4InitFragment.mp4?TrackNumber=1&SessionToken=" + hlsTok, "HLS token on DASH"},
			{"/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=" + dashTok, "DASH token on HLS"},
			{"/dash/v1/getDASHManifest.mpd?SessionToken=" + dashTok[:len(dashTok)-2] + "AA", "forged token"},
			{"/dash/v1/getDASHManifest.mpd", "no token"},
		} {
			resp, err := http.Get(url + c.path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-Errortype") != "NotAuthorizedException" {
				t.Errorf("%s: %d %s %s", c.why, resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), b)
			}
		}
		_, err = archived.GetDASHStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{StreamName: aws.String(stream),
			PlaybackMode: amtypes.DASHPlaybackModeOnDemand})
		wantErr(t, err, "InvalidArgumentException", "DASHFragmentSelector with a TimestampRange StartTimestamp is required in ON_DEMAND mode.")
		_, err = archived.GetDASHStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{StreamName: aws.String(stream),
			MaxManifestFragmentResults: aws.Int64(5001)})
		wantErr(t, err, "InvalidArgumentException", "")
	})
}

// dashjsPage plays a DASH URL with dash.js (served by the page's own
// server from the pinned npm package) and reports to /result.
const dashjsPage = `<!doctype html><html><body>
<video id="v" muted autoplay playsinline></video>
<script src="/dash.all.min.js"></script>
<script>
const report = (o) => fetch('/result', {method: 'POST', body: JSON.stringify(o)});
const v = document.getElementById('v');
const errors = []; let frags = 0;
if (!window.dashjs) { report({error: 'dash.js did not load'}); }
const player = dashjs.MediaPlayer().create();
player.on(dashjs.MediaPlayer.events.ERROR, (e) => errors.push('FATAL:' + JSON.stringify(e.error || e)));
player.on(dashjs.MediaPlayer.events.FRAGMENT_LOADING_COMPLETED, () => frags++);
player.initialize(v, %[1]q, true);
v.addEventListener('playing', () => {
  const c0 = v.currentTime, t0 = performance.now();
  setTimeout(() => report({advanced: v.currentTime - c0, wall: (performance.now() - t0) / 1000,
    width: v.videoWidth, height: v.videoHeight, errors, frags, live: player.isDynamic(), latency: player.getCurrentLiveLatency(), version: player.getVersion()}), %[2]d);
}, {once: true});
setTimeout(() => report({error: 'not playing after 40 s', errors}), 40000);
</script></body></html>`

type dashjsResult struct {
	Error    string   `json:"error"`
	Advanced float64  `json:"advanced"`
	Wall     float64  `json:"wall"`
	Width    int      `json:"width"`
	Height   int      `json:"height"`
	Errors   []string `json:"errors"`
	Frags    int      `json:"frags"`
	Live     bool     `json:"live"`
	Latency  float64  `json:"latency"`
	Version  string   `json:"version"`
}

// TestDASHJSChromium: dash.js (npm, pinned in the jsclient package-lock)
// in headless Chromium plays the LIVE MPD of an ffmpeg camera with video
// and audio: playback starts, video time advances by several seconds, and
// no error fires.
func TestDASHJSChromium(t *testing.T) {
	need(t, "chromium")
	dashjs := filepath.Join("testdata", "jsclient", "node_modules", "dashjs", "dist", "modern", "umd", "dash.all.min.js")
	script, err := os.ReadFile(dashjs)
	if err != nil {
		t.Fatalf("dash.js is not installed (make deps runs npm ci in testdata/jsclient): %v", err)
	}
	srv := videoServer(t, false, nil)
	const stream = "dashjs"
	if _, err := kvsClient(srv.URL()).CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(stream), DataRetentionInHours: aws.Int32(24)}); err != nil {
		t.Fatal(err)
	}
	cam := ffmpegCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, 40, "tcp", "h264")
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Process.Kill(); cam.Wait() })

	archived := archivedClient(t, srv.URL(), stream)
	var liveURL string
	deadline := time.Now().Add(20 * time.Second)
	for liveURL == "" && time.Now().Before(deadline) {
		out, err := archived.GetDASHStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{StreamName: aws.String(stream),
			PlaybackMode: amtypes.DASHPlaybackModeLive})
		if err == nil {
			liveURL = *out.DASHStreamingSessionURL
		} else {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if liveURL == "" {
		t.Fatal("no LIVE DASH session 20 s after the camera started")
	}
	// Let the live window fill before the player joins.
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if m, _ := getMPD(t, liveURL); m.segments() >= 3 {
			break
		}
	}

	results := make(chan dashjsResult, 1)
	const watchMillis = 8000
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, dashjsPage, liveURL, watchMillis)
		case "/dash.all.min.js":
			w.Header().Set("Content-Type", "text/javascript")
			w.Write(script)
		case "/result":
			var res dashjsResult
			b, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(b, &res); err != nil {
				res.Error = "bad report: " + string(b)
			}
			select {
			case results <- res:
			default:
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer page.Close()
	logs, _ := startChromium(t, page.URL+"/")

	var res dashjsResult
	select {
	case res = <-results:
	case <-time.After(60 * time.Second):
		t.Fatalf("no report from the browser in 60 s; chromium said:\n%s", logs.String())
	}
	t.Logf("dash.js %s: advanced %.2f s in %.2f s, %dx%d, %d segments loaded, dynamic %v, live latency %.2f s, errors %v",
		res.Version, res.Advanced, res.Wall, res.Width, res.Height, res.Frags, res.Live, res.Latency, res.Errors)
	if res.Error != "" {
		t.Fatalf("browser: %s (errors %v)", res.Error, res.Errors)
	}
	if len(res.Errors) > 0 {
		t.Errorf("dash.js errors: %v", res.Errors)
	}
	if !res.Live || res.Advanced < 5 || res.Width != 320 || res.Height != 240 {
		t.Errorf("video advanced %.2f s in %.2f s at %dx%d (dynamic %v)", res.Advanced, res.Wall, res.Width, res.Height, res.Live)
	}
}
