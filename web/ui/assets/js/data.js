// A data stream's page: shards with their hash-key ranges and lineage,
// split and merge, consumers, a test record, and the records themselves.
import {h, fill, toast, errText, statusBadge, fmtTime, toDate, field, b64} from "./dom.js";
import * as api from "./api.js";
import {recordViewer} from "./records.js";

export async function render(main, stream) {
  const shardsBox = h("div", {id: "shards"}), lineageBox = h("pre", {class: "lineage", id: "lineage"}), consumersBox = h("div", {id: "consumers"});
  const summaryBox = h("dl", {class: "kv"});
  const title = h("h1", {}, "Data stream ", h("span", {id: "stream-name"}, stream), " ");
  async function load() {
    const [sum, shards] = await Promise.all([
      api.call("kinesis", "DescribeStreamSummary", {StreamName: stream}),
      api.all((t) => api.call("kinesis", "ListShards", t ? {NextToken: t} : {StreamName: stream}), "Shards"),
    ]);
    const d = sum.StreamDescriptionSummary;
    fill(title, "Data stream ", h("span", {id: "stream-name"}, stream), " ", statusBadge(d.StreamStatus));
    fill(summaryBox,
      h("dt", {}, "Mode"), h("dd", {}, d.StreamModeDetails?.StreamMode || "PROVISIONED"),
      h("dt", {}, "Open shards"), h("dd", {}, String(d.OpenShardCount)),
      h("dt", {}, "Retention"), h("dd", {}, d.RetentionPeriodHours + " h"),
      h("dt", {}, "Encryption"), h("dd", {}, d.EncryptionType || "NONE"),
      h("dt", {}, "Created"), h("dd", {}, fmtTime(toDate(d.StreamCreationTimestamp))),
      h("dt", {}, "ARN"), h("dd", {}, h("code", {}, d.StreamARN)));
    const open = shards.filter((s) => !s.SequenceNumberRange.EndingSequenceNumber);
    fill(shardsBox, h("div", {class: "scroll"}, h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "Shard"), h("th", {}, "State"), h("th", {}, "Hash keys"), h("th", {}, "Parents"), h("th", {}, ""))),
      h("tbody", {}, shards.map((s) => {
        const closed = !!s.SequenceNumberRange.EndingSequenceNumber;
        const i = open.indexOf(s);
        const next = i >= 0 ? open.slice().sort((a, b) => cmpKey(a.HashKeyRange.StartingHashKey, b.HashKeyRange.StartingHashKey)) : [];
        const j = next.indexOf(s);
        const right = j >= 0 && j + 1 < next.length ? next[j + 1] : null;
        return h("tr", {"data-shard": s.ShardId},
          h("td", {}, h("code", {}, s.ShardId)),
          h("td", {}, closed ? h("span", {class: "badge"}, "closed") : statusBadge("ACTIVE")),
          h("td", {}, h("code", {class: "muted"}, abbrev(s.HashKeyRange.StartingHashKey) + " – " + abbrev(s.HashKeyRange.EndingHashKey))),
          h("td", {}, [s.ParentShardId, s.AdjacentParentShardId].filter(Boolean).join(", ")),
          h("td", {}, closed ? "" : [h("button", {type: "button", "aria-label": "Split " + s.ShardId, onclick: () => split(s)}, "Split"), " ",
            right ? h("button", {type: "button", "aria-label": "Merge " + s.ShardId + " with " + right.ShardId, onclick: () => merge(s, right)}, "Merge with next") : null]));
      })))));
    fill(lineageBox, lineage(shards));
    lineageBox.dataset.shards = String(shards.length);
    const consumers = await api.all((t) => api.call("kinesis", "ListStreamConsumers", t ? {NextToken: t, StreamARN: d.StreamARN} : {StreamARN: d.StreamARN}), "Consumers").catch(() => []);
    fill(consumersBox, consumers.length ? h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Consumer"), h("th", {}, "Status"), h("th", {}, "Registered"))),
      h("tbody", {}, consumers.map((c) => h("tr", {}, h("td", {}, c.ConsumerName), h("td", {}, statusBadge(c.ConsumerStatus)), h("td", {}, fmtTime(toDate(c.ConsumerCreationTimestamp)))))))
      : h("p", {class: "muted"}, "No enhanced fan-out consumers. Polling consumers (GetRecords) need no registration."));
  }
  async function split(s) {
    const mid = ((BigInt(s.HashKeyRange.StartingHashKey) + BigInt(s.HashKeyRange.EndingHashKey)) / 2n + 1n).toString();
    const at = window.prompt("Split " + s.ShardId + " at hash key (the middle by default):", mid);
    if (!at) return;
    try {
      await api.call("kinesis", "SplitShard", {StreamName: stream, ShardToSplit: s.ShardId, NewStartingHashKey: at.trim()});
      toast("Splitting " + s.ShardId); await waitActive(); await load();
    } catch (e) { toast(errText(e), true); }
  }
  async function merge(a, b) {
    try {
      await api.call("kinesis", "MergeShards", {StreamName: stream, ShardToMerge: a.ShardId, AdjacentShardToMerge: b.ShardId});
      toast("Merging " + a.ShardId + " and " + b.ShardId); await waitActive(); await load();
    } catch (e) { toast(errText(e), true); }
  }
  async function waitActive() {
    for (let i = 0; i < 60; i++) {
      const d = await api.call("kinesis", "DescribeStreamSummary", {StreamName: stream});
      if (d.StreamDescriptionSummary.StreamStatus === "ACTIVE") return;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const key = h("input", {id: "put-key", required: true, value: "key-1", "aria-label": "Partition key"});
  const data = h("textarea", {id: "put-data", rows: 3, "aria-label": "Record data"}, '{"hello": "shardcast"}');
  const put = h("form", {id: "put-record", onsubmit: async (e) => {
    e.preventDefault();
    try {
      const r = await api.call("kinesis", "PutRecord", {StreamName: stream, PartitionKey: key.value, Data: b64(data.value)});
      toast("Stored in " + r.ShardId + " as " + r.SequenceNumber);
      put.dataset.last = r.SequenceNumber;
    } catch (x) { toast(errText(x), true); }
  }}, field("Partition key", key), h("label", {style: "display:flex"}, "Data", data), h("button", {type: "submit", class: "primary"}, "Put record"));
  const viewer = recordViewer(stream, {id: "records"});
  fill(main, title,
    h("div", {class: "grid2"},
      h("section", {class: "panel", "aria-labelledby": "shards-title"}, h("h2", {id: "shards-title"}, "Shards"), shardsBox, h("h3", {}, "Lineage"), lineageBox),
      h("section", {class: "panel", "aria-labelledby": "sum-title"}, h("h2", {id: "sum-title"}, "Stream"), summaryBox, h("h3", {}, "Consumers"), consumersBox)),
    h("section", {class: "panel", "aria-labelledby": "put-title"}, h("h2", {id: "put-title"}, "Put a test record"), put),
    h("section", {class: "panel", "aria-labelledby": "rec-title"}, h("h2", {id: "rec-title"}, "Records"), viewer.el));
  await load();
  const t = setInterval(() => load().catch(() => {}), 5000);
  return {dispose() { clearInterval(t); viewer.dispose(); }};
}

function cmpKey(a, b) { const x = BigInt(a), y = BigInt(b); return x < y ? -1 : x > y ? 1 : 0; }

function abbrev(k) { return k.length > 12 ? k.slice(0, 6) + "…" + k.slice(-4) + " (" + k.length + " digits)" : k; }

// lineage draws the shards as a tree from the first ones to today's.
function lineage(shards) {
  const byId = new Map(shards.map((s) => [s.ShardId, s]));
  const children = new Map();
  for (const s of shards) for (const p of [s.ParentShardId, s.AdjacentParentShardId].filter(Boolean)) {
    if (!children.has(p)) children.set(p, []);
    children.get(p).push(s.ShardId);
  }
  const roots = shards.filter((s) => !s.ParentShardId || !byId.has(s.ParentShardId));
  const lines = [], seen = new Set();
  const walk = (id, prefix, last, top) => {
    const s = byId.get(id);
    const closed = s && s.SequenceNumberRange.EndingSequenceNumber ? " (closed)" : "";
    const merged = s && s.AdjacentParentShardId ? " ← merge of " + s.ParentShardId + " + " + s.AdjacentParentShardId : "";
    lines.push(prefix + (top ? "" : last ? "└─ " : "├─ ") + id + closed + (top ? "" : merged));
    if (seen.has(id)) return;
    seen.add(id);
    const kids = children.get(id) || [];
    kids.forEach((k, i) => walk(k, prefix + (top ? "" : last ? "   " : "│  "), i === kids.length - 1, false));
  };
  roots.forEach((r) => walk(r.ShardId, "", true, true));
  return lines.join("\n");
}
