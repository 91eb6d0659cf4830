// A delivery stream's page: its source and destinations, buffer fill,
// what was delivered and the errors, and a test record.
import {h, fill, toast, errText, statusBadge, fmtBytes, fmtDur, fmtTime, toDate, rateKeeper, field, b64} from "./dom.js";
import * as api from "./api.js";

const destKeys = ["ExtendedS3DestinationDescription", "S3DestinationDescription", "HttpEndpointDestinationDescription", "RedshiftDestinationDescription",
  "AmazonopensearchserviceDestinationDescription", "ElasticsearchDestinationDescription", "SplunkDestinationDescription"];

export async function render(main, name) {
  const rates = rateKeeper();
  const head = h("h1", {}, "Delivery stream ", h("span", {id: "stream-name"}, name));
  const about = h("dl", {class: "kv"});
  const dests = h("div", {id: "destinations"});
  async function load() {
    const [d, stats] = await Promise.all([
      api.call("firehose", "DescribeDeliveryStream", {DeliveryStreamName: name}),
      api.admin("firehose").catch(() => []),
    ]);
    const ds = d.DeliveryStreamDescription;
    fill(head, "Delivery stream ", h("span", {id: "stream-name"}, name), " ", statusBadge(ds.DeliveryStreamStatus));
    const src = ds.Source?.KinesisStreamSourceDescription;
    fill(about,
      h("dt", {}, "Type"), h("dd", {}, ds.DeliveryStreamType),
      h("dt", {}, "Source"), h("dd", {}, src ? h("code", {}, src.KinesisStreamARN) : "direct PUT (PutRecord, PutRecordBatch, the agent)"),
      h("dt", {}, "Created"), h("dd", {}, fmtTime(toDate(ds.CreateTimestamp))),
      h("dt", {}, "ARN"), h("dd", {}, h("code", {}, ds.DeliveryStreamARN)));
    const st = (Array.isArray(stats) ? stats : []).find((x) => x.name === name) || {destinations: []};
    fill(dests, (ds.Destinations || []).map((dd) => {
      const kind = destKeys.find((k) => dd[k]);
      const conf = kind ? dd[kind] : {};
      const s = st.destinations.find((x) => x.destinationId === dd.DestinationId) || {};
      const hints = conf.BufferingHints || {};
      const fillPct = hints.SizeInMBs ? Math.min(100, ((s.bufferedBytes || 0) / (hints.SizeInMBs * 1048576)) * 100) : 0;
      const r = rates(dd.DestinationId, {rec: s.deliveredRecords || 0});
      const where = conf.BucketARN || conf.EndpointConfiguration?.Url || conf.ClusterJDBCURL || conf.DomainARN || conf.ClusterEndpoint || conf.HECEndpoint || "";
      return h("div", {class: "panel", "data-destination": dd.DestinationId},
        h("h3", {}, (kind || "destination").replace("DestinationDescription", ""), " ", h("code", {class: "muted"}, where)),
        h("dl", {class: "kv"},
          h("dt", {}, "Buffer"), h("dd", {}, h("div", {class: "bar", role: "meter", "aria-label": "Buffer fill", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": Math.round(fillPct)},
            h("span", {style: `width:${fillPct}%`})), (s.bufferedRecords || 0) + " records, " + fmtBytes(s.bufferedBytes || 0) +
            (hints.SizeInMBs ? " of " + hints.SizeInMBs + " MiB or " + hints.IntervalInSeconds + " s" : "")),
          h("dt", {}, "Delivered"), h("dd", {class: "delivered", "data-records": String(s.deliveredRecords || 0)}, (s.deliveredRecords || 0) + " records, " + fmtBytes(s.deliveredBytes || 0) + " in " + (s.batches || 0) + " deliveries" +
            (r.rec != null ? " · " + r.rec.toFixed(1) + " records/s" : "")),
          h("dt", {}, "Lag"), h("dd", {}, fmtDur((s.dataFreshnessSeconds || 0) * 1000) + " (the oldest record not yet delivered)"),
          h("dt", {}, "Failures"), h("dd", {}, String(s.failures || 0) + (s.errorOutputRecords ? " · " + s.errorOutputRecords + " records to the error output" : "")),
          s.lastError ? [h("dt", {}, "Last error"), h("dd", {class: "bad"}, fmtTime(s.lastErrorTime) + ": " + s.lastError, s.failing ? " (retrying now)" : "")] : null),
        h("h4", {}, "Last deliveries"),
        (s.recentDeliveries || []).length ? h("div", {class: "scroll"}, h("table", {class: "recent"},
          h("thead", {}, h("tr", {}, h("th", {}, "When"), h("th", {class: "num"}, "Records"), h("th", {class: "num"}, "Bytes"), h("th", {class: "num"}, "Tries"), h("th", {class: "num"}, "Took"), h("th", {class: "hide-sm"}, "Request id"))),
          h("tbody", {}, s.recentDeliveries.map((x) => h("tr", {},
            h("td", {}, new Date(x.at).toLocaleTimeString()), h("td", {class: "num"}, String(x.records)), h("td", {class: "num"}, fmtBytes(x.bytes)),
            h("td", {class: "num"}, String(x.attempts)), h("td", {class: "num"}, fmtDur(x.millis)), h("td", {class: "hide-sm"}, h("code", {class: "muted"}, x.requestId)))))))
          : h("p", {class: "muted"}, "Nothing delivered since the server started."));
    }));
  }
  const data = h("input", {id: "fh-data", value: '{"hello": "shardcast"}', size: 40, "aria-label": "Record data"});
  const put = h("form", {class: "row", onsubmit: async (e) => {
    e.preventDefault();
    try {
      await api.call("firehose", "PutRecord", {DeliveryStreamName: name, Record: {Data: b64(data.value + "\n")}});
      toast("Record accepted");
    } catch (x) { toast(errText(x), true); }
  }}, field("Data (a newline is added)", data), h("button", {type: "submit", class: "primary"}, "Put record"));
  fill(main, head, h("div", {class: "grid2"},
    h("section", {"aria-labelledby": "dest-title"}, h("h2", {id: "dest-title"}, "Destinations"), dests),
    h("section", {class: "panel", "aria-labelledby": "about-title"}, h("h2", {id: "about-title"}, "Delivery stream"), about, h("h3", {}, "Put a test record"), put)));
  await load();
  const t = setInterval(() => load().catch(() => {}), 2000);
  return {dispose() { clearInterval(t); }};
}
