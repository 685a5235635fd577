import { expect, test, type Browser, type Page } from "@playwright/test";
import { mailPort, mailSecondPort } from "../playwright.config";
import { linkIn, mails } from "./mailbox";
import { expectNoAxeViolations, storedTokens, unexpected, watchConsole } from "./support";

// Two instances on one PostgreSQL database, sending mail to a real SMTP
// server (end2end/serve-mail.sh). The person forgets their password while
// logged in on both; the mailed link sets a new one and logs both out.
const first = `http://127.0.0.1:${mailPort}`;
const second = `http://127.0.0.1:${mailSecondPort}`;
const USER = "mail-user";
const ADDRESS = "Mail.User@example.com";

async function hydrated(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.hydrated === "true");
}

async function signedIn(browser: Browser, origin: string, password: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await hydrated(page, `${origin}/login`);
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedIn");
  return page;
}

async function helloStatus(origin: string, access: string): Promise<number> {
  const response = await fetch(`${origin}/hello/`, { headers: { Authorization: `Bearer ${access}` } });
  return response.status;
}

test("a forgotten password is reset by mail, and every session ends on both instances", async ({ browser }) => {
  // The second instance serves too (the suite waits for the first only).
  await expect.poll(async () => (await fetch(`${second}/healthz`)).status, { timeout: 30_000 }).toBe(200);
  const onFirst = await signedIn(browser, first, "mail-user-password");
  const onSecond = await signedIn(browser, second, "mail-user-password");
  const oldTokens = [(await storedTokens(onFirst))!, (await storedTokens(onSecond))!];

  const page = await (await browser.newContext()).newPage();
  const problems = watchConsole(page);
  await hydrated(page, `${first}/login`);
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await expect(page).toHaveURL(`${first}/forgot-password`);
  await expect(page.getByRole("heading", { name: "Forgot password?" })).toBeVisible();
  await expectNoAxeViolations(page);

  // An address nobody uses gets the same answer, and no mail.
  const before = mails().length;
  await page.getByLabel("Email").fill("nobody@example.com");
  await page.getByRole("button", { name: "Send link" }).click();
  const sent = page.getByTestId("link-sent");
  await expect(sent).toHaveText("If an account uses this address, we sent a link to it.");

  // The address in another case finds the account, as Django's form does.
  await page.getByLabel("Email").fill(ADDRESS.toLowerCase());
  await page.getByRole("button", { name: "Send link" }).click();
  await expect(sent).toHaveText("If an account uses this address, we sent a link to it.");
  await expect.poll(() => mails().length, { timeout: 30_000 }).toBe(before + 1);
  const mail = mails()[before];
  expect(mail).toContain(`To: ${ADDRESS}`);
  const link = linkIn(mail, "/reset-password/");
  expect(link.startsWith(`${first}/reset-password/`)).toBe(true);

  await hydrated(page, link);
  await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  await expectNoAxeViolations(page);
  // The two fields must agree before anything is sent.
  await page.getByLabel("New password", { exact: true }).fill("a brand new password");
  await page.getByLabel("Confirm new password").fill("a brand new passwort");
  await page.getByRole("button", { name: "Set password" }).click();
  await expect(page.getByTestId("confirm-password-error")).toHaveText("The two new passwords are not the same.");
  await page.getByLabel("Confirm new password").fill("a brand new password");
  await page.getByRole("button", { name: "Set password" }).click();
  await expect(page).toHaveURL(`${first}/login?reason=reset`);
  await expect(page.getByTestId("password-reset-done")).toHaveText(
    "Your password was changed. Log in with the new one.",
  );

  // Both old sessions are over on both instances, access tokens too.
  for (const tokens of oldTokens) {
    for (const origin of [first, second]) {
      await expect.poll(() => helloStatus(origin, tokens.access)).toBe(401);
    }
  }
  // The pages logged in there find out at their next call.
  for (const [signed, origin] of [[onFirst, first], [onSecond, second]] as const) {
    await hydrated(signed, `${origin}/account`);
    await expect(signed).toHaveURL(/\/login\?/);
  }

  // The new password works; the link does not, a second time.
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill("a brand new password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedIn");
  await hydrated(page, link);
  await expect(page.getByTestId("dead-link")).toContainText("It has expired or was already used.");
  await page.getByRole("link", { name: "Ask for a new link" }).click();
  await expect(page).toHaveURL(`${first}/forgot-password`);
  expect(unexpected(problems)).toEqual([]);
  // Contexts made here outlive the test unless closed: a logged-in page
  // would go on refreshing its tokens through the rest of the suite.
  for (const open of [onFirst, onSecond, page]) await open.context().close();
});
