// Calls of the console: the same APIs the SDKs call, authenticated by the
// console session's cookie, with its CSRF token on each.
let csrf = "";
let onLoggedOut = () => {};

export function setSession(token, loggedOut) { csrf = token || ""; if (loggedOut) onLoggedOut = loggedOut; }
export function csrfHeaders() { return csrf ? {"X-Shardcast-Csrf": csrf} : {}; }

// APIError carries the AWS error type and message of a refused call.
export class APIError extends Error {
  constructor(type, message, status) { super(message || type); this.type = type; this.status = status; }
}

async function send(url, init) {
  const r = await fetch(url, Object.assign({credentials: "same-origin", cache: "no-store"}, init));
  const text = r.headers.get("Content-Type")?.startsWith("application/json") || r.headers.get("Content-Type")?.includes("amz-json") ? await r.text() : null;
  if (!r.ok) {
    let type = r.headers.get("X-Amzn-Errortype") || "", msg = "";
    try {
      const b = JSON.parse(text || "{}");
      type = (b.__type || type || "").split("#").pop().split(":")[0];
      msg = b.message || b.Message || "";
    } catch (e) { /* not JSON */ }
    if (r.status === 401 || type === "ExpiredTokenException" || type === "MissingAuthenticationTokenException") onLoggedOut();
    throw new APIError(type || "HTTP " + r.status, msg || r.statusText, r.status);
  }
  return text === null ? r : text ? JSON.parse(text) : {};
}

const targets = {
  kinesis: ["Kinesis_20131202", "application/x-amz-json-1.1"],
  firehose: ["Firehose_20150804", "application/x-amz-json-1.1"],
  analytics: ["KinesisAnalytics_20150814", "application/x-amz-json-1.1"],
};

// call invokes a JSON-protocol operation: call("kinesis", "ListShards", {...}).
export function call(service, op, body) {
  const [prefix, type] = targets[service];
  return send("/", {method: "POST", headers: Object.assign({"X-Amz-Target": prefix + "." + op, "Content-Type": type}, csrfHeaders()),
    body: JSON.stringify(body || {})});
}

// kvs invokes a Kinesis Video Streams operation by its REST path:
// kvs("listStreams", {}); raw answers (clips) come back as the Response.
export function kvs(op, body) {
  return send("/" + op, {method: "POST", headers: Object.assign({"Content-Type": "application/json"}, csrfHeaders()), body: JSON.stringify(body || {})});
}

// admin reads an admin endpoint: admin("ingest").
export function admin(what) { return send("/admin/v1/" + what, {method: "GET"}); }

// session asks whether the cookie names a live session, and whose.
export async function session() {
  const r = await fetch("/ui/api/session", {credentials: "same-origin", cache: "no-store"});
  const b = await r.json();
  return {ok: r.ok && b.loggedIn, info: b};
}

export async function login(accessKeyId, secretAccessKey) {
  return send("/ui/api/login", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({accessKeyId, secretAccessKey})});
}

export async function logout() {
  await fetch("/ui/api/logout", {method: "POST", credentials: "same-origin", headers: csrfHeaders()});
}

// pages lists every page of a paginated list operation.
export async function all(fetchPage, key) {
  let token = undefined, out = [];
  for (let i = 0; i < 100; i++) {
    const page = await fetchPage(token);
    out = out.concat(page[key] || []);
    token = page.NextToken;
    if (!token) break;
  }
  return out;
}
