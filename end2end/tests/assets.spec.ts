import { expect, test, type CDPSession, type Page } from "@playwright/test";
import { openHydrated, watchConsole } from "./support";

/** A bundle file's name carries the hash of its content: tessera.<22 characters>.wasm. */
const HASHED = /^\/pkg\/[\w-]+\.[A-Za-z0-9_-]{22}\.(wasm|js|css)$/;
/** What /login needs: the main module (the login page is in it), its JavaScript and the stylesheet. */
const LOGIN_PAGE_FILES = expect.arrayContaining([
  expect.stringMatching(/^\/pkg\/tessera\.[\w-]{22}\.wasm$/),
  expect.stringMatching(/^\/pkg\/tessera\.[\w-]{22}\.js$/),
  expect.stringMatching(/^\/pkg\/tessera\.[\w-]{22}\.css$/),
]);

interface Loaded {
  path: string;
  status: number;
  encoding: string | undefined;
  cacheControl: string | undefined;
  /** On the wire, headers included: 0 when the cache answered. */
  bytes: number;
}

/** Records every response of the page as Chromium's network stack saw it. */
async function recordNetwork(page: Page): Promise<{ loaded: Loaded[]; cdp: CDPSession }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const pending = new Map<string, Omit<Loaded, "bytes">>();
  const loaded: Loaded[] = [];
  cdp.on("Network.responseReceived", ({ requestId, response }) => {
    const headers = Object.fromEntries(
      Object.entries(response.headers).map(([name, value]) => [name.toLowerCase(), String(value)]),
    );
    pending.set(requestId, {
      path: new URL(response.url).pathname,
      status: response.status,
      encoding: headers["content-encoding"],
      cacheControl: headers["cache-control"],
    });
  });
  cdp.on("Network.loadingFinished", ({ requestId, encodedDataLength }) => {
    const entry = pending.get(requestId);
    if (entry) loaded.push({ ...entry, bytes: encodedDataLength });
  });
  return { loaded, cdp };
}

test("the bundle arrives compressed, under names that change with its content, cached for good", async ({ page }) => {
  const problems = watchConsole(page);
  const { loaded } = await recordNetwork(page);
  await openHydrated(page, "/login");

  const bundle = loaded.filter((file) => file.path.startsWith("/pkg/"));
  expect(bundle.map((file) => file.path)).toEqual(LOGIN_PAGE_FILES);
  // No split file: the login page's code is in the main module.
  expect(bundle.filter((file) => file.path.endsWith(".wasm"))).toHaveLength(1);
  for (const file of bundle) {
    expect(file.path, "every bundle file is named after its content").toMatch(HASHED);
    expect(file.status, file.path).toBe(200);
    expect(["br", "gzip"], `${file.path} is compressed`).toContain(file.encoding);
    expect(file.cacheControl, file.path).toBe("public, max-age=31536000, immutable");
  }
  const page_ = loaded.find((file) => file.path === "/login");
  expect(page_?.cacheControl).toBe("no-cache");
  expect(problems).toEqual([]);
});

test("a returning visitor's browser takes the bundle from its cache and asks only for the page", async ({ page }) => {
  const problems = watchConsole(page);
  const { loaded } = await recordNetwork(page);
  await openHydrated(page, "/login");
  const firstVisit = loaded.splice(0);
  await page.goto("about:blank");
  await openHydrated(page, "/login");

  const bundle = loaded.filter((file) => file.path.startsWith("/pkg/"));
  expect(bundle.map((file) => file.path).sort()).toEqual(
    firstVisit.filter((file) => file.path.startsWith("/pkg/")).map((file) => file.path).sort(),
  );
  // From the memory or the disk cache: not a byte on the wire, not even a revalidation.
  for (const file of bundle) {
    expect(file.bytes, `${file.path} comes from the cache`).toBe(0);
  }
  // The page itself is asked for every time (no-cache): a new deploy shows at once.
  const html = loaded.filter((file) => file.path === "/login");
  expect(html).toHaveLength(1);
  expect(html[0].bytes).toBeGreaterThan(0);
  expect(problems).toEqual([]);
});

test("the page names every file it needs in its head, so none waits for another to arrive", async ({ request }) => {
  const html = await (await request.get("/login")).text();
  const head = html.slice(0, html.indexOf("</head>"));
  const hinted = [...head.matchAll(/<link\b[^>]*>/g)]
    .map((tag) => tag[0])
    .filter((tag) => /\brel="(modulepreload|preload|stylesheet)"/.test(tag))
    .map((tag) => tag.match(/\bhref="([^"]+)"/)?.[1] ?? "");
  expect(hinted).toEqual(LOGIN_PAGE_FILES);
  // Every hinted file exists under that name.
  for (const href of hinted) {
    expect((await request.get(href)).status(), href).toBe(200);
  }
});

test("the browsable API's page links the current stylesheet", async ({ page }) => {
  const { loaded } = await recordNetwork(page);
  await page.goto("/hello/");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  const stylesheet = loaded.find((file) => file.path.endsWith(".css"));
  expect(stylesheet?.path).toMatch(HASHED);
  expect(stylesheet?.status).toBe(200);
});
