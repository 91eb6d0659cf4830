// The console: a hash router over the pages, the login, the theme.
import {h, fill, toast, errText} from "./dom.js";
import * as api from "./api.js";

const main = document.getElementById("main");
const pages = {
  "": () => import("./overview.js"),
  video: () => import("./video.js"),
  wall: () => import("./wall.js"),
  publish: () => import("./publish.js"),
  data: () => import("./data.js"),
  delivery: () => import("./delivery.js"),
  sql: () => import("./sql.js"),
};
export const ctx = {info: {}};
let current = null; // {dispose}

// Theme: the system's preference, or what the user chose last.
const root = document.documentElement;
const savedTheme = localStorage.getItem("shardcast.theme");
if (savedTheme) root.dataset.theme = savedTheme;
document.getElementById("theme").onclick = () => {
  const dark = root.dataset.theme ? root.dataset.theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches || !matchMedia("(prefers-color-scheme: light)").matches;
  root.dataset.theme = dark ? "light" : "dark";
  localStorage.setItem("shardcast.theme", root.dataset.theme);
};

async function loggedOut() {
  if (current && current.dispose) current.dispose();
  current = null;
  // An open server (a restart forgot the session) needs no form.
  if (ctx.info.open) {
    try { return started(await api.login("", "")); } catch (e) { /* the form then */ }
  }
  showLogin();
}

function showLogin(message) {
  document.getElementById("logout").hidden = true;
  document.getElementById("who").textContent = "";
  const err = h("p", {class: "bad", role: "alert"}, message || "");
  const key = h("input", {id: "login-key", name: "accessKeyId", autocomplete: "username", required: true});
  const secret = h("input", {id: "login-secret", name: "secretAccessKey", type: "password", autocomplete: "current-password", required: true});
  const form = h("form", {class: "panel login", "aria-labelledby": "login-title", onsubmit: async (e) => {
    e.preventDefault();
    try {
      const s = await api.login(key.value, secret.value);
      started(s);
    } catch (x) { err.textContent = errText(x); }
  }},
  h("h1", {id: "login-title"}, "Log in to shardcast"),
  h("p", {class: "muted"}, "Use an access key configured on this server (auth.keys in the configuration file): the same key the AWS CLI and SDKs sign with. Its policy decides what you may do here."),
  h("label", {for: "login-key"}, "Access key id", key),
  h("label", {for: "login-secret"}, "Secret access key", secret),
  err,
  h("button", {class: "primary", type: "submit"}, "Log in"));
  fill(main, form);
  key.focus();
}

function started(info) {
  ctx.info = info;
  api.setSession(info.csrf, loggedOut);
  document.getElementById("who").textContent = info.open ? "open server (no credentials configured)" : info.user;
  document.getElementById("logout").hidden = info.open;
  route();
}

document.getElementById("logout").onclick = async () => {
  await api.logout();
  api.setSession("");
  loggedOut();
};

async function route() {
  if (!ctx.info.csrf) return;
  const hash = location.hash.replace(/^#\/?/, "");
  const [name, ...rest] = hash.split("/");
  const arg = rest.map(decodeURIComponent).join("/");
  const load = pages[name] || pages[""];
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.nav === (name || "overview")) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  if (current && current.dispose) current.dispose();
  current = null;
  const token = {};
  route.token = token;
  try {
    const mod = await load();
    if (route.token !== token) return;
    fill(main);
    current = await mod.render(main, arg, ctx) || null;
    if (route.token !== token && current && current.dispose) current.dispose();
    main.focus({preventScroll: true});
  } catch (e) {
    console.error(e);
    fill(main, h("div", {class: "panel", role: "alert"}, h("h1", {}, "Something went wrong"), h("p", {}, errText(e))));
  }
}
window.addEventListener("hashchange", route);

// Start: a live session, a session opened without asking (open server),
// or the login form.
(async () => {
  try {
    const s = await api.session();
    if (s.ok) return started(s.info);
    if (s.info.open) return started(await api.login("", ""));
    showLogin();
  } catch (e) {
    fill(main, h("p", {role: "alert"}, "The server cannot be reached: " + errText(e)));
  }
})();

export {toast};
