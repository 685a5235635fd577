import { expect, test, type Locator, type Page } from "@playwright/test";
import * as OTPAuth from "otpauth";

import { baseURL } from "../playwright.config";
import { expectNoAxeViolations, storedTokens } from "./support";

// Passkeys as a person meets them, with Chromium's virtual authenticator
// (CDP's WebAuthn domain: a platform authenticator, internal transport,
// resident keys, user verification) standing in for a fingerprint reader:
// add one on /account, log out, log in with the passkey alone, remove it.
//
// WebAuthn works on domain names only: the suite's server listens on
// 127.0.0.1, and its passkeys are made for `localhost` on the same port.

const site = baseURL.replace("127.0.0.1", "localhost");
const PASSWORD = "passkey-password";

async function openAt(page: Page, path: string): Promise<void> {
  await page.goto(`${site}${path}`);
  await page.waitForFunction(() => document.body.dataset.hydrated === "true");
}

/** A fingerprint reader that always recognises its owner. */
async function addAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    credentials: async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials,
    verifies: (yes: boolean) => cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: yes }),
  };
}

async function newAccount(page: Page): Promise<string> {
  const name = `passkey-${Date.now()}-${Math.floor(Math.random() * 1000)}`;
  await openAt(page, "/signup");
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("new-account")).toBeVisible();
  return name;
}

async function logOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedOut");
}

/** Presses Tab until `target` has the focus: reachable by keyboard alone. */
async function tabTo(page: Page, target: Locator): Promise<void> {
  for (let presses = 0; presses < 80; presses++) {
    if (await target.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached ${target}`);
}

test("a passkey added on /account logs in alone, and once removed no more", async ({ page }) => {
  const authenticator = await addAuthenticator(page);
  const name = await newAccount(page);
  await openAt(page, "/account");
  await expect(page.getByRole("heading", { name: "Passkeys" })).toBeVisible();
  await expect(page.getByTestId("passkeys-none")).toHaveText("No passkeys yet.");
  await expectNoAxeViolations(page);

  // No name: said next to the field, and the device makes nothing.
  await expect(page.getByLabel("Passkey name")).toHaveAttribute("required", "");
  await page.getByLabel("Passkey name").fill("   ");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.locator("#passkey-name-error")).toHaveText("This field may not be blank.");
  expect(await authenticator.credentials()).toHaveLength(0);
  // The fingerprint not recognised: the browser refuses, the page says so.
  await authenticator.verifies(false);
  await page.getByLabel("Passkey name").fill("Virtual key");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "No passkey was used" })).toBeVisible();
  await authenticator.verifies(true);

  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.getByTestId("passkeys-outcome")).toHaveText(
    "The passkey \u201cVirtual key\u201d was added. Every other session was logged out.",
  );
  const entry = page.getByTestId("passkey");
  await expect(entry).toHaveCount(1);
  await expect(entry).toContainText("Virtual key");
  await expect(entry).toContainText("never used");
  const stored = await authenticator.credentials();
  expect(stored).toHaveLength(1);
  expect(stored[0].isResidentCredential).toBe(true);
  expect(stored[0].rpId).toBe("localhost");
  await expectNoAxeViolations(page);

  // Logged out, the passkey alone logs in: no name, no password.
  await logOut(page);
  await openAt(page, "/login");
  await expectNoAxeViolations(page);
  await page.getByRole("button", { name: "Log in with a passkey" }).click();
  await expect(page.getByTestId("greeting")).toHaveText("Hello, World!");
  await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedIn");
  expect((await storedTokens(page))?.username).toBe(name);

  await openAt(page, "/account");
  await expect(page.getByTestId("passkey")).toContainText("last used");
  await page.getByRole("button", { name: "Remove the passkey Virtual key" }).click();
  await expect(page.getByTestId("passkeys-outcome")).toHaveText(
    "The passkey \u201cVirtual key\u201d was removed. Every other session was logged out.",
  );
  await expect(page.getByTestId("passkeys-none")).toBeVisible();

  // The authenticator still holds it; the site no longer accepts it.
  await logOut(page);
  await openAt(page, "/login");
  await page.getByRole("button", { name: "Log in with a passkey" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "The passkey was not accepted." })).toBeVisible();
  await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedOut");
});

test("both sign-in sections work from the keyboard alone", async ({ page }) => {
  await addAuthenticator(page);
  await newAccount(page);
  await openAt(page, "/account");

  // Two-step login: set up, type the app's code, turn on.
  await tabTo(page, page.getByRole("button", { name: "Set up authenticator app" }));
  await page.keyboard.press("Enter");
  const secret = (await page.getByTestId("totp-secret").innerText()).replace(/\s/g, "");
  await tabTo(page, page.getByRole("textbox", { name: "Code" }));
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
  await page.keyboard.type(totp.generate());
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("two-step-outcome")).toContainText("Two-step login is on.");
  await tabTo(page, page.getByRole("button", { name: "Copy" }));

  // A passkey: name it, Enter.
  await tabTo(page, page.getByLabel("Passkey name"));
  await page.keyboard.type("Keyboard key");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("passkeys-outcome")).toContainText("was added");
  await tabTo(page, page.getByRole("button", { name: "Remove the passkey Keyboard key" }));
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("passkeys-outcome")).toContainText("was removed");
});

test("opened at the IP address, the pages point to where passkeys work", async ({ page }) => {
  await page.goto(`${baseURL}/login`);
  await page.waitForFunction(() => document.body.dataset.hydrated === "true");
  await expect(page.getByRole("button", { name: "Log in" })).toBeEnabled();
  await expect(page.getByRole("button", { name: "Log in with a passkey" })).toHaveCount(0);

  const name = `passkey-ip-${Date.now()}`;
  await page.goto(`${baseURL}/signup`);
  await page.waitForFunction(() => document.body.dataset.hydrated === "true");
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("new-account")).toBeVisible();
  await page.goto(`${baseURL}/account`);
  const elsewhere = page.getByTestId("passkeys-elsewhere");
  await expect(elsewhere).toContainText("Passkeys work on this site at");
  await expect(elsewhere.getByRole("link")).toHaveAttribute("href", site);
});
