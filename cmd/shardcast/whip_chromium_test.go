package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
)

// publishEmbed embeds a /publish page (camera and microphone allowed),
// reports every message it posts, and stops it after the given seconds of
// publishing.
const publishEmbed = `<!doctype html><html><body>
<iframe id="f" src="%s" width="640" height="480" allow="camera; microphone; autoplay"></iframe>
<script>
let stopping = false;
window.addEventListener('message', (e) => {
  fetch('/result', {method: 'POST', body: JSON.stringify(e.data)});
  if (e.data && e.data.state === 'publishing' && !stopping) {
    stopping = true;
    setTimeout(() => document.getElementById('f').contentWindow.postMessage({cmd: 'stop'}, '*'), %d);
  }
});
</script></body></html>`

// TestWHIPChromium: headless Chromium's fake camera and microphone publish
// over WHIP from the /publish page for 10 s, once in H.264 and once in VP9.
// Fragments appear, each starting with a keyframe; their durations sum to
// the publish time within one GOP; ffprobe reads the ON_DEMAND HLS back at
// the camera's frame rate and ffmpeg decodes it without an error; the
// page's DELETE ends the session.
func TestWHIPChromium(t *testing.T) {
	need(t, "chromium")
	need(t, "ffprobe")
	srv := videoServer(t, false, nil)
	for _, codec := range []string{"H264", "VP9"} {
		t.Run(codec, func(t *testing.T) {
			stream := "browser-" + strings.ToLower(codec)
			type message struct {
				State  string `json:"state"`
				Detail string `json:"detail"`
			}
			msgs := make(chan message, 64)
			page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/":
					w.Header().Set("Content-Type", "text/html")
					fmt.Fprintf(w, publishEmbed, srv.URL()+"/publish/"+stream+"?codec="+codec, 10000)
				case "/result":
					var m message
					b, _ := io.ReadAll(r.Body)
					if json.Unmarshal(b, &m) == nil {
						msgs <- m
					}
				default:
					http.NotFound(w, r)
				}
			}))
			defer page.Close()
			logs, _ := startChromium(t, page.URL+"/", "--use-fake-device-for-media-stream=fps=25", "--use-fake-ui-for-media-stream",
				"--allow-loopback-in-peer-connection")

			var started, stopped time.Time
			var seen []string
			timeout := time.After(90 * time.Second)
			for stopped.IsZero() {
				select {
				case m := <-msgs:
					seen = append(seen, m.State+" "+m.Detail)
					switch m.State {
					case "publishing":
						started = time.Now()
					case "stopped":
						if !started.IsZero() {
							stopped = time.Now()
						}
					case "error":
						t.Fatalf("the page failed: %v\nchromium said:\n%s", seen, logs.String())
					}
				case <-timeout:
					t.Fatalf("no publish and stop within 90 s (page said %v); chromium said:\n%s", seen, logs.String())
				}
			}
			published := stopped.Sub(started)
			// The DELETE ends the session: the stream's publisher goes away.
			deadline := time.Now().Add(20 * time.Second)
			for publishersOf(t, srv, stream) > 0 {
				if time.Now().After(deadline) {
					t.Fatalf("the WHIP session outlived the page's DELETE")
				}
				time.Sleep(100 * time.Millisecond)
			}

			archived := archivedClient(t, srv.URL(), stream)
			frags := listAll(t, archived, stream, amtypes.FragmentSelectorTypeServerTimestamp)
			sortFragments(frags)
			if len(frags) < 3 {
				t.Fatalf("%d fragments for %v of publishing", len(frags), published)
			}
			var total time.Duration
			for _, f := range frags {
				total += time.Duration(f.FragmentLengthInMilliseconds) * time.Millisecond
			}
			const gop = 2 * time.Second // the server asks for a keyframe every 2 s
			if d := total - published; d > gop || d < -gop {
				t.Errorf("fragments last %v in all, the page published for %v", total, published)
			}
			t.Logf("%s: %d fragments, %v stored of %v published", codec, len(frags), total, published)

			first, last := frags[0], frags[len(frags)-1]
			out, err := archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(stream),
				PlaybackMode: amtypes.HLSPlaybackModeOnDemand, HLSFragmentSelector: &amtypes.HLSFragmentSelector{
					FragmentSelectorType: amtypes.HLSFragmentSelectorTypeServerTimestamp,
					TimestampRange:       &amtypes.HLSTimestampRange{StartTimestamp: first.ServerTimestamp, EndTimestamp: last.ServerTimestamp}}})
			if err != nil {
				t.Fatal(err)
			}
			hls := *out.HLSStreamingSessionURL
			name, _ := probeVideo(t, hls)
			if want := map[string]string{"H264": "h264", "VP9": "vp9"}[codec]; name != want {
				t.Errorf("stored video is %s, want %s", name, want)
			}
			// Every fragment starts with a keyframe, and the frame rate is
			// the camera's: frames over media time.
			frames, seconds, keyStarts := probeFrames(t, hls)
			if keyStarts != len(frags) {
				t.Errorf("%d of %d fragments start with a keyframe", keyStarts, len(frags))
			}
			if fps := float64(frames) / seconds; fps < 20 || fps > 27 { // a busy machine makes the browser drop some
				t.Errorf("read back %d frames in %.2f s: %.1f fps, the camera sends 25", frames, seconds, fps)
			}
			// Decoded with the frames' own timestamps: a browser's capture
			// clock jitters, and ffmpeg's default constant-rate output
			// would round two close frames onto one tick and call that
			// non-monotonic.
			if msg, err := exec.Command("ffmpeg", "-v", "error", "-i", hls, "-fps_mode", "passthrough", "-enc_time_base", "-1", "-f", "null", "-").CombinedOutput(); err != nil || len(msg) > 0 {
				pk, _ := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts,dts,duration,flags,size", "-of", "csv=p=0", hls).Output()
				t.Errorf("decoding the stored %s: %v\n%s\npackets:\n%s", codec, err, msg, pk)
			}
		})
	}
}

// publishersOf counts the running publisher sessions of stream.
func publishersOf(t *testing.T, srv *testServer, stream string) int {
	n := 0
	for _, s := range ingestSessions(t, srv.URL()) {
		if s.Stream == stream {
			n++
		}
	}
	return n
}

// probeFrames reads the video frames of input with ffprobe: how many, the
// media time they span, and how many keyframes start a new fragment (one
// per HLS segment: the key frames ffprobe flags).
func probeFrames(t testing.TB, input string) (frames int, seconds float64, keyframes int) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags",
		"-of", "csv=p=0", input).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", input, err)
	}
	var lo, hi float64
	for i, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 2 {
			continue
		}
		ts, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		if i == 0 || ts < lo {
			lo = ts
		}
		hi = max(hi, ts)
		frames++
		if strings.HasPrefix(f[1], "K") {
			keyframes++
		}
	}
	if frames < 2 {
		t.Fatalf("ffprobe read %d frames from %s", frames, input)
	}
	return frames, (hi - lo) * float64(frames) / float64(frames-1), keyframes
}
