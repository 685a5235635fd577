import { expect, test, type Page } from "@playwright/test";
import * as DPoP from "dpop";
import { noncePort } from "../playwright.config";
import { claims, logIn, openHydrated, recordRefreshes, storedTokens, unexpected, watchConsole } from "./support";

// The app binds its tokens to a key WebCrypto made non-extractable and
// IndexedDB keeps: copied out of localStorage, they are refused elsewhere.

const PASSWORD = "a-long-enough-password";

async function signUp(page: Page, name: string): Promise<void> {
  await openHydrated(page, "/signup");
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("whoami")).toHaveText(name);
}

test("the app's tokens are bound to this browser's key, and a copy of them is refused anywhere else", async ({
  context,
  baseURL,
}) => {
  test.setTimeout(60_000);
  const page = await context.newPage();
  const problems = watchConsole(page);
  await signUp(page, `bound-${Date.now()}`);
  const tokens = (await storedTokens(page))!;
  const jkt = (claims(tokens.access).cnf as { jkt: string }).jkt;
  expect(jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(claims(tokens.refresh).cnf).toEqual({ jkt });

  // The key cannot be read, only used.
  const extractable = await page.evaluate(
    () =>
      new Promise<boolean>((resolve, reject) => {
        const opening = indexedDB.open("tessera");
        opening.onsuccess = () => {
          const read = opening.result.transaction("keys").objectStore("keys").get("dpop");
          read.onsuccess = () => resolve(read.result.privateKey.extractable);
          read.onerror = () => reject(read.error);
        };
      }),
  );
  expect(extractable).toBe(false);

  await openHydrated(page, "/tokens");
  await expect(page.getByTestId("access-binding")).toHaveText(`Bound to this browser's key ${jkt}.`);
  await expect(page.getByTestId("access-payload")).toContainText('"jkt"');

  // Copied into a plain fetch: as a bearer token, and with a proof of a
  // key of the thief's own, refused for its binding (no description; an
  // expired one would say "Token is expired"). Access tokens live 3 s
  // here: one that expired on its way is refused as expired, so try again
  // with the one the app has stored since.
  const thief = await DPoP.generateKeyPair("ES256");
  await expect(async () => {
    const { access } = (await storedTokens(page))!;
    const bearer = await fetch(`${baseURL}/hello/`, { headers: { Authorization: `Bearer ${access}` } });
    expect(bearer.status).toBe(401);
    const proven = await fetch(`${baseURL}/hello/`, {
      headers: {
        Authorization: `DPoP ${access}`,
        DPoP: await DPoP.generateProof(thief, `${baseURL}/hello/`, "GET", undefined, access),
      },
    });
    expect(proven.status).toBe(401);
    expect(proven.headers.get("www-authenticate")).toMatch(/^DPoP error="invalid_token", algs="/);
  }).toPass({ timeout: 30_000 });

  // The app itself carries on: across a reload, in a second tab, and
  // across refreshes (access tokens live 3 s here).
  const refreshes = recordRefreshes(context);
  await openHydrated(page, "/hello");
  await expect(page.getByTestId("greeting")).toHaveText("Hello, World!");
  const second = await context.newPage();
  problems.push(...watchConsole(second));
  await openHydrated(second, "/hello");
  await expect(second.getByTestId("greeting")).toHaveText("Hello, World!");
  await expect.poll(() => refreshes.length, { timeout: 20_000 }).toBeGreaterThan(0);
  await expect(async () => {
    const now = (await storedTokens(second))!;
    expect(now.access).not.toBe(tokens.access);
    expect(claims(now.access).cnf).toEqual({ jkt });
  }).toPass({ timeout: 20_000 });
  await second.getByRole("link", { name: "Tokens", exact: true }).click();
  await second.getByRole("link", { name: "Hello", exact: true }).click();
  await expect(second.getByTestId("greeting")).toHaveText("Hello, World!");
  expect(unexpected(problems)).toEqual([]);

  // The refresh token copied and used without the key: the session ends,
  // here too.
  const { refresh } = (await storedTokens(page))!;
  const stolen = await fetch(`${baseURL}/api/token/refresh/`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh }),
  });
  expect(stolen.status).toBe(401);
  await openHydrated(page, "/hello");
  await expect(page).toHaveURL(/\/login/, { timeout: 20_000 });
});

