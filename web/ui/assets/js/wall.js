// The camera wall: every video stream playing live, side by side.
import {h, fill} from "./dom.js";
import * as api from "./api.js";
import {startPlayer} from "./player.js";

export async function render(main) {
  const list = await api.all((t) => api.kvs("listStreams", {NextToken: t}), "StreamInfoList");
  if (!list.length) {
    fill(main, h("h1", {}, "Camera wall"), h("div", {class: "empty"}, "No video streams yet: the ", h("a", {href: "#/"}, "overview"), " says how to add one."));
    return null;
  }
  const players = [];
  const tiles = list.map((s) => {
    const v = h("video", {muted: true, autoplay: true, playsinline: true, "aria-label": "Live video of " + s.StreamName});
    const st = h("span", {class: "muted", role: "status"}, "loading");
    const via = h("span", {class: "badge"}, "…");
    players.push(startPlayer(v, {stream: s.StreamName, headers: api.csrfHeaders(),
      onState: (_s, text) => { st.textContent = text; }, onMode: (m) => { via.textContent = m; }}));
    return h("figure", {class: "panel", style: "margin:0"}, v,
      h("figcaption", {class: "player-bar"}, h("a", {href: "#/video/" + encodeURIComponent(s.StreamName)}, s.StreamName), via, st));
  });
  fill(main, h("h1", {}, "Camera wall"), h("div", {class: "wall", id: "wall"}, tiles));
  return {dispose() { players.forEach((p) => p.close()); }};
}
