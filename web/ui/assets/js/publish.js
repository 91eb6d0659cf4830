// The publish page: choose a camera and a microphone, preview them, and
// publish over WHIP to a video stream, with the connection's state and
// bitrate.
import {h, fill, toast, errText, fmtBits, field} from "./dom.js";
import * as api from "./api.js";
import {publish} from "./publisher.js";

export async function render(main, stream) {
  const streams = await api.all((t) => api.kvs("listStreams", {NextToken: t}), "StreamInfoList").catch(() => []);
  const name = h("input", {id: "publish-stream", required: true, value: stream || (streams[0] && streams[0].StreamName) || "browser", list: "publish-streams", pattern: "[a-zA-Z0-9_.\\-]{1,256}"});
  const names = h("datalist", {id: "publish-streams"}, streams.map((s) => h("option", {value: s.StreamName})));
  const cam = h("select", {id: "publish-camera"}), mic = h("select", {id: "publish-mic"});
  const codec = h("select", {id: "publish-codec"}, ["H264", "VP8", "VP9", "AV1"].map((c) => h("option", {value: c}, c)));
  const preview = h("video", {id: "preview", muted: true, autoplay: true, playsinline: true, "aria-label": "Camera preview"});
  const state = h("span", {id: "publish-state", role: "status"}, "not publishing");
  const rate = h("span", {id: "publish-bitrate", class: "muted"});
  const startBtn = h("button", {type: "submit", class: "primary", id: "publish-start"}, "Publish");
  const stopBtn = h("button", {type: "button", id: "publish-stop", disabled: true, onclick: () => stop("stopped by you")}, "Stop");
  let media = null, session = null, ticker = null;

  async function openMedia() {
    if (media) media.getTracks().forEach((t) => t.stop());
    try {
      media = await navigator.mediaDevices.getUserMedia({
        video: cam.value ? {deviceId: {exact: cam.value}} : true,
        audio: mic.value ? {deviceId: {exact: mic.value}} : true});
      preview.srcObject = media;
    } catch (e) { state.textContent = "no camera: " + e.message; media = null; }
  }
  async function listDevices() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    const opts = (kind) => devices.filter((d) => d.kind === kind).map((d, i) => h("option", {value: d.deviceId}, d.label || kind + " " + (i + 1)));
    const keep = [cam.value, mic.value];
    fill(cam, opts("videoinput")); fill(mic, opts("audioinput"));
    if (keep[0]) cam.value = keep[0];
    if (keep[1]) mic.value = keep[1];
  }
  function stop(why) {
    clearInterval(ticker); ticker = null;
    if (session) { session.stop(why); session = null; }
    startBtn.disabled = false; stopBtn.disabled = true; rate.textContent = "";
  }
  const form = h("form", {class: "row", onsubmit: async (e) => {
    e.preventDefault();
    if (!media) await openMedia();
    if (!media) return;
    startBtn.disabled = true; stopBtn.disabled = false;
    try {
      session = await publish({stream: name.value, media, codec: codec.value, only: codec.value !== "H264", headers: api.csrfHeaders(),
        onState: (st, detail) => { state.textContent = detail || st; state.dataset.state = st; if (st === "stopped" || st === "error") { startBtn.disabled = false; stopBtn.disabled = true; } }});
      ticker = setInterval(async () => {
        if (!session) return;
        const b = await session.bitrate();
        rate.textContent = fmtBits(b.bps) + (b.width ? " · " + b.width + "×" + b.height : "") + " · " + b.frames + " frames";
        rate.dataset.bps = String(Math.round(b.bps));
      }, 1000);
    } catch (x) { toast(errText(x), true); stop(); }
  }}, field("Video stream", name), names, field("Camera", cam), field("Microphone", mic), field("Codec", codec), startBtn, stopBtn);
  cam.onchange = mic.onchange = () => openMedia();
  fill(main, h("h1", {}, "Publish from this browser"),
    h("p", {class: "muted"}, "Your camera and microphone go to the server over WebRTC (WHIP); the stream is stored and plays like any camera's."),
    h("div", {class: "panel"}, form, preview, h("div", {class: "player-bar"}, state, rate,
      h("a", {href: "#/video/" + encodeURIComponent(name.value), id: "publish-watch", onclick: (e) => { e.currentTarget.href = "#/video/" + encodeURIComponent(name.value); }}, "Watch this stream"))));
  await openMedia();
  await listDevices().catch(() => {});
  return {dispose() { stop("page left"); if (media) media.getTracks().forEach((t) => t.stop()); }};
}
