// The overview: every video stream, data stream, delivery stream and SQL
// application with its state and live figures, refreshed every two
// seconds; create, change retention and delete.
import {h, fill, toast, errText, statusBadge, fmtBits, fmtRate, fmtDur, rateKeeper, field, confirmDanger} from "./dom.js";
import * as api from "./api.js";

const rates = rateKeeper();

export async function render(main, _arg, ctx) {
  const sections = {video: h("div"), data: h("div"), delivery: h("div"), sql: h("div")};
  const host = location.hostname;
  const rtsp = ctx.info.rtsp || "rtsp://" + host + ":8554/";
  fill(main,
    h("h1", {}, "Overview"),
    h("section", {"aria-labelledby": "ov-video"}, h("h2", {id: "ov-video"}, "Video streams"), createVideo(), sections.video),
    h("section", {"aria-labelledby": "ov-data"}, h("h2", {id: "ov-data"}, "Data streams"), createData(), sections.data),
    h("section", {"aria-labelledby": "ov-delivery"}, h("h2", {id: "ov-delivery"}, "Delivery streams"), sections.delivery),
    h("section", {"aria-labelledby": "ov-sql"}, h("h2", {id: "ov-sql"}, "SQL applications"), createSQL(), sections.sql));
  let stop = false, timer = null;
  const refresh = async () => {
    const [videos, ingest, datas, traffic, deliveries, fstats, apps] = await Promise.all([
      api.all((t) => api.kvs("listStreams", {NextToken: t}), "StreamInfoList").catch((e) => e),
      api.admin("ingest").catch(() => []),
      api.all((t) => api.call("kinesis", "ListStreams", t ? {NextToken: t} : {}), "StreamSummaries").catch((e) => e),
      api.admin("datastreams").catch(() => []),
      api.call("firehose", "ListDeliveryStreams", {Limit: 10000}).catch((e) => e),
      api.admin("firehose").catch(() => []),
      api.call("analytics", "ListApplications", {Limit: 50}).catch((e) => e),
    ]);
    // An application's throughput is its input's and output's.
    const details = apps instanceof Error ? [] : await Promise.all((apps.ApplicationSummaries || []).map((a) =>
      api.call("analytics", "DescribeApplication", {ApplicationName: a.ApplicationName}).then((d) => d.ApplicationDetail).catch(() => null)));
    if (stop) return;
    fill(sections.video, videoTable(videos, ingest, rtsp));
    const dataRates = new Map();
    fill(sections.data, dataTable(datas, traffic, dataRates));
    fill(sections.delivery, deliveryTable(deliveries, fstats));
    fill(sections.sql, sqlTable(apps, details, dataRates));
  };
  const loop = async () => {
    try { await refresh(); } catch (e) { console.error(e); }
    if (!stop) timer = setTimeout(loop, 2000);
  };
  await refresh().catch((e) => toast(errText(e), true));
  timer = setTimeout(loop, 2000);
  return {dispose() { stop = true; clearTimeout(timer); }};

  function refreshSoon() { refresh().catch((e) => toast(errText(e), true)); }

  function createVideo() {
    const name = h("input", {name: "name", required: true, pattern: "[a-zA-Z0-9_.\\-]{1,256}", placeholder: "front-door", "aria-label": "New video stream name"});
    const hours = h("input", {name: "retention", type: "number", min: 0, value: 24, style: "width:7em", "aria-label": "Retention in hours"});
    return h("form", {class: "row", id: "create-video", onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api.kvs("createStream", {StreamName: name.value, DataRetentionInHours: Number(hours.value), MediaType: "video/h264"});
        toast("Created video stream " + name.value);
        name.value = "";
        refreshSoon();
      } catch (x) { toast(errText(x), true); }
    }}, field("New video stream", name), field("Retention (hours)", hours), h("button", {class: "primary", type: "submit"}, "Create video stream"));
  }

  function createData() {
    const name = h("input", {name: "name", required: true, pattern: "[a-zA-Z0-9_.\\-]{1,128}", placeholder: "clicks", "aria-label": "New data stream name"});
    const shards = h("input", {name: "shards", type: "number", min: 1, value: 1, style: "width:6em", "aria-label": "Shard count"});
    const mode = h("select", {name: "mode", "aria-label": "Capacity mode"}, h("option", {value: "PROVISIONED"}, "provisioned"), h("option", {value: "ON_DEMAND"}, "on demand"));
    return h("form", {class: "row", id: "create-data", onsubmit: async (e) => {
      e.preventDefault();
      try {
        const body = {StreamName: name.value, StreamModeDetails: {StreamMode: mode.value}};
        if (mode.value === "PROVISIONED") body.ShardCount = Number(shards.value);
        await api.call("kinesis", "CreateStream", body);
        toast("Created data stream " + name.value);
        name.value = "";
        refreshSoon();
      } catch (x) { toast(errText(x), true); }
    }}, field("New data stream", name), field("Shards", shards), field("Mode", mode), h("button", {class: "primary", type: "submit"}, "Create data stream"));
  }

  function createSQL() {
    const name = h("input", {name: "name", required: true, pattern: "[a-zA-Z0-9_.\\-]{1,128}", placeholder: "alerts", "aria-label": "New SQL application name"});
    return h("form", {class: "row", id: "create-sql", onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api.call("analytics", "CreateApplication", {ApplicationName: name.value, ApplicationCode: ""});
        location.hash = "#/sql/" + encodeURIComponent(name.value);
      } catch (x) { toast(errText(x), true); }
    }}, field("New SQL application", name), h("button", {class: "primary", type: "submit"}, "Create SQL application"));
  }

  function retentionButton(label, get, set) {
    return h("button", {type: "button", onclick: async () => {
      const now = await get();
      const v = window.prompt(label + ": new retention in hours", String(now));
      if (v === null) return;
      try { await set(now, Number(v)); toast("Retention is now " + v + " h"); refreshSoon(); } catch (x) { toast(errText(x), true); }
    }}, "Retention…");
  }

  function videoTable(list, ingest, rtspBase) {
    if (list instanceof Error) return h("p", {class: "bad"}, errText(list));
    if (!list.length) {
      return h("div", {class: "empty"},
        h("p", {}, "No video streams yet. Point a camera or ffmpeg at this server, and the stream appears here:"),
        h("pre", {}, "ffmpeg -re -f lavfi -i testsrc2=size=1280x720:rate=25 -c:v libx264 -preset veryfast -tune zerolatency -g 50 -f rtsp " + rtspBase + "camera1"),
        h("p", {}, "Or create a stream above and publish your browser's camera from the ", h("a", {href: "#/publish"}, "Publish"), " page."));
    }
    const byStream = new Map((Array.isArray(ingest) ? ingest : []).map((s) => [s.stream, s]));
    return h("div", {class: "scroll"}, h("table", {id: "video-streams"},
      h("thead", {}, h("tr", {}, h("th", {}, "Stream"), h("th", {}, "Status"), h("th", {}, "Ingest"), h("th", {class: "num"}, "Bitrate"), h("th", {class: "num"}, "Frames/s"), h("th", {}, "Errors"), h("th", {class: "num hide-sm"}, "Retention"), h("th", {}, ""))),
      h("tbody", {}, list.map((s) => {
        const ing = byStream.get(s.StreamName);
        const r = ing ? rates("v:" + s.StreamName + ":" + ing.id, {bytes: ing.bytes, frames: ing.videoUnits || 0}) : {};
        return h("tr", {"data-stream": s.StreamName},
          h("td", {}, h("a", {href: "#/video/" + encodeURIComponent(s.StreamName)}, s.StreamName)),
          h("td", {}, statusBadge(s.Status)),
          h("td", {}, ing ? [statusBadge("live"), " ", ing.protocol, " ", h("span", {class: "muted hide-sm"}, ing.remote)] : h("span", {class: "muted"}, "offline")),
          h("td", {class: "num"}, ing && r.bytes !== null ? fmtBits(r.bytes * 8) : ""),
          h("td", {class: "num"}, ing && r.frames !== null ? fmtRate(r.frames) : ""),
          h("td", {}, !ing ? "" : ing.storeError ? h("span", {class: "badge bad", title: ing.storeError}, "not storing")
            : ing.droppedUnits ? h("span", {class: "badge warn"}, ing.droppedUnits + " dropped") : h("span", {class: "muted"}, "none")),
          h("td", {class: "num hide-sm"}, s.DataRetentionInHours + " h"),
          h("td", {}, retentionButton(s.StreamName, async () => s.DataRetentionInHours, async (now, want) => {
            const d = await api.kvs("describeStream", {StreamName: s.StreamName});
            await api.kvs("updateDataRetention", {StreamName: s.StreamName, CurrentVersion: d.StreamInfo.Version,
              Operation: want >= now ? "INCREASE_DATA_RETENTION" : "DECREASE_DATA_RETENTION", DataRetentionChangeInHours: Math.abs(want - now)});
          }), " ", h("button", {type: "button", class: "danger", "aria-label": "Delete video stream " + s.StreamName, onclick: async () => {
            if (!confirmDanger("Delete video stream " + s.StreamName + " and all its stored video?")) return;
            try { await api.kvs("deleteStream", {StreamARN: s.StreamARN}); toast("Deleted " + s.StreamName); refreshSoon(); } catch (x) { toast(errText(x), true); }
          }}, "Delete")));
      }))));
  }

  function dataTable(list, traffic, dataRates) {
    if (list instanceof Error) return h("p", {class: "bad"}, errText(list));
    if (!list.length) {
      return h("div", {class: "empty"}, h("p", {}, "No data streams yet. Create one above, or with the AWS CLI:"),
        h("pre", {}, "aws --endpoint-url " + location.origin + " kinesis create-stream --stream-name clicks --shard-count 2"));
    }
    const t = new Map((Array.isArray(traffic) ? traffic : []).map((x) => [x.stream, x]));
    return h("div", {class: "scroll"}, h("table", {id: "data-streams"},
      h("thead", {}, h("tr", {}, h("th", {}, "Stream"), h("th", {}, "Status"), h("th", {class: "num"}, "Shards"), h("th", {class: "num"}, "Records/s in"), h("th", {class: "num"}, "Records/s out"), h("th", {class: "num"}, "Iterator age"), h("th", {}, ""))),
      h("tbody", {}, list.map((s) => {
        const x = t.get(s.StreamName);
        const r = x ? rates("d:" + s.StreamName, {in: x.recordsIn, out: x.recordsOut}) : {};
        dataRates.set(s.StreamName, r);
        return h("tr", {"data-stream": s.StreamName},
          h("td", {}, h("a", {href: "#/data/" + encodeURIComponent(s.StreamName)}, s.StreamName)),
          h("td", {}, statusBadge(s.StreamStatus), " ", h("span", {class: "muted"}, (s.StreamModeDetails?.StreamMode || "").toLowerCase().replace("_", " "))),
          h("td", {class: "num"}, x ? x.openShards : ""),
          h("td", {class: "num"}, r.in != null ? fmtRate(r.in) : ""),
          h("td", {class: "num"}, r.out != null ? fmtRate(r.out) : ""),
          h("td", {class: "num"}, x ? fmtDur(x.iteratorAgeMillis) : ""),
          h("td", {}, retentionButton(s.StreamName, async () => (await api.call("kinesis", "DescribeStreamSummary", {StreamName: s.StreamName})).StreamDescriptionSummary.RetentionPeriodHours,
            async (now, want) => api.call("kinesis", want >= now ? "IncreaseStreamRetentionPeriod" : "DecreaseStreamRetentionPeriod", {StreamName: s.StreamName, RetentionPeriodHours: want})),
          " ", h("button", {type: "button", class: "danger", "aria-label": "Delete data stream " + s.StreamName, onclick: async () => {
            if (!confirmDanger("Delete data stream " + s.StreamName + " and its records?")) return;
            try { await api.call("kinesis", "DeleteStream", {StreamName: s.StreamName, EnforceConsumerDeletion: true}); toast("Deleting " + s.StreamName); refreshSoon(); } catch (x2) { toast(errText(x2), true); }
          }}, "Delete")));
      }))));
  }

  function deliveryTable(list, stats) {
    if (list instanceof Error) return h("p", {class: "bad"}, errText(list));
    const names = list.DeliveryStreamNames || [];
    if (!names.length) {
      return h("div", {class: "empty"}, h("p", {}, "No delivery streams yet. Create one with the AWS CLI or an SDK, for example to an HTTP endpoint:"),
        h("pre", {}, "aws --endpoint-url " + location.origin + " firehose create-delivery-stream --delivery-stream-name to-web \\\n  --http-endpoint-destination-configuration 'EndpointConfiguration={Url=http://127.0.0.1:9000/in},S3Configuration={RoleARN=arn:aws:iam::000000000000:role/x,BucketARN=arn:aws:s3:::backup}'"));
    }
    const st = new Map((Array.isArray(stats) ? stats : []).map((x) => [x.name, x]));
    return h("div", {class: "scroll"}, h("table", {id: "delivery-streams"},
      h("thead", {}, h("tr", {}, h("th", {}, "Delivery stream"), h("th", {}, "Status"), h("th", {}, "Destinations"), h("th", {class: "num"}, "Delivered"), h("th", {class: "num"}, "Records/s"), h("th", {class: "num"}, "Lag"), h("th", {}, "Errors"), h("th", {}, ""))),
      h("tbody", {}, names.map((n) => {
        const s = st.get(n) || {destinations: []};
        const delivered = s.destinations.reduce((a, d) => a + d.deliveredRecords, 0);
        const r = rates("f:" + n, {d: delivered});
        const lag = Math.max(0, ...s.destinations.map((d) => d.dataFreshnessSeconds || 0));
        const failing = s.destinations.find((d) => d.failing || d.lastError);
        return h("tr", {"data-stream": n},
          h("td", {}, h("a", {href: "#/delivery/" + encodeURIComponent(n)}, n)),
          h("td", {}, statusBadge(s.status || "?")),
          h("td", {}, s.destinations.map((d) => d.kind).join(", ")),
          h("td", {class: "num"}, String(delivered)),
          h("td", {class: "num"}, r.d != null ? fmtRate(r.d) : ""),
          h("td", {class: "num"}, fmtDur(lag * 1000)),
          h("td", {}, failing ? h("span", {class: "badge bad", title: failing.lastError}, failing.failing ? "failing" : "recent error") : h("span", {class: "muted"}, "none")),
          h("td", {}, h("button", {type: "button", class: "danger", "aria-label": "Delete delivery stream " + n, onclick: async () => {
            if (!confirmDanger("Delete delivery stream " + n + "?")) return;
            try { await api.call("firehose", "DeleteDeliveryStream", {DeliveryStreamName: n}); toast("Deleting " + n); refreshSoon(); } catch (x) { toast(errText(x), true); }
          }}, "Delete")));
      }))));
  }

  function sqlTable(list, details, dataRates) {
    if (list instanceof Error) return h("p", {class: "bad"}, errText(list));
    const apps = list.ApplicationSummaries || [];
    if (!apps.length) {
      return h("div", {class: "empty"}, h("p", {}, "No SQL applications yet. Create one above, then give it an input stream and code on its page."));
    }
    return h("div", {class: "scroll"}, h("table", {id: "sql-apps"},
      h("thead", {}, h("tr", {}, h("th", {}, "Application"), h("th", {}, "Status"), h("th", {}, "Input"), h("th", {}, "Outputs"), h("th", {}, ""))),
      h("tbody", {}, apps.map((a, i) => h("tr", {"data-app": a.ApplicationName},
        h("td", {}, h("a", {href: "#/sql/" + encodeURIComponent(a.ApplicationName)}, a.ApplicationName)),
        h("td", {}, statusBadge(a.ApplicationStatus)),
        h("td", {}, ((details[i] && details[i].InputDescriptions) || []).map((x) => streamRate(x.KinesisStreamsInputDescription?.ResourceARN || x.KinesisFirehoseInputDescription?.ResourceARN, dataRates))),
        h("td", {}, ((details[i] && details[i].OutputDescriptions) || []).map((x) => streamRate(x.KinesisStreamsOutputDescription?.ResourceARN || x.KinesisFirehoseOutputDescription?.ResourceARN || x.LambdaOutputDescription?.ResourceARN, dataRates))),
        h("td", {}, h("button", {type: "button", class: "danger", "aria-label": "Delete SQL application " + a.ApplicationName, onclick: async () => {
          if (!confirmDanger("Delete SQL application " + a.ApplicationName + "?")) return;
          try {
            const d = await api.call("analytics", "DescribeApplication", {ApplicationName: a.ApplicationName});
            await api.call("analytics", "DeleteApplication", {ApplicationName: a.ApplicationName, CreateTimestamp: d.ApplicationDetail.CreateTimestamp});
            toast("Deleted " + a.ApplicationName); refreshSoon();
          } catch (x) { toast(errText(x), true); }
        }}, "Delete")))))));
  }
}

// streamRate names the stream of an ARN, with the records/s put into it
// when it is a data stream.
function streamRate(arn, dataRates) {
  const name = (arn || "").split(/:stream\/|:deliverystream\/|:function:/)[1] || arn || "";
  const r = dataRates.get(name);
  return h("div", {}, name, r && r.in != null ? h("span", {class: "muted"}, " · " + fmtRate(r.in) + " records/s") : null);
}
