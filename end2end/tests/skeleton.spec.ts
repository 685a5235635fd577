import { expect, test } from "@playwright/test";
import { openHydrated, watchConsole } from "./support";

test("the start page is rendered on the server", async ({ request }) => {
  const response = await request.get("/");
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toContain("text/html");
  const html = await response.text();
  expect(html).toContain("<h1>Tessera</h1>");
  expect(html).toContain("/pkg/tessera.js");
});

test("the page hydrates and a server function reads the database", async ({ page }) => {
  const problems = watchConsole(page);
  await openHydrated(page, "/");

  await page.getByRole("button", { name: "Check the database" }).click();
  await expect(page.getByTestId("database-answer")).toHaveText(
    // serve.sh created one user with the CLI; the sign-up tests add more.
    /^The sqlite database answered: \d+ registered users?\.$/,
  );
  expect(problems).toEqual([]);
});

test("each page's code arrives when the page is first shown", async ({ page }) => {
  const problems = watchConsole(page);
  const wasmFiles: string[] = [];
  page.on("response", (response) => {
    const path = new URL(response.url()).pathname;
    if (path.endsWith(".wasm")) wasmFiles.push(path);
  });
  const pageFile = (name: string) => wasmFiles.some((path) => path.includes(`__${name}_route_view_`));

  // The start page: the main module and the start page's own file, nothing of the others.
  await openHydrated(page, "/");
  expect(wasmFiles).toContain("/pkg/tessera.wasm");
  expect(pageFile("home")).toBe(true);
  expect(["login", "signup", "hello", "tokens"].filter(pageFile)).toEqual([]);

  // Following a link fetches the next page's file, once.
  await page.getByRole("link", { name: "Log in" }).first().click();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await expect(page.getByLabel("Username")).toBeEditable();
  expect(pageFile("login")).toBe(true);
  await page.goBack();
  await page.getByRole("link", { name: "Log in" }).first().click();
  await expect(page.getByLabel("Username")).toBeEditable();
  expect(wasmFiles.filter((path) => path.includes("__login_route_view_"))).toHaveLength(1);
  expect(problems).toEqual([]);
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

test("the health check reports the database", async ({ request }) => {
  const response = await request.get("/healthz");
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ status: "ok", database: "ok" });
});
