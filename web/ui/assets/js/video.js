// A video stream's page: the live player (WebRTC, or LL-HLS), the
// timeline of stored fragments with gaps and thumbnails on hover, playback
// of recorded video from a moment, clips of a range, and the ingest's
// details.
import {h, fill, toast, errText, statusBadge, fmtBits, fmtBytes, fmtDur, fmtTime, rateKeeper, field, epoch, toDate} from "./dom.js";
import * as api from "./api.js";
import {startPlayer, loadHls} from "./player.js";

const windows = [["10 min", 600e3], ["1 hour", 3600e3], ["6 hours", 6 * 3600e3], ["1 day", 86400e3], ["7 days", 7 * 86400e3]];
const maxFragments = 20000;

export async function render(main, stream) {
  const desc = await api.kvs("describeStream", {StreamName: stream});
  const info = desc.StreamInfo;
  const rates = rateKeeper();
  let disposed = false;
  const timers = [];
  const every = (fn, ms) => { const t = setInterval(fn, ms); timers.push(t); };

  // The player: live, or recorded from a moment (hls.js on a session URL).
  const video = h("video", {id: "player", muted: true, autoplay: true, playsinline: true, controls: true, "aria-label": "Video of " + stream});
  const mode = h("span", {class: "badge", id: "player-mode"}, "…");
  const state = h("span", {id: "player-state", role: "status"}, "loading");
  const latency = h("span", {id: "player-latency", class: "muted"});
  const goLive = h("button", {type: "button", id: "go-live", hidden: true, onclick: () => playLive()}, "Back to live");
  let player = null, replay = null;
  function stopAll() {
    if (player) { player.close(); player = null; }
    if (replay) { replay.destroy(); replay = null; }
    video.removeAttribute("src"); video.srcObject = null; video.load();
  }
  function playLive() {
    stopAll();
    goLive.hidden = true;
    video.dataset.mode = "live";
    player = startPlayer(video, {stream, headers: api.csrfHeaders(),
      onState: (st, text) => { state.textContent = text; state.dataset.state = st; },
      onMode: (via) => { mode.textContent = via; video.dataset.via = via; },
      onProgress: (p) => { latency.textContent = p.latency != null ? "latency " + p.latency.toFixed(2) + " s" : ""; video.dataset.frames = p.frames; },
    });
  }
  async function playFrom(at, end) {
    try {
      const body = {StreamName: stream, PlaybackMode: end ? "ON_DEMAND" : "LIVE_REPLAY",
        HLSFragmentSelector: {FragmentSelectorType: "SERVER_TIMESTAMP", TimestampRange: end ? {StartTimestamp: epoch(at), EndTimestamp: epoch(end)} : {StartTimestamp: epoch(at)}},
        Expires: 43200};
      const r = await api.kvs("getHLSStreamingSessionURL", body);
      stopAll();
      await loadHls();
      video.dataset.mode = "recorded";
      video.dataset.from = at.toISOString();
      mode.textContent = "recorded"; video.dataset.via = "HLS";
      state.textContent = "playing from " + at.toLocaleString() + (end ? " to " + end.toLocaleTimeString() : "");
      latency.textContent = "";
      goLive.hidden = false;
      replay = new window.Hls();
      replay.on(window.Hls.Events.ERROR, (e, d) => { if (d.fatal) state.textContent = "error: " + d.details; });
      replay.loadSource(r.HLSStreamingSessionURL);
      replay.attachMedia(video);
      video.play().catch(() => {});
    } catch (e) { toast(errText(e), true); }
  }

  // The timeline.
  let span = 3600e3;
  const tl = h("div", {class: "timeline", id: "timeline", tabindex: 0, role: "slider", "aria-label": "Stored video timeline: arrow keys move, Enter plays from the cursor, Shift+arrows select a range",
    "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": 100});
  const thumb = h("div", {class: "thumb", id: "thumb", hidden: true}, h("img", {alt: ""}), h("span"));
  const tlWrap = h("div", {style: "position:relative"}, thumb, tl);
  const tlInfo = h("p", {class: "muted", id: "timeline-info"});
  const fromIn = h("input", {type: "datetime-local", step: 1, id: "clip-from", "aria-label": "Clip start"});
  const toIn = h("input", {type: "datetime-local", step: 1, id: "clip-to", "aria-label": "Clip end"});
  const winSel = h("div", {class: "tabs", role: "group", "aria-label": "Timeline span"}, windows.map(([label, ms]) =>
    h("button", {type: "button", "aria-pressed": String(ms === span), onclick: (e) => {
      span = ms;
      for (const b of winSel.children) b.setAttribute("aria-pressed", String(b === e.currentTarget));
      drawTimeline();
    }}, label)));
  let frags = [], t0 = 0, t1 = 0, sel = null, cursor = null;
  const toLocalInput = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
  const fromLocalInput = (s) => new Date(s);
  function setSel(a, b) {
    sel = a <= b ? [a, b] : [b, a];
    fromIn.value = toLocalInput(new Date(sel[0])); toIn.value = toLocalInput(new Date(sel[1]));
    paint();
  }
  let drawing = 0;
  async function drawTimeline() {
    const my = ++drawing;
    const end = Date.now(), start = end - span;
    let list = [], token;
    try {
      for (let i = 0; i < maxFragments / 1000; i++) {
        const r = await api.kvs("listFragments", {StreamName: stream, MaxResults: 1000, NextToken: token,
          FragmentSelector: token ? undefined : {FragmentSelectorType: "SERVER_TIMESTAMP", TimestampRange: {StartTimestamp: epoch(start), EndTimestamp: epoch(end)}}});
        list = list.concat(r.Fragments || []);
        token = r.NextToken;
        if (!token) break;
      }
    } catch (e) { tlInfo.textContent = errText(e); return; }
    if (disposed || my !== drawing) return; // a later drawing wins
    t0 = start; t1 = end;
    frags = list.map((f) => ({at: toDate(f.ServerTimestamp).getTime(), len: f.FragmentLengthInMilliseconds, size: f.FragmentSizeInBytes, number: f.FragmentNumber}))
      .sort((a, b) => a.at - b.at);
    const bytes = frags.reduce((a, f) => a + f.size, 0);
    const last = frags[frags.length - 1];
    tlInfo.textContent = frags.length ? frags.length + " fragments, " + fmtBytes(bytes) + (token ? " (the first " + maxFragments + " shown)" : "") +
      "; last stored " + fmtTime(last.at) + ". Hover for a picture; click to play from that moment; drag to select a range." : "Nothing stored in this span yet.";
    tl.dataset.fragments = String(frags.length);
    if (last) keyframe.textContent = fmtDur(last.len);
    paint();
  }
  function paint() {
    const w = tl.clientWidth || 1000;
    const x = (t) => ((t - t0) / (t1 - t0)) * w;
    const nodes = [];
    // Contiguous fragments are one span; a gap is where none was stored.
    let run = null;
    for (const f of frags) {
      if (run && f.at <= run.end + Math.max(1500, f.len * 0.5)) run.end = Math.max(run.end, f.at + f.len);
      else { if (run) nodes.push(run); run = {start: f.at, end: f.at + f.len}; }
    }
    if (run) nodes.push(run);
    tl.dataset.spans = String(nodes.length);
    const children = nodes.map((r) => h("div", {class: "frag", style: `left:${x(r.start)}px;width:${Math.max(1, x(r.end) - x(r.start))}px`}));
    const ticks = w < 560 ? 2 : 4;
    for (let i = 0; i <= ticks; i++) {
      const t = t0 + ((t1 - t0) * i) / ticks;
      children.push(h("span", {class: "tick", style: `left:${(i / ticks) * 100}%;transform:translateX(${i === 0 ? "2px" : i === ticks ? "calc(-100% - 2px)" : "-50%"})`}, span > 86400e3 ? new Date(t).toLocaleDateString() + " " + new Date(t).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"}) : new Date(t).toLocaleTimeString()));
    }
    if (sel) children.push(h("div", {class: "sel", style: `left:${x(sel[0])}px;width:${Math.max(2, x(sel[1]) - x(sel[0]))}px`}));
    if (cursor !== null) children.push(h("div", {class: "cursor", style: `left:${x(cursor)}px`}));
    fill(tl, children);
  }
  const timeAt = (clientX) => {
    const r = tl.getBoundingClientRect();
    return t0 + (Math.min(Math.max(clientX - r.left, 0), r.width) / r.width) * (t1 - t0);
  };
  // Thumbnails: GetImages of the moment under the pointer, cached by second.
  const thumbs = new Map();
  let hoverTimer = null, hoverAt = 0;
  async function showThumb(t) {
    const img = thumb.querySelector("img"), label = thumb.querySelector("span");
    const r = tl.getBoundingClientRect();
    thumb.style.left = Math.min(Math.max(((t - t0) / (t1 - t0)) * r.width, 100), r.width - 100) + "px";
    label.textContent = new Date(t).toLocaleString();
    thumb.hidden = false;
    const f = frags.find((x) => t >= x.at - 500 && t < x.at + x.len + 500);
    if (!f) { img.removeAttribute("src"); label.textContent += " · nothing stored"; return; }
    const key = f.number;
    if (!thumbs.has(key)) {
      thumbs.set(key, api.kvs("getImages", {StreamName: stream, ImageSelectorType: "SERVER_TIMESTAMP", StartTimestamp: epoch(f.at), EndTimestamp: epoch(f.at + Math.max(f.len, 1000)),
        SamplingInterval: 3000, Format: "JPEG", WidthPixels: 320, MaxResults: 1}).then((r) => {
        const im = (r.Images || []).find((x) => x.ImageContent);
        return im ? "data:image/jpeg;base64," + im.ImageContent : null;
      }).catch(() => null));
    }
    const src = await thumbs.get(key);
    if (hoverAt === t && src) { img.src = src; thumb.dataset.loaded = "1"; }
  }
  let drag = null;
  tl.addEventListener("pointermove", (e) => {
    const t = timeAt(e.clientX);
    if (drag) { setSel(drag.start, t); return; }
    hoverAt = t;
    clearTimeout(hoverTimer);
    hoverTimer = setTimeout(() => showThumb(t), 120);
  });
  tl.addEventListener("pointerleave", () => { clearTimeout(hoverTimer); thumb.hidden = true; });
  tl.addEventListener("pointerdown", (e) => { drag = {start: timeAt(e.clientX), x: e.clientX}; tl.setPointerCapture(e.pointerId); });
  tl.addEventListener("pointerup", (e) => {
    if (!drag) return;
    const d = drag; drag = null;
    if (Math.abs(e.clientX - d.x) < 4) { cursor = d.start; sel = null; paint(); playFrom(new Date(d.start)); }
    else setSel(d.start, timeAt(e.clientX));
  });
  tl.addEventListener("keydown", (e) => {
    const step = (t1 - t0) / 100;
    if (cursor === null) cursor = frags.length ? frags[frags.length - 1].at : t1 - step;
    if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      const next = Math.min(Math.max(cursor + (e.key === "ArrowLeft" ? -step : step), t0), t1);
      if (e.shiftKey) setSel(sel ? (sel[0] === cursor ? sel[1] : sel[0]) : cursor, next);
      cursor = next; hoverAt = next; showThumb(next); paint();
      tl.setAttribute("aria-valuenow", String(Math.round(((cursor - t0) / (t1 - t0)) * 100)));
      tl.setAttribute("aria-valuetext", new Date(cursor).toLocaleString());
      e.preventDefault();
    } else if (e.key === "Enter") { playFrom(new Date(cursor)); e.preventDefault(); }
    else if (e.key === "Escape") { thumb.hidden = true; sel = null; paint(); }
  });
  const clipBtn = h("button", {type: "button", class: "primary", id: "download-clip", onclick: () => downloadClip()}, "Download clip");
  const playRange = h("button", {type: "button", id: "play-range", onclick: () => {
    if (!fromIn.value || !toIn.value) return toast("Choose a range first: drag on the timeline or fill in the times.", true);
    playFrom(fromLocalInput(fromIn.value), fromLocalInput(toIn.value));
  }}, "Play range");
  async function downloadClip() {
    if (!fromIn.value || !toIn.value) return toast("Choose a range first: drag on the timeline or fill in the times.", true);
    const a = fromLocalInput(fromIn.value), b = fromLocalInput(toIn.value);
    clipBtn.disabled = true; clipBtn.textContent = "Making clip…";
    try {
      const r = await api.kvs("getClip", {StreamName: stream, ClipFragmentSelector: {FragmentSelectorType: "SERVER_TIMESTAMP", TimestampRange: {StartTimestamp: epoch(a), EndTimestamp: epoch(b)}}});
      const blob = await r.blob();
      const link = h("a", {href: URL.createObjectURL(blob), download: `${stream}-${a.toISOString().replace(/[:.]/g, "-")}.mp4`});
      document.body.append(link); link.click(); link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60000);
      toast("Clip of " + fmtDur(b - a) + " (" + fmtBytes(blob.size) + ")");
    } catch (e) { toast(errText(e), true); }
    clipBtn.disabled = false; clipBtn.textContent = "Download clip";
  }

  // Ingest details.
  const keyframe = h("span", {}, "");
  const ingestBox = h("dl", {class: "kv", id: "ingest"});
  async function ingestDetails() {
    let list = [];
    try { list = await api.admin("ingest?latencies=0"); } catch (e) { /* not allowed: shown empty */ }
    const s = (Array.isArray(list) ? list : []).find((x) => x.stream === stream);
    if (!s) { fill(ingestBox, h("dt", {}, "Publisher"), h("dd", {}, "none connected")); return; }
    const r = rates(s.id, {bytes: s.bytes, frames: s.videoUnits || 0});
    fill(ingestBox,
      h("dt", {}, "Source"), h("dd", {}, s.protocol + " from " + s.remote),
      h("dt", {}, "Since"), h("dd", {}, fmtTime(s.started)),
      h("dt", {}, "Tracks"), h("dd", {}, (s.tracks || []).join(", ")),
      h("dt", {}, "Bitrate"), h("dd", {id: "ingest-bitrate"}, r.bytes != null ? fmtBits(r.bytes * 8) : "…"),
      h("dt", {}, "Frames/s"), h("dd", {id: "ingest-fps"}, r.frames != null ? r.frames.toFixed(1) : "…"),
      h("dt", {}, "Keyframe interval"), h("dd", {}, keyframe.textContent || "…"),
      h("dt", {}, "Fragments"), h("dd", {}, String(s.fragments) + (s.lastFragment ? " · last " + s.lastFragment : "")),
      h("dt", {}, "Dropped"), h("dd", {}, String(s.droppedUnits) + " units"),
      h("dt", {}, "Commit latency"), h("dd", {}, "p50 " + fmtDur(s.commitP50Nanos / 1e6) + " · p99 " + fmtDur(s.commitP99Nanos / 1e6)),
      s.storeError ? [h("dt", {}, "Storage"), h("dd", {class: "bad"}, s.storeError)] : null);
  }

  fill(main,
    h("h1", {}, "Video stream ", h("span", {id: "stream-name"}, stream), " ", statusBadge(info.Status)),
    h("div", {class: "grid2"},
      h("section", {class: "panel", "aria-label": "Player"}, video, h("div", {class: "player-bar"}, mode, state, latency, goLive,
        h("a", {class: "button", href: "#/publish/" + encodeURIComponent(stream)}, "Publish from this browser"))),
      h("section", {class: "panel", "aria-labelledby": "ingest-title"}, h("h2", {id: "ingest-title"}, "Ingest"), ingestBox,
        h("h3", {}, "Stream"), h("dl", {class: "kv"}, h("dt", {}, "Retention"), h("dd", {}, info.DataRetentionInHours + " h"), h("dt", {}, "Media type"), h("dd", {}, info.MediaType || ""),
          h("dt", {}, "Created"), h("dd", {}, fmtTime(toDate(info.CreationTime))), h("dt", {}, "ARN"), h("dd", {}, h("code", {}, info.StreamARN)),
          h("dt", {}, "Live HLS"), h("dd", {}, h("code", {}, location.origin + "/hls/" + encodeURIComponent(stream) + "/index.m3u8"))))),
    h("section", {class: "panel", "aria-labelledby": "tl-title"}, h("h2", {id: "tl-title"}, "Recorded ", winSel), tlWrap, tlInfo,
      h("form", {class: "row", onsubmit: (e) => e.preventDefault()}, field("From", fromIn), field("To", toIn), playRange, clipBtn)));
  playLive();
  await drawTimeline();
  ingestDetails();
  every(ingestDetails, 2000);
  every(() => { if (!drag) drawTimeline(); }, 10000);
  const onResize = () => paint();
  window.addEventListener("resize", onResize);
  return {dispose() {
    disposed = true;
    timers.forEach(clearInterval);
    window.removeEventListener("resize", onResize);
    stopAll();
  }};
}

