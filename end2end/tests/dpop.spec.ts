import { expect, test, type Page } from "@playwright/test";
import * as DPoP from "dpop";
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
  // key of the thief's own.
  const { access } = (await storedTokens(page))!;
  const bearer = await fetch(`${baseURL}/hello/`, { headers: { Authorization: `Bearer ${access}` } });
  expect(bearer.status).toBe(401);
  const thief = await DPoP.generateKeyPair("ES256");
  const proven = await fetch(`${baseURL}/hello/`, {
    headers: {
      Authorization: `DPoP ${access}`,
      DPoP: await DPoP.generateProof(thief, `${baseURL}/hello/`, "GET", undefined, access),
    },
  });
  expect(proven.status).toBe(401);
  expect(proven.headers.get("www-authenticate")).toMatch(/^DPoP error="invalid_token"/);

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
