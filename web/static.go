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
const url = {{.Playlist}}, v = document.getElementById("v"), s = document.getElementById("s");
document.getElementById("u").textContent = url.split("?")[0];
if (window.Hls && Hls.isSupported()) {
  const hls = new Hls({lowLatencyMode: true});
  hls.on(Hls.Events.ERROR, (e, d) => { if (d.fatal) { s.textContent = "error: " + d.details; } });
  hls.loadSource(url); hls.attachMedia(v);
  setInterval(() => { if (hls.latency) s.textContent = "latency " + hls.latency.toFixed(2) + " s"; }, 1000);
} else { v.src = url; }
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
