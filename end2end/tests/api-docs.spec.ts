import { expect, test } from "@playwright/test";

import { baseURL } from "../playwright.config";
import { PASSWORD, USER, watchConsole } from "./support";

// /api/docs/: Swagger UI, served by Tessera itself (no CDN), under a strict
// Content-Security-Policy, reading the OpenAPI document at /api/schema/. A
// developer reads the operations and logs in with "Try it out".
test("the API docs list the operations and log in with Try it out", async ({ page }) => {
  const problems = watchConsole(page);
  const outside: string[] = [];
  page.on("request", (request) => {
    if (new URL(request.url()).origin !== new URL(baseURL).origin) {
      outside.push(request.url());
    }
  });
  await page.goto("/api/docs/");
  await expect(page).toHaveTitle("Tessera API");
  await expect(page.getByRole("heading", { name: /Tessera/ })).toBeVisible();
  for (const path of ["/api/token/", "/api/token/refresh/", "/api/token/verify/", "/api/token/blacklist/", "/hello/"]) {
    await expect(page.locator(`.opblock-summary-path[data-path="${path}"]`)).toBeVisible();
  }

  // Open "POST /api/token/" ("Try it out" is on from the start) and send
  // the known user's credentials.
  const login = page.locator("#operations-token-token_obtain_pair");
  await login.locator(".opblock-summary").click();
  await login.locator("textarea.body-param__text").fill(
    JSON.stringify({ username: USER, password: PASSWORD }),
  );
  await login.getByRole("button", { name: "Execute" }).click();
  const answer = login.locator(".live-responses-table .response").first();
  await expect(answer.locator(".response-col_status")).toHaveText("200");
  await expect(answer.locator(".response-col_description")).toContainText('"access"');

  expect(outside, "requests to other origins").toEqual([]);
  expect(problems.filter((problem) => problem.includes("Content Security Policy"))).toEqual([]);
});

test("the API docs fit a phone and lead back to the app", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/api/docs/");
  await expect(page.locator('meta[name="viewport"]')).toHaveAttribute("content", "width=device-width, initial-scale=1");
  await expect(page.getByRole("heading", { name: /Tessera/ })).toBeVisible();
  const width = await page.evaluate(() => window.innerWidth);
  expect(width).toBe(390);
  await page.getByRole("navigation", { name: "Tessera" }).getByRole("link", { name: "Back to the app" }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.waitForFunction(() => document.body.dataset.hydrated === "true");
});

test("the API docs follow a dark system scheme", async ({ page }) => {
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto("/api/docs/");
  await expect(page.getByRole("heading", { name: /Tessera/ })).toBeVisible();
  // Swagger UI has no dark scheme of its own: ours inverts it on a dark canvas.
  const looks = await page.evaluate(() => ({
    canvas: getComputedStyle(document.documentElement).backgroundColor,
    filter: getComputedStyle(document.body).filter,
  }));
  expect(looks.canvas).toBe("rgb(18, 21, 28)");
  expect(looks.filter).toContain("invert(0.9)");
  // A light system keeps Swagger UI as it is.
  await page.emulateMedia({ colorScheme: "light" });
  expect(await page.evaluate(() => getComputedStyle(document.body).filter)).toBe("none");
});
