import { expect, test } from "@playwright/test";

import { baseURL, spaPort } from "../playwright.config";
import { PASSWORD, USER, untilExpired } from "./support";

// The seed tutorial's client, a plain JavaScript app (end2end/spa/) served from
// a second origin, uses the API through CORS: the suite's main server allows
// exactly http://127.0.0.1:<spaPort> (--cors-allowed-origins).
const allowed = `http://127.0.0.1:${spaPort}/?api=${encodeURIComponent(baseURL)}`;
// The same files under another host name: another origin, not allowed.
const refused = `http://localhost:${spaPort}/?api=${encodeURIComponent(baseURL)}`;

test("an app on an allowed origin logs in, calls /hello/, survives an access expiry and logs out", async ({
  page,
  request,
}) => {
  // Preflights are Chromium's own requests: only its DevTools protocol shows them.
  const preflights: string[] = [];
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  cdp.on("Network.requestWillBeSent", (event) => {
    if (event.request.method === "OPTIONS") preflights.push(new URL(event.request.url).pathname);
  });
  await page.goto(allowed);
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("button", { name: "Call /hello/" })).toBeVisible();

  await page.getByRole("button", { name: "Call /hello/" }).click();
  await expect(page.locator("#message")).toHaveText("Hello, World!");
  const firstAccess = await page.evaluate(() => localStorage.getItem("access"));
  const firstRefresh = await page.evaluate(() => localStorage.getItem("refresh"));

  // The suite's access tokens live 3 s: once this one has expired, the next
  // call meets a 401, refreshes (a rotated pair) and retries, and the person
  // sees nothing of it.
  await untilExpired(firstAccess!);
  await page.evaluate(() => {
    document.getElementById("message")!.textContent = "";
  });
  await page.getByRole("button", { name: "Call /hello/" }).click();
  await expect(page.locator("#message")).toHaveText("Hello, World!");
  expect(await page.evaluate(() => (window as unknown as { refreshes: number }).refreshes)).toBe(1);
  expect(await page.evaluate(() => localStorage.getItem("access"))).not.toBe(firstAccess);
  const rotated = await page.evaluate(() => localStorage.getItem("refresh"));
  expect(rotated).not.toBe(firstRefresh);

  // Logging out blacklists the refresh token on the server.
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await expect(page.getByRole("status")).toHaveText("Logged out.");
  await expect(page.getByLabel("Username")).toBeVisible();
  expect(await page.evaluate(() => localStorage.length)).toBe(0);
  const reuse = await request.post(`${baseURL}/api/token/refresh/`, { data: { refresh: rotated } });
  expect(reuse.status()).toBe(401);

  // The browser really asked first: JSON bodies and the Authorization header
  // are not "simple", so each endpoint got a preflight.
  expect(new Set(preflights)).toEqual(
    new Set(["/api/token/", "/hello/", "/api/token/refresh/", "/api/token/blacklist/"]),
  );
});

test("an app on another origin is refused by the browser", async ({ page }) => {
  const corsErrors: string[] = [];
  page.on("console", (message) => {
    if (message.text().includes("CORS policy")) corsErrors.push(message.text());
  });
  await page.goto(refused);
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("status")).toContainText("Could not reach the API");
  expect(await page.evaluate(() => localStorage.getItem("access"))).toBeNull();
  expect(corsErrors.join("\n")).toContain("No 'Access-Control-Allow-Origin' header");
});
