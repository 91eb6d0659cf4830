// The live player of the console and of /play/<stream>. It polls the
// stream's status.json: while the camera publishes it plays the stream;
// when the camera is gone it says so and waits; when the camera returns it
// opens the stream again. It plays over WebRTC first (WHEP: an offer
// POSTed to /whep/<stream>, sub-second latency) and falls back to
// low-latency HLS (hls.js) when WHEP is refused or brings no picture
// within a few seconds. A presigned playlist's query authorizes
// status.json and WHEP too. URLs are made from location.origin: a page
// opened with credentials in its URL would otherwise resolve them into
// URLs that fetch() refuses.
//
// opts: stream, playlist (a path, "/hls/<stream>/index.m3u8" by default),
// headers (added to WHEP's requests: the console's CSRF token), and
// callbacks: onState(state, text) on each change of state ("live",
// "offline", "error"), onMode(via, url), onPlaying(via), onProgress({via,
// frames, time, latency}) every second while playing.
let hlsLoading = null;

// loadHls loads hls.js (served under /static/) once.
export function loadHls() {
  if (window.Hls) return Promise.resolve();
  if (!hlsLoading) {
    hlsLoading = new Promise((done) => {
      const s = document.createElement("script");
      s.src = "/static/hls.min.js";
      s.onload = s.onerror = () => done();
      document.head.appendChild(s);
    });
  }
  return hlsLoading;
}

export function startPlayer(v, opts) {
  const stream = opts.stream;
  const url = location.origin + (opts.playlist || "/hls/" + encodeURIComponent(stream) + "/index.m3u8");
  const q = url.includes("?") ? url.slice(url.indexOf("?")) : "";
  const base = location.origin + "/hls/" + encodeURIComponent(stream) + "/";
  const whepURL = location.origin + "/whep/" + encodeURIComponent(stream) + q;
  const extra = opts.headers || {};
  const cb = (name, ...a) => { if (opts[name]) opts[name](...a); };
  let hls = null, state = "", via = "", pc = null, resource = null, frames = 0, attempt = 0, stopped = false, timer = null;
  const say = (st, text) => { if (st !== state || text !== say.last) { say.last = text; const changed = st !== state; state = st; cb("onState", st, text, changed); } };
  const mode = (name, where) => { via = name; cb("onMode", name, where); };
  const onPlaying = () => cb("onPlaying", via);
  v.addEventListener("playing", onPlaying);
  if (v.requestVideoFrameCallback) {
    const count = () => { frames++; if (!stopped) v.requestVideoFrameCallback(count); };
    v.requestVideoFrameCallback(count);
  }
  const progress = setInterval(async () => {
    if (state !== "live" || v.paused) return;
    let latency = null;
    if (via === "HLS" && hls && hls.latency) latency = hls.latency;
    if (via === "WebRTC" && pc) {
      try {
        const stats = await pc.getStats();
        stats.forEach((s) => {
          if (s.type === "inbound-rtp" && s.kind === "video" && s.jitterBufferEmittedCount) {
            latency = s.jitterBufferDelay / s.jitterBufferEmittedCount;
          }
        });
      } catch (e) { /* closed meanwhile */ }
    }
    cb("onProgress", {via, frames, time: v.currentTime, latency});
  }, 1000);
  function closeWHEP() {
    if (resource) { fetch(resource, {method: "DELETE", headers: extra}).catch(() => {}); resource = null; }
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
    const r = await fetch(whepURL, {method: "POST", headers: Object.assign({"Content-Type": "application/sdp"}, extra), body: conn.localDescription.sdp});
    const body = await r.text();
    if (r.status !== 201) throw new Error("WHEP " + r.status + " " + body.trim());
    const res = r.headers.get("Location") ? new URL(r.headers.get("Location"), whepURL).href : null;
    if (my !== attempt) { if (res) fetch(res, {method: "DELETE", headers: extra}).catch(() => {}); conn.close(); throw new Error("superseded"); }
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
  async function hlsOpen(my) {
    mode("HLS", url.split("?")[0]);
    await loadHls();
    if (my !== attempt || stopped) return;
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
    if (window.RTCPeerConnection && !opts.hlsOnly) {
      mode("WebRTC", whepURL.split("?")[0]);
      try { await whep(my); return; } catch (e) {
        if (my !== attempt) return;
        console.log("shardcast: WebRTC did not play (" + e.message + "); playing HLS");
        closeWHEP(); v.srcObject = null;
      }
    }
    hlsOpen(my);
  }
  async function poll() {
    if (stopped) return;
    let st = null;
    try {
      const r = await fetch(base + "status.json" + q, {cache: "no-store"});
      if (r.ok) st = await r.json();
    } catch (e) { /* the server is away: retried */ }
    if (stopped) return;
    if (st && st.live) {
      if (state !== "live" && state !== "error") open();
      else if (state === "error" && via === "WebRTC" && !pc) open();
      else if (hls && hls.latency) say("live", "live · latency " + hls.latency.toFixed(2) + " s");
    } else if (state !== "offline") {
      attempt++; closeWHEP();
      say("offline", st ? "camera offline" + (st.lastFragment ? " since " + new Date(st.lastFragment).toLocaleString() : "") + " · waiting for it to return" : "stream not found · waiting");
    }
    timer = setTimeout(poll, 1000);
  }
  poll();
  return {
    close() {
      stopped = true; attempt++;
      clearTimeout(timer); clearInterval(progress);
      v.removeEventListener("playing", onPlaying);
      closeAll();
    },
  };
}
