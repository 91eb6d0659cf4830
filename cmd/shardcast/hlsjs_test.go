package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// hlsjsPage plays a live HLS URL with hls.js (served by shardcast itself)
// in low-latency mode and reports to /result on its own origin.
const hlsjsPage = `<!doctype html><html><body>
<video id="v" muted autoplay playsinline></video>
<script src="%[1]s/static/hls.min.js"></script>
<script>
const report = (o) => fetch('/result', {method: 'POST', body: JSON.stringify(o)});
const v = document.getElementById('v');
const errors = []; let parts = 0, frags = 0;
if (!window.Hls || !Hls.isSupported()) { report({error: 'hls.js cannot run here (no MSE)'}); }
const hls = new Hls({lowLatencyMode: true});
hls.on(Hls.Events.ERROR, (e, d) => errors.push(d.type + ':' + d.details + (d.fatal ? ':FATAL' : '')));
hls.on(Hls.Events.FRAG_LOADED, (e, d) => { if (d.part) parts++; else frags++; });
hls.loadSource('%[1]s/hls/%[2]s/index.m3u8');
hls.attachMedia(v);
v.addEventListener('playing', () => {
  const c0 = v.currentTime, t0 = performance.now();
  setTimeout(() => report({advanced: v.currentTime - c0, wall: (performance.now() - t0) / 1000,
    width: v.videoWidth, height: v.videoHeight, errors, parts, frags, latency: hls.latency || 0, version: Hls.version}), %[3]d);
}, {once: true});
setTimeout(() => report({error: 'not playing after 40 s', errors}), 40000);
</script></body></html>`

type hlsjsResult struct {
	Error    string   `json:"error"`
	Advanced float64  `json:"advanced"`
	Wall     float64  `json:"wall"`
	Width    int      `json:"width"`
	Height   int      `json:"height"`
	Errors   []string `json:"errors"`
	Parts    int      `json:"parts"`
	Frags    int      `json:"frags"`
	Latency  float64  `json:"latency"`
	Version  string   `json:"version"`
}

// TestHLSJSChromium: hls.js in headless Chromium plays the low-latency live
// HLS of an ffmpeg camera: playback starts, video time advances with the
// wall clock, parts are loaded, and no fatal error happens.
func TestHLSJSChromium(t *testing.T) {
	need(t, "chromium")
	srv := videoServer(t, false, nil)
	const stream = "browser"
	// The camera outlasts a browser slow to start on a busy machine (it is
	// stopped when the test ends): a camera that ended first would leave an
	// ended playlist, which hls.js plays without parts.
	cam := ffmpegCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, 120, "tcp", "h264")
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Process.Kill(); cam.Wait() })

	results := make(chan hlsjsResult, 1)
	const watchMillis = 8000
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, hlsjsPage, srv.URL(), stream, watchMillis)
		case "/result":
			var res hlsjsResult
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

	// Start the browser once the stream has a first segment.
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(srv.URL() + "/hls/" + stream + "/index.m3u8")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && strings.Contains(string(b), "#EXTINF") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no live playlist 20 s after the camera started")
		}
		time.Sleep(200 * time.Millisecond)
	}
	logs, _ := startChromium(t, page.URL+"/")

	var res hlsjsResult
	select {
	case res = <-results:
	case <-time.After(60 * time.Second):
		t.Fatalf("no report from the browser in 60 s; chromium said:\n%s", logs.String())
	}
	t.Logf("hls.js %s: advanced %.2f s in %.2f s, %dx%d, %d parts and %d segments loaded, latency %.2f s, errors %v",
		res.Version, res.Advanced, res.Wall, res.Width, res.Height, res.Parts, res.Frags, res.Latency, res.Errors)
	if res.Error != "" {
		t.Fatalf("browser: %s (errors %v)", res.Error, res.Errors)
	}
	for _, e := range res.Errors {
		if strings.HasSuffix(e, ":FATAL") {
			t.Errorf("fatal hls.js error: %s", e)
		}
	}
	if res.Advanced < 0.7*res.Wall || res.Width != 320 || res.Height != 240 {
		t.Errorf("video advanced %.2f s in %.2f s at %dx%d", res.Advanced, res.Wall, res.Width, res.Height)
	}
	if res.Parts == 0 {
		t.Errorf("hls.js loaded no parts: low-latency HLS was not used")
	}
}
