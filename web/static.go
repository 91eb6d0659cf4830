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
<style>body{margin:0;background:#111;color:#ddd;font:14px system-ui}video{width:100%;max-height:90vh;background:#000}p{margin:.5em 1em}#m{padding:0 .4em;border-radius:3px;background:#333}</style>
</head><body>
<video id="v" muted autoplay playsinline controls></video>
<p>Live stream <b>{{.Stream}}</b> · <span id="m">…</span> <code id="u"></code> · <span id="s">loading</span></p>
<script src="/static/hls.min.js"></script>
<script>
// The page polls status.json: while the camera publishes it plays the
// stream; when the camera is gone it says so and waits; when the camera
// returns it opens the stream again. It plays over WebRTC first (WHEP:
// an offer POSTed to /whep/<stream>, sub-second latency) and falls back to
// low-latency HLS when WHEP is refused or brings no picture within a few
// seconds; the label says which one plays. Each change of state is posted
// to an embedding page (window.parent) as {stream, state}, the start of
// playback as {stream, event: "playing", via}, and, while playing, the
// progress every second as {stream, event: "progress", via, frames, time}.
// A presigned playlist's query authorizes status.json and WHEP too.
// URLs are made from location.origin: a page opened with credentials in
// its URL would otherwise resolve them into URLs that fetch() refuses.
const url = location.origin + {{.Playlist}}, q = url.includes("?") ? url.slice(url.indexOf("?")) : "";
const base = location.origin + "/hls/" + encodeURIComponent({{.Stream}}) + "/";
const whepURL = location.origin + "/whep/" + encodeURIComponent({{.Stream}}) + q;
const v = document.getElementById("v"), s = document.getElementById("s"), m = document.getElementById("m"), u = document.getElementById("u");
let hls = null, state = "", via = "", pc = null, resource = null, frames = 0, attempt = 0;
const post = (o) => { if (window.parent !== window) window.parent.postMessage(Object.assign({stream: {{.Stream}}}, o), "*"); };
const say = (st, text) => { s.textContent = text; if (st !== state) { state = st; post({state: st}); } };
const mode = (name, where) => { via = name; m.textContent = name; u.textContent = where; };
v.addEventListener("playing", () => post({event: "playing", via}));
if (v.requestVideoFrameCallback) {
  const count = () => { frames++; v.requestVideoFrameCallback(count); };
  v.requestVideoFrameCallback(count);
}
setInterval(() => { if (state === "live" && !v.paused) post({event: "progress", via, frames, time: v.currentTime}); }, 1000);
function closeWHEP() {
  if (resource) { fetch(resource, {method: "DELETE"}).catch(() => {}); resource = null; }
  if (pc) { pc.close(); pc = null; }
}
function closeAll() {
  closeWHEP();
  if (hls) { hls.destroy(); hls = null; }
  v.removeAttribute("src"); v.srcObject = null;
}
// whep plays the stream over WebRTC; it throws when that does not work.
async function whep(my) {
  pc = new RTCPeerConnection();
  const conn = pc;
  conn.addTransceiver("video", {direction: "recvonly"});
  conn.addTransceiver("audio", {direction: "recvonly"});
  const media = new MediaStream();
  conn.ontrack = (e) => { media.addTrack(e.track); if (v.srcObject !== media) v.srcObject = media; v.play().catch(() => {}); };
  await conn.setLocalDescription(await conn.createOffer());
  await new Promise((done) => {
    if (conn.iceGatheringState === "complete") return done();
    conn.addEventListener("icegatheringstatechange", () => { if (conn.iceGatheringState === "complete") done(); });
    setTimeout(done, 2000);
  });
  const r = await fetch(whepURL, {method: "POST", headers: {"Content-Type": "application/sdp"}, body: conn.localDescription.sdp});
  const body = await r.text();
  if (r.status !== 201) throw new Error("WHEP " + r.status + " " + body.trim());
  const res = r.headers.get("Location") ? new URL(r.headers.get("Location"), whepURL).href : null;
  if (my !== attempt) { if (res) fetch(res, {method: "DELETE"}).catch(() => {}); conn.close(); throw new Error("superseded"); }
  resource = res;
  await conn.setRemoteDescription({type: "answer", sdp: body});
  conn.addEventListener("connectionstatechange", () => {
    if ((conn.connectionState === "failed" || conn.connectionState === "closed") && pc === conn && state === "live") {
      closeAll(); say("error", "WebRTC connection lost · retrying"); // poll opens it again
    }
  });
  // A picture within a few seconds, or HLS instead.
  const f0 = frames;
  await new Promise((done, fail) => {
    const t0 = Date.now();
    const check = () => {
      if (my !== attempt) return fail(new Error("superseded"));
      if (frames > f0 || (!v.requestVideoFrameCallback && v.currentTime > 0)) return done();
      if (Date.now() - t0 > 5000) return fail(new Error("no picture over WebRTC in 5 s"));
      setTimeout(check, 100);
    };
    check();
  });
}
function hlsOpen() {
  mode("HLS", url.split("?")[0]);
  if (window.Hls && Hls.isSupported()) {
    hls = new Hls({lowLatencyMode: true});
    hls.on(Hls.Events.ERROR, (e, d) => { if (d.fatal) say("error", "error: " + d.details); });
    hls.loadSource(url); hls.attachMedia(v);
  } else { v.src = url; v.play().catch(() => {}); }
}
async function open() {
  closeAll();
  const my = ++attempt;
  say("live", "live");
  if (window.RTCPeerConnection) {
    mode("WebRTC", whepURL.split("?")[0]);
    try { await whep(my); return; } catch (e) {
      if (my !== attempt) return;
      console.log("shardcast: WebRTC did not play (" + e.message + "); playing HLS");
      closeWHEP(); v.srcObject = null;
    }
  }
  hlsOpen();
}
async function poll() {
  let st = null;
  try {
    const r = await fetch(base + "status.json" + q, {cache: "no-store"});
    if (r.ok) st = await r.json();
  } catch (e) {}
  if (st && st.live) {
    if (state !== "live" && state !== "error") open();
    else if (state === "error" && via === "WebRTC" && !pc) open();
    else if (hls && hls.latency) say("live", "live · latency " + hls.latency.toFixed(2) + " s");
  } else if (state !== "offline") {
    attempt++; closeWHEP();
    say("offline", st ? "camera offline" + (st.lastFragment ? " since " + new Date(st.lastFragment).toLocaleString() : "") + " · waiting for it to return" : "stream not found · waiting");
  }
  setTimeout(poll, 1000);
}
window.addEventListener("pagehide", closeWHEP);
poll();
</script></body></html>
`))

// publishPage publishes the browser's camera and microphone over WHIP.
var publishPage = template.Must(template.New("publish").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>publish {{.Stream}} · shardcast</title>
<style>body{margin:0;background:#111;color:#ddd;font:14px system-ui}video{width:100%;max-height:80vh;background:#000}p{margin:.5em 1em}button{font:inherit}</style>
</head><body>
<video id="v" muted autoplay playsinline></video>
<p>Publishing <b>{{.Stream}}</b> over WebRTC (WHIP) · <span id="s">starting</span> · <button id="b">stop</button></p>
<script>
// The page sends the camera and microphone to POST /whip/<stream>: one
// offer with its candidates gathered (no trickle), H.264 preferred, or the
// codec named by ?codec= (H264, VP9, AV1); ?token= is sent as a bearer
// token. It DELETEs the session when stopped or left. Its state is posted
// to an embedding page as {stream, state} and logged to the console.
const params = new URLSearchParams(location.search);
const codec = (params.get("codec") || "H264").toUpperCase(), token = params.get("token");
const endpoint = location.origin + "/whip/" + encodeURIComponent({{.Stream}});
const v = document.getElementById("v"), s = document.getElementById("s"), b = document.getElementById("b");
let pc = null, resource = null;
const say = (st, text) => {
  s.textContent = text || st; console.log("shardcast publish: " + st + (text ? " " + text : ""));
  if (window.parent !== window) window.parent.postMessage({stream: {{.Stream}}, state: st, detail: text || ""}, "*");
};
const headers = (h) => { if (token) h.Authorization = "Bearer " + token; return h; };
function stop(why) {
  if (resource) { fetch(resource, {method: "DELETE", headers: headers({}), keepalive: true}).catch(() => {}); resource = null; }
  if (pc) { pc.close(); pc = null; }
  if (v.srcObject) { v.srcObject.getTracks().forEach((t) => t.stop()); v.srcObject = null; }
  say("stopped", why);
}
async function start() {
  const media = await navigator.mediaDevices.getUserMedia({video: true, audio: true});
  v.srcObject = media;
  pc = new RTCPeerConnection();
  const conn = pc;
  for (const track of media.getTracks()) {
    const tr = conn.addTransceiver(track, {direction: "sendonly", streams: [media]});
    if (track.kind === "video" && RTCRtpSender.getCapabilities) {
      const all = RTCRtpSender.getCapabilities("video").codecs;
      const want = all.filter((c) => c.mimeType.toUpperCase() === "VIDEO/" + codec);
      if (want.length === 0) throw new Error("this browser cannot send " + codec);
      // The chosen codec first (H.264 with packetization-mode=1 first of its kind), the rest after.
      want.sort((a, b) => ((b.sdpFmtpLine || "").includes("packetization-mode=1") ? 1 : 0) - ((a.sdpFmtpLine || "").includes("packetization-mode=1") ? 1 : 0));
      // A codec named in ?codec= is the only one offered (the server
      // prefers H.264 when offered several); by default H.264 comes first.
      tr.setCodecPreferences(params.get("codec") ? want : want.concat(all.filter((c) => !want.includes(c))));
    }
  }
  conn.addEventListener("connectionstatechange", () => {
    if (conn !== pc) return;
    if (conn.connectionState === "connected") say("publishing", "publishing " + codec);
    if (conn.connectionState === "failed") stop("connection failed");
  });
  await conn.setLocalDescription(await conn.createOffer());
  await new Promise((done) => {
    if (conn.iceGatheringState === "complete") return done();
    conn.addEventListener("icegatheringstatechange", () => { if (conn.iceGatheringState === "complete") done(); });
    setTimeout(done, 3000);
  });
  say("connecting");
  const r = await fetch(endpoint, {method: "POST", headers: headers({"Content-Type": "application/sdp"}), body: conn.localDescription.sdp});
  const body = await r.text();
  if (r.status !== 201) throw new Error("WHIP " + r.status + " " + body.trim());
  if (r.headers.get("Location")) resource = new URL(r.headers.get("Location"), endpoint).href;
  await conn.setRemoteDescription({type: "answer", sdp: body});
}
b.onclick = () => stop("stopped by you");
// An embedding page may stop the publisher: postMessage({cmd: "stop"}).
window.addEventListener("message", (e) => { if (e.data && e.data.cmd === "stop") stop("stopped by the embedding page"); });
window.addEventListener("pagehide", () => stop("page left"));
start().catch((e) => { stop(); say("error", e.message); });
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

// publishHandler serves /publish/{stream}: a page publishing the browser's
// camera over WHIP.
func publishHandler(w http.ResponseWriter, stream string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	publishPage.Execute(w, struct{ Stream string }{stream})
}
