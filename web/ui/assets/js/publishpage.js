// /publish/<stream>: the camera and microphone over WHIP, the codec named
// by ?codec= (H264, VP9, AV1) alone, or H.264 first; ?token= is sent as a
// bearer token. Its state is posted to an embedding page as {stream,
// state, detail} and logged to the console; an embedding page may stop it
// with postMessage({cmd: "stop"}).
import {publish} from "./publisher.js";

const params = new URLSearchParams(location.search);
const v = document.getElementById("v"), s = document.getElementById("s"), b = document.getElementById("b");
const stream = v.dataset.stream, token = params.get("token");
let session = null, media = null;
const say = (st, text) => {
  s.textContent = text || st; console.log("shardcast publish: " + st + (text ? " " + text : ""));
  if (window.parent !== window) window.parent.postMessage({stream, state: st, detail: text || ""}, "*");
};
function stop(why) {
  if (session) { session.stop(why); session = null; } else say("stopped", why);
  if (media) { media.getTracks().forEach((t) => t.stop()); media = null; v.srcObject = null; }
}
async function start() {
  media = await navigator.mediaDevices.getUserMedia({video: true, audio: true});
  v.srcObject = media;
  session = await publish({stream, media, codec: params.get("codec") || "", only: !!params.get("codec"),
    headers: token ? {Authorization: "Bearer " + token} : {}, onState: say});
}
b.onclick = () => stop("stopped by you");
window.addEventListener("message", (e) => { if (e.data && e.data.cmd === "stop") stop("stopped by the embedding page"); });
window.addEventListener("pagehide", () => stop("page left"));
start().catch((e) => { say("error", e.message); if (media) { media.getTracks().forEach((t) => t.stop()); media = null; } });
