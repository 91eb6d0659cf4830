// Publishes a MediaStream (camera and microphone) to POST /whip/<stream>:
// one offer with its candidates gathered (no trickle), H.264 preferred, or
// only the codec named (H264, VP8, VP9, AV1). The WHIP session is DELETEd
// when stopped. opts: stream, media, codec ("" for the default: H.264
// first, the rest after), only (offer the codec alone), headers (a bearer
// token, the console's CSRF token), onState(state, detail) with
// "connecting", "publishing", "stopped", "error".
export async function publish(opts) {
  const endpoint = location.origin + "/whip/" + encodeURIComponent(opts.stream);
  const codec = (opts.codec || "H264").toUpperCase();
  const extra = opts.headers || {};
  const say = (st, detail) => { if (opts.onState) opts.onState(st, detail || ""); };
  let resource = null, stopped = false;
  const pc = new RTCPeerConnection();
  const stop = (why) => {
    if (stopped) return;
    stopped = true;
    if (resource) { fetch(resource, {method: "DELETE", headers: extra, keepalive: true}).catch(() => {}); resource = null; }
    pc.close();
    say("stopped", why);
  };
  try {
    for (const track of opts.media.getTracks()) {
      const tr = pc.addTransceiver(track, {direction: "sendonly", streams: [opts.media]});
      if (track.kind === "video" && RTCRtpSender.getCapabilities) {
        const all = RTCRtpSender.getCapabilities("video").codecs;
        const want = all.filter((c) => c.mimeType.toUpperCase() === "VIDEO/" + codec);
        if (want.length === 0) throw new Error("this browser cannot send " + codec);
        // H.264 with packetization-mode=1 first of its kind.
        const pm1 = (c) => ((c.sdpFmtpLine || "").includes("packetization-mode=1") ? 1 : 0);
        want.sort((a, b) => pm1(b) - pm1(a));
        // A codec asked for alone is the only one offered (the server
        // prefers H.264 when offered several); by default H.264 comes first.
        tr.setCodecPreferences(opts.only ? want : want.concat(all.filter((c) => !want.includes(c))));
      }
    }
    pc.addEventListener("connectionstatechange", () => {
      if (stopped) return;
      if (pc.connectionState === "connected") say("publishing", "publishing " + codec);
      if (pc.connectionState === "failed") stop("connection failed");
    });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((done) => {
      if (pc.iceGatheringState === "complete") return done();
      pc.addEventListener("icegatheringstatechange", () => { if (pc.iceGatheringState === "complete") done(); });
      setTimeout(done, 3000);
    });
    say("connecting");
    const r = await fetch(endpoint, {method: "POST", headers: Object.assign({"Content-Type": "application/sdp"}, extra), body: pc.localDescription.sdp});
    const body = await r.text();
    if (r.status !== 201) throw new Error("WHIP " + r.status + " " + body.trim());
    if (r.headers.get("Location")) resource = new URL(r.headers.get("Location"), endpoint).href;
    if (stopped) { stop(); throw new Error("stopped"); }
    await pc.setRemoteDescription({type: "answer", sdp: body});
  } catch (e) {
    stop();
    say("error", e.message);
    throw e;
  }
  // bitrate reports the video bits per second sent since the last call.
  let lastBytes = 0, lastAt = 0;
  const bitrate = async () => {
    let bytes = 0, at = 0, frames = 0, width = 0, height = 0;
    (await pc.getStats()).forEach((s) => {
      if (s.type === "outbound-rtp" && s.kind === "video") { bytes += s.bytesSent; at = s.timestamp; frames = s.framesEncoded || 0; width = s.frameWidth || 0; height = s.frameHeight || 0; }
    });
    const bps = lastAt && at > lastAt ? ((bytes - lastBytes) * 8 * 1000) / (at - lastAt) : 0;
    lastBytes = bytes; lastAt = at;
    return {bps, frames, width, height, state: pc.connectionState};
  };
  return {stop, bitrate, pc};
}
