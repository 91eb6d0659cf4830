// A data stream's records, read with GetShardIterator and GetRecords from
// every open shard: tailing from LATEST, or browsing from TRIM_HORIZON, a
// sequence number or a timestamp; payloads shown as text, JSON or hex.
import {h, fill, errText, epoch, toDate, field} from "./dom.js";
import * as api from "./api.js";

const maxShown = 500;

function decode(b64) {
  const bin = atob(b64 || "");
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function show(bytes, as) {
  if (as === "hex") {
    const lines = [];
    for (let i = 0; i < bytes.length; i += 16) {
      const row = Array.from(bytes.slice(i, i + 16));
      lines.push(i.toString(16).padStart(6, "0") + "  " + row.map((b) => b.toString(16).padStart(2, "0")).join(" ").padEnd(48) + "  " +
        row.map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : ".")).join(""));
    }
    return lines.join("\n");
  }
  const text = new TextDecoder("utf-8", {fatal: false}).decode(bytes);
  if (as === "json") {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text + "\n(not JSON)"; }
  }
  return text;
}

// recordViewer returns {el, dispose} for the records of stream.
export function recordViewer(stream, opts = {}) {
  const pos = h("select", {id: opts.id ? opts.id + "-from" : "records-from", "aria-label": "Read from"},
    h("option", {value: "LATEST"}, "tail from now (LATEST)"), h("option", {value: "TRIM_HORIZON"}, "the oldest (TRIM_HORIZON)"),
    h("option", {value: "AT_SEQUENCE_NUMBER"}, "a sequence number"), h("option", {value: "AT_TIMESTAMP"}, "a time"));
  const seq = h("input", {placeholder: "sequence number", hidden: true, "aria-label": "Sequence number", size: 30});
  const ts = h("input", {type: "datetime-local", step: 1, hidden: true, "aria-label": "Time"});
  const as = h("select", {"aria-label": "Show payloads as"}, ["text", "json", "hex"].map((x) => h("option", {value: x}, x)));
  if (opts.format) as.value = opts.format;
  // Focusable, so that the keyboard scrolls it too.
  const list = h("div", {class: "records", id: opts.id || "records", tabindex: 0, role: "region", "aria-label": "Records of " + stream});
  const status = h("p", {class: "muted", role: "status"});
  const startBtn = h("button", {type: "submit", class: "primary"}, "Read");
  const stopBtn = h("button", {type: "button", disabled: true, onclick: () => stop()}, "Stop");
  pos.onchange = () => { seq.hidden = pos.value !== "AT_SEQUENCE_NUMBER"; ts.hidden = pos.value !== "AT_TIMESTAMP"; };
  let run = 0, shown = [];
  as.onchange = () => redraw();
  function redraw() { fill(list, shown.map(row)); }
  function row(r) {
    return h("div", {class: "rec", "data-seq": r.SequenceNumber},
      h("div", {class: "muted"}, h("code", {}, r.ShardId), " · seq ", h("code", {}, r.SequenceNumber), " · key ", h("code", {}, r.PartitionKey), " · ", toDate(r.ApproximateArrivalTimestamp).toLocaleString()),
      h("pre", {class: "payload"}, show(decode(r.Data), as.value)));
  }
  function stop() { run++; startBtn.disabled = false; stopBtn.disabled = true; status.textContent = shown.length + " records"; }
  async function start() {
    const my = ++run;
    shown = []; redraw();
    startBtn.disabled = true; stopBtn.disabled = false;
    status.textContent = "reading…";
    let shards;
    try {
      shards = await api.all((t) => api.call("kinesis", "ListShards", t ? {NextToken: t} : {StreamName: stream}), "Shards");
    } catch (e) { status.textContent = errText(e); stop(); return; }
    // A sequence number belongs to one shard: ask each, use the one that answers.
    const iters = new Map();
    for (const s of shards) {
      const body = {StreamName: stream, ShardId: s.ShardId, ShardIteratorType: pos.value};
      if (pos.value === "AT_SEQUENCE_NUMBER") body.StartingSequenceNumber = seq.value.trim();
      if (pos.value === "AT_TIMESTAMP") body.Timestamp = epoch(new Date(ts.value || Date.now()));
      try { iters.set(s.ShardId, (await api.call("kinesis", "GetShardIterator", body)).ShardIterator); } catch (e) {
        if (pos.value !== "AT_SEQUENCE_NUMBER") { status.textContent = errText(e); stop(); return; }
      }
    }
    if (!iters.size) { status.textContent = "no shard holds that sequence number"; stop(); return; }
    while (my === run && iters.size) {
      let got = 0;
      for (const [shard, it] of [...iters]) {
        if (my !== run) return;
        try {
          const r = await api.call("kinesis", "GetRecords", {ShardIterator: it, Limit: 100});
          for (const rec of r.Records || []) { rec.ShardId = shard; shown.push(rec); got++; }
          if (r.NextShardIterator) iters.set(shard, r.NextShardIterator); else iters.delete(shard);
          for (const c of r.ChildShards || []) if (!iters.has(c.ShardId)) {
            iters.set(c.ShardId, (await api.call("kinesis", "GetShardIterator", {StreamName: stream, ShardId: c.ShardId, ShardIteratorType: "TRIM_HORIZON"})).ShardIterator);
          }
        } catch (e) {
          if (e.type !== "ProvisionedThroughputExceededException") { status.textContent = errText(e); stop(); return; }
        }
      }
      if (my !== run) return;
      if (got) {
        if (shown.length > maxShown) shown = shown.slice(-maxShown);
        // Newest first while tailing; in order while browsing.
        if (pos.value === "LATEST") shown.sort((a, b) => (a.ApproximateArrivalTimestamp < b.ApproximateArrivalTimestamp ? 1 : -1));
        redraw();
      }
      status.textContent = (pos.value === "LATEST" ? "tailing · " : "reading · ") + shown.length + " records";
      list.dataset.count = String(shown.length);
      await new Promise((r) => setTimeout(r, got ? 200 : 1000));
    }
  }
  const form = h("form", {class: "row", onsubmit: (e) => { e.preventDefault(); start(); }},
    field("From", pos), seq, ts, field("Show as", as), startBtn, stopBtn);
  if (opts.autostart) setTimeout(start, 0);
  return {el: h("div", {}, form, status, list), dispose: () => { run++; }, start};
}
