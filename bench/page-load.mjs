// What a person waits for, measured in Chromium: for each page and network,
// a first visit (empty cache) and a repeat visit (the same browser, later),
// the time from navigation start to the first paint (the server's page is
// shown: the login form can be filled in, its button waits), to hydrated
// (the page answers clicks) and, for /hello, to the greeting the protected
// call brings; and the bytes on the wire (headers and bodies as received,
// i.e. compressed).
//
//   node bench/page-load.mjs BASE USER PASSWORD    (bench/page-load.sh runs it)
//
// Networks: "fast-3g" is Chromium's network emulation at 150 ms round trip,
// 1.6 Mbit/s down and 750 kbit/s up (issue 18's definition, Lighthouse's
// mobile profile); "loopback" is no emulation. ROUNDS (default 5) visits
// each; medians are printed, one line per figure, plus the slowest round.
// WATERFALL=1 also prints every request of the last first visit, with its
// start and end relative to navigation start.
import { createRequire } from "node:module";

const require = createRequire(new URL("../end2end/package.json", import.meta.url));
const { chromium } = require("@playwright/test");

const [base, user, password] = process.argv.slice(2);
if (!password) {
  console.error("usage: node bench/page-load.mjs BASE USER PASSWORD");
  process.exit(2);
}
const rounds = Number(process.env.ROUNDS ?? 5);
const networks = {
  "fast-3g": { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 },
  loopback: null,
};
const pages = ["/login", "/hello"];

// Runs in every page before its own scripts: notes when the app marks
// <body data-hydrated> and when the greeting appears.
function markMilestones() {
  const seen = {};
  window.__milestones = seen;
  new MutationObserver(() => {
    const body = document.body;
    if (!body) return;
    if (seen.hydrated === undefined && body.dataset.hydrated === "true") seen.hydrated = performance.now();
    if (seen.content === undefined && document.querySelector("[data-testid=greeting]")) seen.content = performance.now();
  }).observe(document, { subtree: true, childList: true, attributes: true });
}

async function logIn() {
  const response = await fetch(`${base}/api/token/`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: user, password }),
  });
  if (!response.ok) throw new Error(`login failed: ${response.status}`);
  return response.json();
}

/** One visit of `path` in `page`: milestones, bytes and requests. */
async function visit(page, cdp, path, wantContent) {
  const requests = new Map();
  const onRequest = ({ requestId, request, timestamp }) =>
    requests.set(requestId, { url: request.url, start: timestamp, bytes: 0 });
  const onFinished = ({ requestId, timestamp, encodedDataLength }) => {
    const entry = requests.get(requestId);
    if (entry) Object.assign(entry, { end: timestamp, bytes: encodedDataLength });
  };
  const onCached = ({ requestId }) => {
    const entry = requests.get(requestId);
    if (entry) entry.cached = true;
  };
  let protocol;
  const onResponse = ({ type, response }) => {
    if (type === "Document") protocol = response.protocol;
  };
  cdp.on("Network.responseReceived", onResponse);
  cdp.on("Network.requestWillBeSent", onRequest);
  cdp.on("Network.loadingFinished", onFinished);
  cdp.on("Network.requestServedFromCache", onCached);
  await page.goto(`${base}${path}`, { waitUntil: "commit" });
  const milestone = wantContent ? "content" : "hydrated";
  await page.waitForFunction((name) => window.__milestones?.[name] !== undefined, milestone, {
    timeout: 60_000,
    polling: 50,
  });
  // Whatever the page still fetches (the favicon, code preloaded for later) counts as its weight.
  await page.waitForLoadState("networkidle");
  const milestones = await page.evaluate(() => window.__milestones);
  const firstPaint = await page.evaluate(
    () => performance.getEntriesByName("first-contentful-paint")[0]?.startTime,
  );
  cdp.off("Network.requestWillBeSent", onRequest);
  cdp.off("Network.loadingFinished", onFinished);
  cdp.off("Network.requestServedFromCache", onCached);
  cdp.off("Network.responseReceived", onResponse);
  const all = [...requests.values()];
  const origin = Math.min(...all.map((entry) => entry.start));
  return {
    protocol,
    hydrated: milestones.hydrated,
    content: milestones.content,
    firstPaint,
    bytes: all.reduce((sum, entry) => sum + entry.bytes, 0),
    waterfall: all.map((entry) => ({
      path: new URL(entry.url).pathname,
      start: (entry.start - origin) * 1000,
      end: ((entry.end ?? entry.start) - origin) * 1000,
      bytes: entry.bytes,
      cached: Boolean(entry.cached),
    })),
  };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};

