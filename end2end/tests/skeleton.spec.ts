import { expect, test, type Page } from "@playwright/test";
import { logIn, openHydrated, PASSWORD, USER, watchConsole } from "./support";

test("the start page is rendered on the server", async ({ request }) => {
  const response = await request.get("/");
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toContain("text/html");
  const html = await response.text();
  expect(html).toContain("<h1>Tessera</h1>");
  // The bundle's file names carry a hash of their content (tests/assets.spec.ts).
  expect(html).toMatch(/\/pkg\/tessera\.[\w-]{22}\.js/);
});

test("the page hydrates and, once logged in, a server function reads the database", async ({ page }) => {
  const problems = watchConsole(page);
  await openHydrated(page, "/");
  await expect(page.getByTestId("home-state")).toContainText("You are not logged in.");

  await logIn(page, "/");
  // The start page's glance at the sessions comes from the database.
  await expect(page.getByTestId("session-glance")).toContainText("This is Chrome on Linux.");
  expect(problems).toEqual([]);
});

test("each page's code arrives when the page is first shown", async ({ page }) => {
  const problems = watchConsole(page);
  const wasmFiles = recordWasmFiles(page);
  const pageFile = (name: string) => wasmFiles.some((path) => path.includes(`/split_page_${name}`));

  // The start page: the main module and the start page's own file, nothing of the others.
  await openHydrated(page, "/");
  expect(wasmFiles).toContainEqual(expect.stringMatching(/^\/pkg\/tessera\.[\w-]{22}\.wasm$/));
  expect(pageFile("home")).toBe(true);
  expect(["signup", "hello", "tokens", "account"].filter(pageFile)).toEqual([]);

  // Following a link fetches the next page's file, once.
  await page.getByRole("link", { name: "Create account" }).first().click();
  await expect(page.getByRole("heading", { name: "Create account" })).toBeVisible();
  await expect(page.getByLabel("Username")).toBeEditable();
  expect(pageFile("signup")).toBe(true);
  await page.goBack();
  await page.getByRole("link", { name: "Create account" }).first().click();
  await expect(page.getByLabel("Username")).toBeEditable();
  expect(wasmFiles.filter((path) => path.includes("/split_page_signup"))).toHaveLength(1);

  // The login page, where most first visits start, is in the main module.
  await page.getByRole("link", { name: "Log in" }).first().click();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  expect(wasmFiles.filter((path) => path.includes("/split_page_"))).toHaveLength(2);
  expect(problems).toEqual([]);
});

/** The paths of the wasm files the page receives, in order, as they arrive. */
function recordWasmFiles(page: Page): string[] {
  const wasmFiles: string[] = [];
  page.on("response", (response) => {
    const path = new URL(response.url()).pathname;
    if (path.endsWith(".wasm")) wasmFiles.push(path);
  });
  return wasmFiles;
}

/** The file the session's calls to the server are in (logins, refreshes, logout). */
const SESSION_CALLS = "/split_session_calls";

test("the code that sends a login arrives once someone starts on the form, not with the page", async ({ page }) => {
  const problems = watchConsole(page);
  const wasmFiles = recordWasmFiles(page);
  const callsFetched = () => wasmFiles.filter((path) => path.includes(SESSION_CALLS)).length;

  // Looked at only: the main module, which holds the login page, is all
  // that arrives; the calls are not.
  await openHydrated(page, "/login");
  await page.waitForLoadState("networkidle");
  expect(wasmFiles).toEqual([expect.stringMatching(/^\/pkg\/tessera\.[\w-]{22}\.wasm$/)]);
  expect(callsFetched()).toBe(0);

  // Focusing a field fetches them while the person types.
  const arrived = page.waitForResponse((response) => response.url().includes(SESSION_CALLS));
  await page.getByLabel("Username").focus();
  await arrived;
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedIn");
  expect(callsFetched()).toBe(1);
  expect(problems).toEqual([]);
});

test("a login whose code cannot be fetched says the server is unreachable, and works once it can", async ({ page }) => {
  const problems = watchConsole(page);
  const callsCode = `**/pkg${SESSION_CALLS}*.wasm`;
  await page.route(callsCode, (route) => route.abort("internetdisconnected"));
  await openHydrated(page, "/login");
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("form-error")).toContainText("The server could not be reached");
  await expect(page.getByTestId("auth-nav")).not.toHaveAttribute("data-status", "LoggedIn");

  // The same form, sent again once the file can be fetched.
  await page.unroute(callsCode);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedIn");
  const aborted = (problem: string) =>
    problem.includes("ERR_INTERNET_DISCONNECTED") || problem.includes("Failed to fetch");
  expect(problems.filter((problem) => !aborted(problem))).toEqual([]);
});

