// Small helpers for building the console's pages without a framework.

// h makes an element: h("button", {class: "primary", onclick: fn}, "Save").
// Attributes starting with "on" are listeners; null and false are left out.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "style") el.style.cssText = v; // CSSOM: allowed by the page's CSP, a style attribute is not
    else if (k === "text") el.textContent = v;
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// fill replaces an element's children.
export function fill(el, ...children) { el.replaceChildren(); el.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false)); return el; }

export function toast(text, bad) {
  const box = document.getElementById("toast");
  const m = h("div", {class: "msg" + (bad ? " bad" : "")}, text);
  box.append(m);
  setTimeout(() => m.remove(), bad ? 8000 : 4000);
}

// errText is an error as a user reads it.
export function errText(e) { return e && e.type ? e.type + ": " + e.message : String(e && e.message || e); }

export function badge(text, kind) { return h("span", {class: "badge " + (kind || "")}, text); }

export function statusBadge(s) {
  const ok = ["ACTIVE", "RUNNING", "READY", "live", "publishing"], warn = ["CREATING", "UPDATING", "STARTING", "STOPPING", "DELETING", "connecting"];
  return badge(s, ok.includes(s) ? "ok" : warn.includes(s) ? "warn" : s === "READY" ? "" : "bad");
}

export function fmtBytes(n) {
  if (!n) return "0 B";
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + " " + u[i];
}

export function fmtBits(bps) {
  if (!bps) return "0 bit/s";
  if (bps >= 1e6) return (bps / 1e6).toFixed(2) + " Mbit/s";
  return (bps / 1e3).toFixed(0) + " kbit/s";
}

export function fmtRate(n) { return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2); }

export function fmtTime(d) { return d ? new Date(d).toLocaleString() : ""; }

export function fmtDur(ms) {
  if (ms < 1000) return Math.round(ms) + " ms";
  const s = ms / 1000;
  if (s < 120) return s.toFixed(1) + " s";
  if (s < 7200) return (s / 60).toFixed(1) + " min";
  return (s / 3600).toFixed(1) + " h";
}

// rates turns growing counters into per-second rates between two calls.
export function rateKeeper() {
  const last = new Map();
  return (key, counters) => {
    const now = performance.now(), prev = last.get(key);
    last.set(key, {now, counters});
    const out = {};
    for (const [k, v] of Object.entries(counters)) {
      out[k] = prev && now > prev.now && v >= prev.counters[k] ? ((v - prev.counters[k]) * 1000) / (now - prev.now) : null;
    }
    return out;
  };
}

// field is a labelled input.
export function field(label, input) { return h("label", {}, label, input); }

// confirmDanger asks before something that cannot be undone.
export function confirmDanger(text) { return window.confirm(text); }

// epoch is a Date or milliseconds as the seconds the AWS JSON APIs take.
export function epoch(t) { return (t instanceof Date ? t.getTime() : t) / 1000; }

// toDate reads a timestamp as the APIs write it (epoch seconds or ISO).
export function toDate(v) { return typeof v === "number" ? new Date(v * 1000) : new Date(v); }

// b64 is text's UTF-8 bytes in base64, as the APIs take blobs.
export function b64(text) {
  let bin = "";
  new TextEncoder().encode(text).forEach((b) => { bin += String.fromCharCode(b); });
  return btoa(bin);
}
