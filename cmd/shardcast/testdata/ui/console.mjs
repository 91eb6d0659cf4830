// The web console's end-to-end scenarios, run by the Go tests (ui_test.go)
// against a real shardcast: playwright-core drives Debian's Chromium.
//
//   node console.mjs SCENARIO
//
// Environment: BASE (the server's URL), KEY and SECRET (a configured key,
// when the server has any), STREAM (the scenario's stream or application),
// OUT (a directory for downloads and screenshots), plus what a scenario
// names. The last line printed is a JSON result; a failing scenario saves
// a screenshot of each page it had open to OUT and exits 1.
import {chromium} from "playwright-core";
import {readFileSync} from "node:fs";
import {createRequire} from "node:module";

const env = process.env;
const base = env.BASE, out = env.OUT || ".";
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

// The flags this closed network needs (no GPU, no QUIC, no services), a
// fake camera at 25 fps, and loopback candidates for WebRTC.
const browser = await chromium.launch({executablePath: "/usr/bin/chromium", args: [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--disable-dev-shm-usage", "--use-fake-device-for-media-stream=fps=25", "--use-fake-ui-for-media-stream",
  "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required"]});
const context = await browser.newContext({viewport: {width: 1280, height: 800}, acceptDownloads: true});
const pages = [];
const log = (...a) => console.log(...a);

async function open(hash) {
  const page = await context.newPage();
  pages.push(page);
  page.on("pageerror", (e) => log("page error:", e.message));
  page.on("console", (m) => { if (m.type() === "error") log("console error:", m.text()); });
  page.on("dialog", (d) => d.accept(d.type() === "prompt" ? d.defaultValue() : undefined));
  await page.goto(base + "/" + (hash || ""));
  await page.locator("#main h1").first().waitFor();
  if (await page.locator("#login-key").count()) {
    // The first page of the browser logs in; the others share its cookie.
    await page.locator("#login-key").fill(env.KEY);
    await page.locator("#login-secret").fill(env.SECRET);
    await page.getByRole("button", {name: "Log in"}).click();
    await page.locator("#login-key").waitFor({state: "detached"});
    await page.locator("#main h1").first().waitFor();
  }
  return page;
}

// until polls fn (in node) until it returns a truthy value.
async function until(what, fn, ms = 30000) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const attr = (page, sel, name) => page.locator(sel).first().getAttribute(name);