// Over HTTPS, Chromium picks HTTP/2 by ALPN; a second browser started with
// --disable-http2 speaks HTTP/1.1 to the same server, side by side.
const protocols = base.startsWith("https:") ? ["h2", "http/1.1"] : ["http/1.1"];
const browsers = {};
for (const protocol of protocols) {
  browsers[protocol] = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--disable-background-networking",
      ...(protocol === "h2" ? [] : ["--disable-http2"]),
      ...(process.env.TLS_SPKI ? [`--ignore-certificate-errors-spki-list=${process.env.TLS_SPKI}`] : []),
    ],
  });
}
const tokens = await logIn();
let lastWaterfall = [];
try {
  for (const [network, conditions] of Object.entries(networks)) {
    for (const path of pages) {
      for (const protocol of protocols) {
        const browser = browsers[protocol];
        const results = { first: [], repeat: [] };
        for (let round = 0; round < rounds; round++) {
          // A new context is a browser with an empty cache.
          const context = await browser.newContext();
          await context.addInitScript(markMilestones);
          if (path === "/hello") {
            await context.addInitScript(
              ([access, refresh, username]) =>
                localStorage.setItem(
                  "tessera.tokens",
                  JSON.stringify({ access, refresh, username, issued_at: Date.now() }),
                ),
              [tokens.access, tokens.refresh, user],
            );
          }
          const page = await context.newPage();
          const cdp = await context.newCDPSession(page);
          await cdp.send("Network.enable");
          if (conditions) await cdp.send("Network.emulateNetworkConditions", conditions);
          const wantContent = path === "/hello";
          const first = await visit(page, cdp, path, wantContent);
          lastWaterfall = first.waterfall;
          await page.goto("about:blank");
          const repeat = await visit(page, cdp, path, wantContent);
          results.first.push(first);
          results.repeat.push(repeat);
          await context.close();
        }
        for (const [kind, visits] of Object.entries(results)) {
          const spoken = [...new Set(visits.map((v) => v.protocol))].join(",");
          if (spoken !== protocol) throw new Error(`asked for ${protocol}, the page came over ${spoken}`);
          const label = `page_load ${protocol} ${network} ${path} ${kind}`;
          const painted = visits.map((v) => v.firstPaint).filter((ms) => ms !== undefined);
          if (painted.length) {
            console.log(`${label} first_paint_ms ${Math.round(median(painted))} (slowest ${Math.round(Math.max(...painted))})`);
          }
          const hydrated = visits.map((v) => v.hydrated);
          console.log(`${label} hydrated_ms ${Math.round(median(hydrated))} (slowest ${Math.round(Math.max(...hydrated))})`);
          if (path === "/hello") {
            const content = visits.map((v) => v.content);
            console.log(`${label} greeting_ms ${Math.round(median(content))} (slowest ${Math.round(Math.max(...content))})`);
          }
          console.log(`${label} bytes ${median(visits.map((v) => v.bytes))}`);
        }
        if (process.env.WATERFALL && network === "fast-3g") {
          console.log(`waterfall ${protocol} ${network} ${path} first visit (ms from the first request):`);
          for (const entry of lastWaterfall.sort((a, b) => a.start - b.start)) {
            console.log(
              `  ${entry.start.toFixed(0).padStart(6)} → ${entry.end.toFixed(0).padStart(6)}  ${String(entry.bytes).padStart(7)} B  ${entry.path}${entry.cached ? " (cache)" : ""}`,
            );
          }
        }
      }
    }
  }
} finally {
  for (const browser of Object.values(browsers)) await browser.close();
}