test("where IndexedDB is missing the app says so and uses bearer tokens", async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(window, "indexedDB", { value: undefined, configurable: true });
  });
  await logIn(page, "/hello");
  await expect(page.getByTestId("greeting")).toHaveText("Hello, World!");
  const tokens = (await storedTokens(page))!;
  expect(claims(tokens.access).cnf).toBeUndefined();
  await openHydrated(page, "/tokens");
  await expect(page.getByTestId("access-binding")).toContainText("Not bound: this browser cannot keep a key here");
});

test("a server that asks for nonces and refuses unbound tokens gets them: each call it refuses for want of one is sent once more, with it", async ({
  context,
}) => {
  test.setTimeout(60_000);
  const origin = `http://127.0.0.1:${noncePort}`;
  // Every server-function answer, with the nonce its proof carried and
  // whether it asked for a new one.
  const answers: { call: string; status: number; sent?: string; proven: boolean; askedForNonce: boolean }[] = [];
  context.on("response", (response) => {
    const request = response.request();
    const url = new URL(request.url());
    if (url.origin !== origin || !url.pathname.startsWith("/api/") || request.method() !== "POST") return;
    const proof = request.headers()["dpop"];
    answers.push({
      call: url.pathname,
      status: response.status(),
      sent: proof ? (claims(proof).nonce as string | undefined) : undefined,
      proven: Boolean(proof),
      askedForNonce: (response.headers()["www-authenticate"] ?? "").includes("use_dpop_nonce"),
    });
  });
  const page = await context.newPage();
  const problems = watchConsole(page);
  const name = `nonce-${Date.now()}`;
  await openHydrated(page, `${origin}/signup`);
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("whoami")).toHaveText(name);

  // The page's first call had no nonce to send: refused, then sent again
  // with the one the answer carried.
  const [first, ...later] = answers;
  expect(first).toMatchObject({ status: 400, sent: undefined, askedForNonce: true });
  const again = later.find((answer) => answer.call === first.call);
  expect(again).toMatchObject({ status: 200, askedForNonce: false });
  expect(again!.sent).toBeTruthy();
  const { access } = (await storedTokens(page))!;
  const jkt = (claims(access).cnf as { jkt: string }).jkt;

  // Nonces change every 2 s and access tokens live 3 s: across reloads and
  // refreshes the app keeps working, every proof carrying a nonce.
  const refreshes = recordRefreshes(context);
  await openHydrated(page, `${origin}/hello`);
  await expect(page.getByTestId("greeting")).toHaveText("Hello, World!");
  await expect.poll(() => refreshes.length, { timeout: 20_000 }).toBeGreaterThan(1);
  await openHydrated(page, `${origin}/hello`);
  await expect(page.getByTestId("greeting")).toHaveText("Hello, World!");
  await expect(async () => {
    const now = (await storedTokens(page))!;
    expect(now.access).not.toBe(access);
    expect(claims(now.access).cnf).toEqual({ jkt });
  }).toPass({ timeout: 20_000 });

  // Each refusal was followed by the same call with the new nonce, which
  // went through: never refused twice in a row, never a lost call.
  answers.forEach((answer, index) => {
    if (!answer.askedForNonce) return;
    const again = answers.slice(index + 1).find((later) => later.call === answer.call);
    expect(again, `${answer.call} sent again`).toBeDefined();
    expect(again!.askedForNonce, `${answer.call} refused twice`).toBe(false);
    expect(again!.sent).toBeTruthy();
  });
  expect(answers.filter((answer) => answer.status >= 400 && !answer.askedForNonce)).toEqual([]);
  expect(unexpected(problems).filter((problem) => !problem.includes("status of 400 (Bad Request)"))).toEqual([]);

  // The app never sent a call without a proof.
  expect(answers.filter((answer) => !answer.proven)).toEqual([]);
  // This server runs with `--dpop required`: a login without a proof is
  // refused.
  const unbound = await context.request.post(`${origin}/api/token/`, { data: { username: name, password: PASSWORD } });
  expect(unbound.status()).toBe(400);
  expect((await unbound.json()).error).toBe("invalid_dpop_proof");

  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedOut");
  await expect
    .poll(() => answers.filter((answer) => answer.call.startsWith("/api/logout")).at(-1)?.status)
    .toBe(200);
});