const scenarios = {
  // Create a video stream, publish the fake camera to it from the publish
  // page, watch it live, find its fragments and thumbnails on the
  // timeline, play from the past, and download a clip.
  async video() {
    const name = env.STREAM;
    const ov = await open("#/");
    await ov.getByLabel("New video stream name").fill(name);
    await ov.getByRole("button", {name: "Create video stream"}).click();
    await ov.locator(`#video-streams tr[data-stream="${name}"]`).waitFor();
    const pub = await open("#/publish/" + name);
    await pub.locator("#publish-start").click();
    await until("publishing", async () => (await attr(pub, "#publish-state", "data-state")) === "publishing");
    await until("a bitrate", async () => Number(await attr(pub, "#publish-bitrate", "data-bps")) > 0);
    const watch = await open("#/video/" + name);
    // Live: the player's frame count advances.
    const f0 = await until("live frames", async () => Number(await attr(watch, "#player", "data-frames")) || 0);
    await until("the live player to advance", async () => Number(await attr(watch, "#player", "data-frames")) > f0 + 10);
    const via = await attr(watch, "#player", "data-via");
    // The overview shows the ingest's figures.
    await ov.bringToFront();
    const bitrate = await until("the overview's bitrate", async () => {
      const t = await ov.locator(`#video-streams tr[data-stream="${name}"] td.num`).first().textContent();
      return t && t.includes("bit/s") ? t : null;
    });
    // The timeline: fragments (after ~10 s of video), a thumbnail on hover.
    await watch.bringToFront();
    await watch.getByRole("button", {name: "10 min"}).click();
    const frags = await until("fragments on the timeline", async () => {
      await watch.getByRole("button", {name: "10 min"}).click();
      const n = Number(await attr(watch, "#timeline", "data-fragments"));
      return n >= 4 ? n : null;
    }, 45000);
    // The stored video is the timeline's last span: hover over it, click
    // into it (the past), drag across it.
    const span = await until("the stored span", () => watch.locator("#timeline .frag").last().boundingBox()); // null while repainted
    const at = (f) => span.x + span.width * f, y = span.y + span.height / 2;
    await watch.mouse.move(at(0.5), y);
    await until("a thumbnail", async () => (await attr(watch, "#thumb", "data-loaded")) === "1", 20000);
    const thumbSrc = await watch.locator("#thumb img").getAttribute("src");
    await watch.mouse.click(at(0.3), y);
    await until("recorded playback", async () => (await attr(watch, "#player", "data-mode")) === "recorded");
    const t0 = await until("recorded video to play", async () => watch.evaluate(() => { const v = document.getElementById("player"); return v.currentTime > 0.5 ? v.currentTime : 0; }), 30000);
    await until("recorded video to advance", async () => watch.evaluate((x) => document.getElementById("player").currentTime > x + 1, t0), 30000);
    const from = await attr(watch, "#player", "data-from");
    // A clip of a range: drag across the middle of the stored span.
    await watch.mouse.move(at(0.4), y);
    await watch.mouse.down();
    await watch.mouse.move(at(0.8), y, {steps: 5});
    await watch.mouse.up();
    const [download] = await Promise.all([watch.waitForEvent("download", {timeout: 60000}), watch.locator("#download-clip").click()]);
    const clip = out + "/" + download.suggestedFilename();
    await download.saveAs(clip);
    await pub.bringToFront();
    await pub.locator("#publish-stop").click();
    return {via, frames: f0, bitrate, fragments: frags, thumbnail: thumbSrc.slice(0, 30), recordedFrom: from, clip};
  },

  // Put a record and see it tailed; split a shard and see the lineage.
  async data() {
    const name = env.STREAM;
    const ov = await open("#/");
    await ov.getByLabel("New data stream name").fill(name);
    await ov.getByLabel("Shard count").fill("1");
    await ov.getByRole("button", {name: "Create data stream"}).click();
    await ov.locator(`#data-streams tr[data-stream="${name}"]`).waitFor();
    await ov.locator(`#data-streams tr[data-stream="${name}"] a`).click();
    await ov.locator("#shards tr[data-shard]").first().waitFor();
    await ov.getByRole("button", {name: "Read"}).click(); // tail from LATEST
    await ov.locator("#records-from").page().waitForTimeout(1500);
    const payload = JSON.stringify({hello: "console", n: 7});
    await ov.locator("#put-data").fill(payload);
    await ov.getByRole("button", {name: "Put record"}).click();
    const seq = await until("the put's sequence number", async () => attr(ov, "#put-record", "data-last"));
    await ov.locator(`#records .rec[data-seq="${seq}"]`).waitFor({timeout: 30000});
    const shown = await ov.locator(`#records .rec[data-seq="${seq}"] pre`).textContent();
    await ov.getByLabel("Show payloads as").selectOption("json");
    const pretty = await ov.locator(`#records .rec[data-seq="${seq}"] pre`).textContent();
    await ov.getByLabel("Show payloads as").selectOption("hex");
    const hex = await ov.locator(`#records .rec[data-seq="${seq}"] pre`).textContent();
    await ov.getByRole("button", {name: "Stop"}).click();
    // Split the only shard at its middle (the dialog's default).
    await ov.getByRole("button", {name: /^Split /}).first().click();
    await until("the children in the lineage", async () => Number(await attr(ov, "#lineage", "data-shards")) === 3, 30000);
    const lineage = await ov.locator("#lineage").textContent();
    return {seq, shown, pretty, hex: hex.split("\n")[0], lineage};
  },

  // Put a record into a delivery stream from its page and watch it be
  // delivered.
  async delivery() {
    const name = env.STREAM;
    const page = await open("#/delivery/" + name);
    await page.locator(".delivered").first().waitFor();
    await page.locator("#fh-data").fill(env.PAYLOAD);
    await page.getByRole("button", {name: "Put record"}).click();
    const n = await until("a delivery", async () => Number(await attr(page, ".delivered", "data-records")) >= 1, 60000);
    await page.locator("table.recent tbody tr").first().waitFor();
    const last = await page.locator("table.recent tbody tr").first().locator("td").nth(1).textContent();
    const overview = await open("#/");
    await overview.locator(`#delivery-streams tr[data-stream="${name}"]`).waitFor();
    return {delivered: n, lastDeliveryRecords: last};
  },

  // Start a SQL application from its page and see its output stream's
  // records (the test puts the input).
  async sql() {
    const name = env.STREAM;
    const page = await open("#/sql/" + name);
    await page.locator("#sql-code").waitFor();
    const code = await page.locator("#sql-code").inputValue();
    await page.locator("#sql-start-pos").selectOption("TRIM_HORIZON");
    await page.locator("#sql-start").click();
    await until("RUNNING", async () => ((await page.locator("#app-status").textContent()) || "").includes("RUNNING"), 30000);
    const rec = await until("output records", async () => Number(await attr(page, "#sql-records", "data-count")) >= 1 ? page.locator("#sql-records pre").first().textContent() : null, 60000);
    return {code: code.length, first: rec};
  },

  // Log in, see a wrong secret refused, and check that a console request
  // without its CSRF token is refused.
  async login() {
    const page = await context.newPage();
    pages.push(page);
    await page.goto(base + "/");
    await page.locator("#login-key").fill(env.KEY);
    await page.locator("#login-secret").fill("not-the-secret");
    await page.getByRole("button", {name: "Log in"}).click();
    const refused = await until("the refusal", async () => page.getByRole("alert").textContent());
    await page.locator("#login-secret").fill(env.SECRET);
    await page.getByRole("button", {name: "Log in"}).click();
    await page.getByRole("heading", {name: "Overview"}).waitFor();
    const cookies = await context.cookies();
    const c = cookies.find((x) => x.name === "shardcast_session");
    const noCSRF = await page.evaluate(async () => (await fetch("/", {method: "POST", headers: {"X-Amz-Target": "Kinesis_20131202.ListStreams", "Content-Type": "application/x-amz-json-1.1"}, body: "{}"})).status);
    const who = await page.locator("#who").textContent();
    await page.getByRole("button", {name: "Log out"}).click();
    await page.locator("#login-key").waitFor();
    const after = await page.evaluate(async () => (await fetch("/ui/api/session")).json());
    return {refused, httpOnly: c.httpOnly, sameSite: c.sameSite, noCSRF, who, loggedInAfterLogout: after.loggedIn};
  },

  // axe-core on every page: the serious and critical violations.
  async a11y() {
    const routes = (env.ROUTES || "#/").split(" ");
    const found = {};
    for (const r of routes) {
      const page = await open(r);
      await page.waitForTimeout(1500);
      await page.evaluate(axeSource); // through the debugger: the page's CSP allows no inline script
      for (const theme of ["dark", "light"]) {
        await page.evaluate((t) => { document.documentElement.dataset.theme = t; }, theme);
        const res = await page.evaluate(async () => {
          const r = await window.axe.run(document, {resultTypes: ["violations"]});
          return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => v.id + " (" + v.impact + "): " + v.help + " at " + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
        });
        if (res.length) found[r + " " + theme] = res;
      }
    }
    return {routes: routes.length, violations: found};
  },

  // Screenshots of each page at 1280x800 for the README (SHOTS: "name=#/route ...").
  async screenshots() {
    const shots = {};
    for (const item of env.SHOTS.split(" ")) {
      const [file, route, theme] = item.split("=");
      const page = await open(route);
      if (theme) await page.evaluate((t) => { document.documentElement.dataset.theme = t; }, theme);
      await page.waitForTimeout(Number(env.SETTLE || 6000));
      if (route.startsWith("#/video/")) {
        const tl = await page.locator("#timeline").boundingBox();
        await page.mouse.move(tl.x + tl.width * 0.97, tl.y + tl.height / 2);
        await page.waitForTimeout(1500);
      }
      await page.screenshot({path: out + "/" + file});
      shots[file] = route;
      await page.close();
      pages.splice(pages.indexOf(page), 1);
    }
    return shots;
  },

  // The overview's first contentful paint and the time until its first
  // heading shows (the session asked, the page drawn), as the browser
  // measures them, over RUNS reloads.
  async paint() {
    const page = await open("#/");
    const runs = [];
    for (let i = 0; i < Number(env.RUNS || 1); i++) {
      await page.reload();
      await page.locator("#main h1").first().waitFor();
      runs.push(await page.evaluate(() => {
        const p = performance.getEntriesByType("paint").find((e) => e.name === "first-contentful-paint");
        return {firstContentfulPaintMs: p ? p.startTime : -1, readyMs: performance.now()};
      }));
    }
    return {runs, firstContentfulPaintMs: runs[0].firstContentfulPaintMs};
  },
};

const name = process.argv[2];
let code = 0;
try {
  if (!scenarios[name]) throw new Error("no scenario " + name);
  const result = await scenarios[name]();
  console.log(JSON.stringify({ok: true, result}));
} catch (e) {
  code = 1;
  const shots = [];
  for (const [i, p] of pages.entries()) {
    const file = `${out}/failure-${name}-${i}.png`;
    try { await p.screenshot({path: file, fullPage: true}); shots.push(file); } catch (x) { /* closed */ }
  }
  console.log(JSON.stringify({ok: false, error: String(e && e.stack || e), screenshots: shots}));
}
await browser.close();
process.exit(code);
