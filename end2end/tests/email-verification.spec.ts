import { expect, test, type Page } from "@playwright/test";
import { mailPort, mandatoryPort } from "../playwright.config";
import { linkIn, mailsTo } from "./mailbox";
import { expectNoAxeViolations, unexpected, watchConsole } from "./support";

// Instances of end2end/serve-mail.sh: the first verifies addresses the
// default way (optional: logged in at once, a link to confirm), the other
// signs an account in only once its address is confirmed (mandatory).
const optional = `http://127.0.0.1:${mailPort}`;
const mandatory = `http://127.0.0.1:${mandatoryPort}`;

async function hydrated(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.hydrated === "true");
}

async function signUp(page: Page, origin: string, username: string, email: string): Promise<void> {
  await hydrated(page, `${origin}/signup`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Create account" }).click();
}

/** The verification link of the newest mail to `address`, once it came. */
async function newestLink(address: string, count: number): Promise<string> {
  await expect.poll(() => mailsTo(address).length, { timeout: 30_000 }).toBe(count);
  return linkIn(mailsTo(address)[count - 1], "/verify-email/");
}

async function confirmWith(page: Page, link: string): Promise<void> {
  await hydrated(page, link);
  await expect(page.getByRole("heading", { name: "Confirm your email address" })).toBeVisible();
  await page.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByTestId("address-confirmed")).toContainText("Your email address is confirmed.");
}

test("a new account confirms its address from the mail, then changes it", async ({ page }) => {
  const problems = watchConsole(page);
  const address = "Vera.Fied@example.com";
  await signUp(page, optional, "vera", address);
  // Logged in at once; the address waits for its link.
  await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedIn");
  await hydrated(page, `${optional}/account`);
  await expect(page.getByTestId("email-address")).toContainText(address);
  await expect(page.getByTestId("email-address")).toContainText("Not verified");
  await expectNoAxeViolations(page);

  const link = await newestLink(address, 1);
  expect(link.startsWith(`${optional}/verify-email/`)).toBe(true);
  await confirmWith(page, link);
  await expectNoAxeViolations(page);
  await page.getByTestId("address-confirmed").getByRole("link", { name: "Go to your account" }).click();
  await expect(page.getByTestId("email-address")).toContainText("Verified");
  await expect(page.getByTestId("email-address")).not.toContainText("Not verified");

  // A new address waits for its own link; the old one stays until then.
  const next = "vera@new.example";
  await page.getByLabel("New email address").fill(next);
  await page.getByRole("button", { name: "Change address" }).click();
  await expect(page.getByTestId("email-changed")).toHaveText(
    `We sent a link to ${next}. Your address changes once you open it.`,
  );
  await expect(page.getByTestId("email-pending")).toContainText(next);
  await expect(page.getByTestId("email-address")).toContainText(address);

  await confirmWith(page, await newestLink(next, 1));
  // The old address is told.
  await expect.poll(() => mailsTo(address).length, { timeout: 30_000 }).toBe(2);
  expect(mailsTo(address)[1]).toMatch(/Subject: Your email address on \S+ was changed/);
  await hydrated(page, `${optional}/account`);
  await expect(page.getByTestId("email-address")).toContainText(next);
  await expect(page.getByTestId("email-address")).toContainText("Verified");
  await expect(page.getByTestId("email-pending")).toHaveCount(0);

  // A link works once.
  await hydrated(page, link);
  await page.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByTestId("verify-form-error")).toContainText("This link has expired or was already used.");
  // That refusal is a 400, as a used key is to the API.
  expect(unexpected(problems).filter((problem) => !problem.includes("status of 400"))).toEqual([]);
});

test("where addresses must be confirmed, the account logs in only after its link", async ({ page }) => {
  const problems = watchConsole(page);
  const address = "mandy@example.com";
  await signUp(page, mandatory, "mandy", address);
  await expect(page.getByTestId("link-sent")).toHaveText(
    `We sent a link to ${address}. Open it to confirm your address, then log in.`,
  );
  await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedOut");

  // The right password is not enough yet; the page says why and how.
  await hydrated(page, `${mandatory}/login`);
  await page.getByLabel("Username").fill("mandy");
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("form-error")).toContainText("Confirm your email address first");
  await page.getByTestId("form-error").getByRole("link", { name: "Send the link again" }).click();
  await expect(page).toHaveURL(`${mandatory}/verify-email`);
  await expectNoAxeViolations(page);
  await page.getByLabel("Email").fill(address);
  await page.getByRole("button", { name: "Send link" }).click();
  await expect(page.getByTestId("link-sent")).toHaveText(
    "If an account waits for this address, we sent a new link to it.",
  );
  const link = await newestLink(address, 2);
  expect(link.startsWith(`${mandatory}/verify-email/`)).toBe(true);

  await confirmWith(page, link);
  await page.getByTestId("address-confirmed").getByRole("link", { name: "Log in" }).click();
  await page.getByLabel("Username").fill("mandy");
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedIn");
  // The refused login is a 400, as dj-rest-auth's "E-mail is not verified." is.
  expect(unexpected(problems).filter((problem) => !problem.includes("status of 400"))).toEqual([]);
});
