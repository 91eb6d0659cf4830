// /play/<stream>: the live player on a page of its own. Each change of
// state is posted to an embedding page (window.parent) as {stream, state},
// the start of playback as {stream, event: "playing", via}, and, while
// playing, the progress every second as {stream, event: "progress", via,
// frames, time}.
import {startPlayer} from "./player.js";

const v = document.getElementById("v"), s = document.getElementById("s"), m = document.getElementById("m"), u = document.getElementById("u");
const stream = v.dataset.stream;
const post = (o) => { if (window.parent !== window) window.parent.postMessage(Object.assign({stream}, o), "*"); };
const player = startPlayer(v, {
  stream, playlist: v.dataset.playlist,
  onState: (st, text, changed) => { s.textContent = text; if (changed) post({state: st}); },
  onMode: (via, where) => { m.textContent = via; u.textContent = where; },
  onPlaying: (via) => post({event: "playing", via}),
  onProgress: (p) => post({event: "progress", via: p.via, frames: p.frames, time: p.time}),
});
window.addEventListener("pagehide", () => player.close());
