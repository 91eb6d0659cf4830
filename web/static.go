package web

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
)

// static holds files served under /static/: hls.js 1.7.0 (Apache-2.0, its
// license beside it), the player the /play pages use.
//
//go:embed static
var static embed.FS

func staticHandler() http.Handler {
	sub, _ := fs.Sub(static, "static")
	return http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
}

var playPage = template.Must(template.New("play").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Stream}} · shardcast</title>
<style>body{margin:0;background:#111;color:#ddd;font:14px system-ui}video{width:100%;max-height:90vh;background:#000}p{margin:.5em 1em}</style>
</head><body>
<video id="v" muted autoplay playsinline controls></video>
<p>Live stream <b>{{.Stream}}</b> · low-latency HLS at <code id="u"></code> · <span id="s">loading</span></p>
<script src="/static/hls.min.js"></script>
<script>
// The page polls status.json: while the camera publishes it plays the live
// playlist; when the camera is gone it says so and waits; when the camera
// returns it opens the playlist again. Each change of state is posted to
// an embedding page (window.parent) as {stream, state}, and the start of
// playback as {stream, event: "playing"}. A presigned playlist's query
// authorizes status.json too.
// URLs are made from location.origin: a page opened with credentials in
// its URL would otherwise resolve them into URLs that fetch() refuses.
const url = location.origin + {{.Playlist}}, q = url.includes("?") ? url.slice(url.indexOf("?")) : "";
const base = location.origin + "/hls/" + encodeURIComponent({{.Stream}}) + "/";
const v = document.getElementById("v"), s = document.getElementById("s");
document.getElementById("u").textContent = url.split("?")[0];
let hls = null, state = "";
const post = (m) => { if (window.parent !== window) window.parent.postMessage(Object.assign({stream: {{.Stream}}}, m), "*"); };
const say = (st, text) => { s.textContent = text; if (st !== state) { state = st; post({state: st}); } };
v.addEventListener("playing", () => post({event: "playing"}));
function open() {
  if (hls) { hls.destroy(); hls = null; }
  if (window.Hls && Hls.isSupported()) {
    hls = new Hls({lowLatencyMode: true});
    hls.on(Hls.Events.ERROR, (e, d) => { if (d.fatal) say("error", "error: " + d.details); });
    hls.loadSource(url); hls.attachMedia(v);
  } else { v.src = url; v.play().catch(() => {}); }
  say("live", "live");
}
async function poll() {
  let st = null;
  try {
    const r = await fetch(base + "status.json" + q, {cache: "no-store"});
    if (r.ok) st = await r.json();
  } catch (e) {}
  if (st && st.live) {
    if (state !== "live" && state !== "error") open();
    else if (hls && hls.latency) say("live", "live · latency " + hls.latency.toFixed(2) + " s");
  } else if (state !== "offline") {
    say("offline", st ? "camera offline" + (st.lastFragment ? " since " + new Date(st.lastFragment).toLocaleString() : "") + " · waiting for it to return" : "stream not found · waiting");
  }
  setTimeout(poll, 1000);
}
poll();
</script></body></html>
`))

// playHandler serves /play/{stream}: a page playing the stream's live HLS
// from playlist. With HTTP Basic credentials the browser sends them again
// for the playlist and segments (same origin, same realm); a page opened
// with a presigned URL is given a presigned playlist.
func playHandler(w http.ResponseWriter, stream, playlist string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	playPage.Execute(w, struct{ Stream, Playlist string }{stream, playlist})
}
