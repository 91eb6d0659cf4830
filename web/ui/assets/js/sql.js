// A SQL application's page: its code in an editor, its inputs and
// outputs, start and stop, and its output stream's records as they come.
import {h, fill, toast, errText, statusBadge, field} from "./dom.js";
import * as api from "./api.js";
import {recordViewer} from "./records.js";

const streamOf = (arn) => (arn || "").split(":stream/")[1] || "";

export async function render(main, name) {
  const head = h("h1", {}, "SQL application ", h("span", {id: "app-name"}, name));
  const code = h("textarea", {class: "editor", id: "sql-code", spellcheck: "false", "aria-label": "Application code (SQL)", rows: 14});
  const ioBox = h("div", {id: "sql-io"});
  const controls = h("div", {class: "row", id: "sql-controls"});
  const outBox = h("div", {id: "sql-output"});
  let detail = null, viewer = null, dirty = false, outStream = "";
  code.addEventListener("input", () => { dirty = true; });
  code.addEventListener("keydown", (e) => {
    // Tab indents inside the editor; Escape then Tab leaves it.
    if (e.key === "Tab" && !e.shiftKey && !code.dataset.escaped) {
      e.preventDefault();
      const s = code.selectionStart;
      code.setRangeText("    ", s, code.selectionEnd, "end");
      dirty = true;
    }
    code.dataset.escaped = e.key === "Escape" ? "1" : "";
  });
  async function load() {
    detail = (await api.call("analytics", "DescribeApplication", {ApplicationName: name})).ApplicationDetail;
    fill(head, "SQL application ", h("span", {id: "app-name"}, name), " ", h("span", {id: "app-status"}, statusBadge(detail.ApplicationStatus)),
      " ", h("span", {class: "muted"}, "version " + detail.ApplicationVersionId));
    if (!dirty) code.value = detail.ApplicationCode || "";
    const running = detail.ApplicationStatus === "RUNNING" || detail.ApplicationStatus === "STARTING";
    const inputs = detail.InputDescriptions || [], outputs = detail.OutputDescriptions || [];
    fill(controls,
      running ? h("button", {type: "button", id: "sql-stop", onclick: () => act("StopApplication", {ApplicationName: name})}, "Stop")
        : [h("label", {class: "inline"}, "Start from ", h("select", {id: "sql-start-pos"}, ["NOW", "TRIM_HORIZON", "LAST_STOPPED_POINT"].map((p) => h("option", {value: p}, p)))),
          " ", h("button", {type: "button", class: "primary", id: "sql-start", disabled: !inputs.length, onclick: () => act("StartApplication", {ApplicationName: name,
            InputConfigurations: inputs.map((i) => ({Id: i.InputId, InputStartingPositionConfiguration: {InputStartingPosition: document.getElementById("sql-start-pos").value}}))})}, "Start")],
      " ", h("button", {type: "button", id: "sql-save", onclick: save}, "Save code"));
    fill(ioBox,
      h("h3", {}, "Inputs"), inputs.length ? h("ul", {}, inputs.map((i) => h("li", {}, h("code", {}, i.NamePrefix), " ← ",
        streamOf(i.KinesisStreamsInputDescription?.ResourceARN) || i.KinesisFirehoseInputDescription?.ResourceARN || "",
        " · columns: ", (i.InputSchema?.RecordColumns || []).map((c) => c.Name + " " + c.SqlType).join(", ")))) : addInput(),
      h("h3", {}, "Outputs"), outputs.length ? h("ul", {}, outputs.map((o) => h("li", {}, h("code", {}, o.Name), " → ",
        streamOf(o.KinesisStreamsOutputDescription?.ResourceARN) || o.KinesisFirehoseOutputDescription?.ResourceARN || o.LambdaOutputDescription?.ResourceARN || "",
        " (" + (o.DestinationSchema?.RecordFormatType || "") + ")"))) : null, addOutput());
    const first = outputs.map((o) => streamOf(o.KinesisStreamsOutputDescription?.ResourceARN)).find(Boolean) || "";
    if (first !== outStream) {
      outStream = first;
      if (viewer) viewer.dispose();
      viewer = first ? recordViewer(first, {id: "sql-records", format: "json", autostart: true}) : null;
      fill(outBox, viewer ? [h("p", {class: "muted"}, "Records of the output stream ", h("a", {href: "#/data/" + encodeURIComponent(first)}, first), ":"), viewer.el]
        : h("p", {class: "empty"}, "Add an output to a data stream to see the application's results here."));
    }
  }
  async function act(op, body) {
    try { await api.call("analytics", op, body); toast(op.replace("Application", "") + " " + name); await load(); } catch (e) { toast(errText(e), true); }
  }
  async function save() {
    try {
      await api.call("analytics", "UpdateApplication", {ApplicationName: name, CurrentApplicationVersionId: detail.ApplicationVersionId,
        ApplicationUpdate: {ApplicationCodeUpdate: code.value}});
      dirty = false; toast("Saved"); await load();
    } catch (e) { toast(errText(e), true); }
  }
  function addInput() {
    const stream = h("input", {id: "sql-input-stream", required: true, placeholder: "data stream", "aria-label": "Input data stream"});
    const prefix = h("input", {id: "sql-input-prefix", value: "SOURCE_SQL_STREAM", "aria-label": "In-application stream name prefix"});
    return h("form", {class: "row", onsubmit: async (e) => {
      e.preventDefault();
      try {
        const sum = await api.call("kinesis", "DescribeStreamSummary", {StreamName: stream.value});
        const arn = sum.StreamDescriptionSummary.StreamARN, role = "arn:aws:iam::000000000000:role/shardcast";
        const disc = await api.call("analytics", "DiscoverInputSchema", {ResourceARN: arn, RoleARN: role, InputStartingPositionConfiguration: {InputStartingPosition: "TRIM_HORIZON"}});
        await api.call("analytics", "AddApplicationInput", {ApplicationName: name, CurrentApplicationVersionId: detail.ApplicationVersionId,
          Input: {NamePrefix: prefix.value, KinesisStreamsInput: {ResourceARN: arn, RoleARN: role}, InputSchema: disc.InputSchema}});
        toast("Input added; its schema was discovered from the stream's records"); await load();
      } catch (x) { toast(errText(x), true); }
    }}, field("Input: data stream", stream), field("Name prefix", prefix), h("button", {type: "submit"}, "Add input (discovers the schema)"));
  }
  function addOutput() {
    const stream = h("input", {id: "sql-output-stream", required: true, placeholder: "data stream", "aria-label": "Output data stream"});
    const inApp = h("input", {id: "sql-output-name", value: "DESTINATION_SQL_STREAM", "aria-label": "In-application stream to send"});
    return h("form", {class: "row", onsubmit: async (e) => {
      e.preventDefault();
      try {
        const sum = await api.call("kinesis", "DescribeStreamSummary", {StreamName: stream.value});
        await api.call("analytics", "AddApplicationOutput", {ApplicationName: name, CurrentApplicationVersionId: detail.ApplicationVersionId,
          Output: {Name: inApp.value, KinesisStreamsOutput: {ResourceARN: sum.StreamDescriptionSummary.StreamARN, RoleARN: "arn:aws:iam::000000000000:role/shardcast"},
            DestinationSchema: {RecordFormatType: "JSON"}}});
        toast("Output added"); await load();
      } catch (x) { toast(errText(x), true); }
    }}, field("Output: in-application stream", inApp), field("to data stream", stream), h("button", {type: "submit"}, "Add output"));
  }
  fill(main, head,
    h("div", {class: "grid2 even"},
      h("section", {class: "panel", "aria-labelledby": "code-title"}, h("h2", {id: "code-title"}, "Code"), code, controls),
      h("section", {class: "panel", "aria-labelledby": "out-title"}, h("h2", {id: "out-title"}, "Output"), outBox)),
    h("section", {class: "panel", "aria-labelledby": "io-title"}, h("h2", {id: "io-title"}, "Inputs and outputs"), ioBox));
  await load();
  const t = setInterval(() => load().catch(() => {}), 3000);
  return {dispose() { clearInterval(t); if (viewer) viewer.dispose(); }};
}
