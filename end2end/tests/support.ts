import AxeBuilder from "@axe-core/playwright";
import { expect, type BrowserContext, type Page, type Request } from "@playwright/test";

export const USER = process.env.E2E_USER ?? "e2e";
export const PASSWORD = process.env.E2E_PASSWORD ?? "e2e-password";
/** The localStorage key of the tokens (app/src/session.rs). */
export const STORAGE_KEY = "tessera.tokens";

/**
 * Collects console errors and warnings and uncaught exceptions of a page.
 * `expected` lists substrings of messages a test provokes on purpose
 * (Chromium logs every 401 response as "Failed to load resource").
 */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") {
      problems.push(`${message.type()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  return problems;
}

/** The problems left once the expected 401 answers are taken out. */
export function unexpected(problems: string[]): string[] {
  return problems.filter((problem) => !problem.includes("status of 401 (Unauthorized)"));
}

/** Opens a page and waits until the wasm bundle has hydrated it. */
export async function openHydrated(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await page.waitForFunction(() => document.body.dataset.hydrated === "true");
}

/** Logs in through the form, starting from the login page. */
export async function logIn(page: Page, next = "", user = USER, password = PASSWORD): Promise<void> {
  await openHydrated(page, `/login${next ? `?next=${encodeURIComponent(next)}` : ""}`);
  await page.getByLabel("Username").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedIn");
}

export type StoredTokens = { access: string; refresh: string; username?: string; issued_at: number; staff?: boolean };

export async function storedTokens(page: Page): Promise<StoredTokens | null> {
  const raw = await page.evaluate((key) => localStorage.getItem(key), STORAGE_KEY);
  return raw ? (JSON.parse(raw) as StoredTokens) : null;
}

/** The JSON payload of a JWT. */
export function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

const isServerFn = (name: string) => (request: Request) =>
  request.method() === "POST" && new URL(request.url()).pathname.startsWith(`/api/${name}`);

/** Records the refresh requests a context sends, with the refresh token each presents. */
export function recordRefreshes(context: BrowserContext): string[] {
  const presented: string[] = [];
  context.on("request", (request) => {
    if (isServerFn("refresh_tokens")(request)) {
      presented.push(new URLSearchParams(request.postData() ?? "").get("refresh") ?? "");
    }
  });
  return presented;
}

/** Counts the protected `hello` calls a page sends. */
export function countHelloCalls(page: Page): { count: number } {
  const counter = { count: 0 };
  page.on("request", (request) => {
    if (isServerFn("hello")(request)) counter.count += 1;
  });
  return counter;
}

/**
 * Waits until `token` has expired: its `exp` (read off the token, whole
 * seconds; the server refuses a token from that second on) plus `marginMs`
 * has passed on this machine's clock, which is the server's. A test of
 * expiry waits on that state, not on a sleep of a guessed length.
 */
export async function untilExpired(token: string, marginMs = 500): Promise<void> {
  const expiresAt = Number(claims(token).exp) * 1000 + marginMs;
  await expect
    .poll(() => Date.now(), { message: "the token's expiry", timeout: 120_000, intervals: [100] })
    .toBeGreaterThan(expiresAt);
}

/** axe-core finds nothing on the page as it is now. */
export async function expectNoAxeViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const summary = results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    targets: violation.nodes.map((node) => node.target.join(" ")),
  }));
  expect(summary).toEqual([]);
}
