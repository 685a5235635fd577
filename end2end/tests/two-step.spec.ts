import { expect, test, type Page } from "@playwright/test";
import * as OTPAuth from "otpauth";
import { expectNoAxeViolations, openHydrated } from "./support";

// Two-step login as a person meets it: set up an authenticator app from
// the secret shown on /account (codes computed here as the app computes
// them), keep the recovery codes, log in with a code on the login page
// without typing the password again, use a recovery code once, turn it off.
//
// Each code is accepted once, for a 30-second step later than the last
// one used: the test uses the current step to turn it on and the next one
// to log in (both within the server's one-step window), so it never waits
// for the clock.

const PASSWORD = "two-step-password";

function codeFor(secret: string, offsetSeconds = 0): string {
  const totp = new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(secret),
    algorithm: "SHA1",
    digits: 6,
    period: 30,
  });
  return totp.generate({ timestamp: Date.now() + offsetSeconds * 1000 });
}

async function newAccount(page: Page): Promise<string> {
  const name = `twostep-${Date.now()}-${Math.floor(Math.random() * 1000)}`;
  await openHydrated(page, "/signup");
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

/** Name and password on /login; the page then asks for the code. */
async function startLogin(page: Page, name: string): Promise<void> {
  await openHydrated(page, "/login");
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("second-step")).toContainText(`Logging in as ${name}`);
}

test("an authenticator app guards the account, and a recovery code works once", async ({ page }) => {
  // The failed attempts below are answered 400/401 on purpose.
  const name = await newAccount(page);
  await openHydrated(page, "/account");
  const section = page.getByRole("heading", { name: "Two-step login" });
  await expect(section).toBeVisible();
  await expect(page.getByTestId("two-step-state")).toContainText("Off.");

  await page.getByRole("button", { name: "Set up authenticator app" }).click();
  await expect(page.getByRole("img", { name: "QR code for your authenticator app" })).toBeVisible();
  const secret = (await page.getByTestId("totp-secret").innerText()).replace(/\s/g, "");
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await expectNoAxeViolations(page);

  // A wrong code changes nothing and says so next to the field.
  const right = codeFor(secret);
  const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, "0");
  await page.getByRole("textbox", { name: "Code" }).fill(wrong);
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.locator("#totp-code-error")).toHaveText("The code is wrong or was already used.");
  await page.getByRole("textbox", { name: "Code" }).fill(codeFor(secret));
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.getByTestId("two-step-outcome")).toContainText("Two-step login is on.");
  const codes = await page.getByTestId("recovery-codes").getByRole("listitem").allInnerTexts();
  expect(codes).toHaveLength(10);
  for (const code of codes) expect(code).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
  await expect(page.getByRole("link", { name: "Download" })).toHaveAttribute("download", "recovery-codes.txt");
  await expectNoAxeViolations(page);

  // The password alone now leads to the code, asked on the same page;
  // the cursor is in the code field, and Enter sends it.
  await logOut(page);
  await startLogin(page, name);
  const codeField = page.getByRole("textbox", { name: "Code" });
  await expect(codeField).toBeFocused();
  await expectNoAxeViolations(page);
  await page.keyboard.type(codeFor(secret, 30));
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("greeting")).toHaveText("Hello, World!");

  // A recovery code in place of the app's code, once.
  await logOut(page);
  await startLogin(page, name);
  await page.getByRole("textbox", { name: "Code" }).fill(codes[0]);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByTestId("greeting")).toHaveText("Hello, World!");
  await logOut(page);
  await startLogin(page, name);
  await page.getByRole("textbox", { name: "Code" }).fill(codes[0]);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.locator("#otp-error")).toHaveText("The code is wrong or was already used.");
  await page.getByRole("textbox", { name: "Code" }).fill(codes[1].toUpperCase());
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByTestId("greeting")).toHaveText("Hello, World!");

  // Off, with a third recovery code; the password alone logs in again.
  await openHydrated(page, "/account");
  await expect(page.getByTestId("two-step-state")).toContainText("8 recovery codes left.");
  await page.getByRole("textbox", { name: "Code" }).fill(codes[2]);
  await page.getByRole("button", { name: "Turn off" }).click();
  await expect(page.getByTestId("two-step-outcome")).toContainText("Two-step login is off.");
  await logOut(page);
  await openHydrated(page, "/login");
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("greeting")).toHaveText("Hello, World!");
});