test("a page whose code cannot be fetched says so, and the rest of the app keeps working", async ({ page }) => {
  const problems = watchConsole(page);
  const resetCode = "**/pkg/split_page_password_reset*.wasm";
  await page.route(resetCode, (route) => route.abort("internetdisconnected"));
  await openHydrated(page, "/login");

  const unavailable = page.getByRole("heading", { name: "This page could not be loaded" });
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await expect(unavailable).toBeVisible();
  await expect(page).toHaveURL(/\/forgot-password$/);

  // Not a dead app: other pages still come up through the router.
  await page.getByRole("link", { name: "Tessera" }).first().click();
  await expect(page.getByTestId("home-state")).toContainText("You are not logged in.");
  await page.getByRole("link", { name: "Log in" }).first().click();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();

  // The file still fails on the next visit (here one through the history,
  // with a query); once it can be fetched, "try again" loads that address.
  await page.evaluate(() => {
    history.pushState(null, "", "/forgot-password?from=history");
    dispatchEvent(new PopStateEvent("popstate"));
  });
  await expect(unavailable).toBeVisible();
  await page.unroute(resetCode);
  await Promise.all([page.waitForEvent("load"), page.getByRole("link", { name: "try again" }).click()]);
  await expect(page).toHaveURL(/\/forgot-password\?from=history$/);
  await page.waitForFunction(() => document.body.dataset.hydrated === "true");
  await expect(page.getByRole("heading", { name: "Forgot password?" })).toBeVisible();
  const aborted = (problem: string) =>
    problem.includes("ERR_INTERNET_DISCONNECTED") || problem.includes("Failed to fetch");
  expect(problems.filter((problem) => !aborted(problem))).toEqual([]);
});

test("an unknown page answers 404 with a readable page", async ({ page }) => {
  const problems = watchConsole(page);
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await page.waitForFunction(() => document.body.dataset.hydrated === "true");
  // Chromium reports the page's own 404 status on the console; nothing else may appear.
  expect(problems.filter((problem) => !problem.includes("status of 404 (Not Found)"))).toEqual([]);
});

test("the icons browsers and phones ask for are there", async ({ page, request }) => {
  await page.goto("/");
  await expect(page.locator('link[rel="icon"]')).toHaveAttribute("href", "/favicon.svg");
  await expect(page.locator('link[rel="apple-touch-icon"]')).toHaveAttribute("href", "/apple-touch-icon.png");
  // Asked for by browsers whatever the page says, and by bookmarks and tabs.
  const ico = await request.get("/favicon.ico");
  expect(ico.status()).toBe(200);
  expect(ico.headers()["content-type"]).toMatch(/^image\/(x-icon|vnd\.microsoft\.icon)$/);
  const body = await ico.body();
  expect([...body.subarray(0, 4)]).toEqual([0, 0, 1, 0]);
  const touch = await request.get("/apple-touch-icon.png");
  expect(touch.status()).toBe(200);
  expect(touch.headers()["content-type"]).toBe("image/png");
});

test("the health check reports the database", async ({ request }) => {
  const response = await request.get("/healthz");
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({
    status: "ok",
    database: "ok",
    sync: "ok",
    sync_lag_ms: expect.any(Number),
  });
});

test("the app runs under its Content-Security-Policy without a single violation", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`Content-Security-Policy violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  const response = await page.goto("/");
  const policy = response?.headers()["content-security-policy"] ?? "";
  expect(policy).toContain("'nonce-");
  expect(policy).not.toContain("unsafe-inline");
  await logIn(page, "/hello");
  await expect(page.getByTestId("greeting")).toHaveText("Hello, World!");
  await page.getByRole("link", { name: "Tokens" }).click();
  await expect(page).toHaveURL(/\/tokens$/);
  await expect(page.getByTestId("session-cap")).toBeVisible();
  await page.goto("/signup");
  await page.goto("/nowhere");
  expect(violations).toEqual([]);
});
