import { expect, test, type Page } from "@playwright/test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expectNoAxeViolations, logIn, openHydrated, PASSWORD, storedTokens, unexpected, USER, watchConsole } from "./support";

// serve.sh makes this superuser, and 10 000 members beside (E2E_SEED_USERS).
const ADMIN = process.env.E2E_ADMIN ?? "e2e-admin";
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD ?? "e2e-admin-password";

/** Creates an account through the sign-up form; the page stays logged in as it. */
async function signUp(page: Page, name: string, password = "a-long-enough-password"): Promise<void> {
  await openHydrated(page, "/signup");
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("whoami")).toHaveText(name);
}

/** Presses Tab until the focused element matches the CSS `selector` (at most `limit` times). */
async function tabTo(page: Page, selector: string, limit = 40): Promise<void> {
  for (let presses = 0; presses < limit; presses += 1) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((selector) => document.activeElement?.matches(selector) ?? false, selector)) return;
  }
  throw new Error(`nothing matching ${selector} took focus after ${limit} presses of Tab`);
}

test("a staff member finds one user among 10 000, deactivates them, and their open browser is logged out", async ({
  browser,
}) => {
  const victim = `victim-${Date.now()}`;
  const theirs = await browser.newContext();
  const victimPage = await theirs.newPage();
  await signUp(victimPage, victim);

  const staff = await browser.newContext();
  const page = await staff.newPage();
  const problems = watchConsole(page);
  await logIn(page, "", ADMIN, ADMIN_PASSWORD);
  expect((await storedTokens(page))!.staff).toBe(true);
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Admin", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();
  // The first of 200 pages, and a way on.
  await expect(page.getByTestId("user-row")).toHaveCount(50);
  await expect(page.getByTestId("next-page")).toBeVisible();

  await page.getByLabel("Find a user").fill(victim);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(new RegExp(`/admin\\?search=${victim}$`));
  await expect(page.getByTestId("user-row")).toHaveCount(1);
  await page.getByRole("link", { name: victim }).click();
  await expect(page.getByRole("heading", { name: `User ${victim}` })).toBeVisible();
  await expect(page.getByTestId("user-session")).toHaveCount(1);

  const active = page.getByRole("switch", { name: "Active" });
  await expect(active).toHaveAttribute("aria-checked", "true");
  await active.click();
  const dialog = page.getByRole("dialog", { name: `Deactivate ${victim}?` });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Deactivate" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("admin-outcome")).toHaveText(
    `${victim} was deactivated and logged out everywhere.`,
  );
  await expect(page.getByRole("switch", { name: "Active" })).toHaveAttribute("aria-checked", "false");
  await expect(page.getByTestId("no-sessions")).toBeVisible();

  // The victim's open page: its next call finds the session over.
  await victimPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tokens" }).click();
  await expect(victimPage).toHaveURL(/\/login\?next=\/tokens&reason=(elsewhere|expired)$/);
  expect(await storedTokens(victimPage)).toBeNull();
  await victimPage.getByLabel("Username").fill(victim);
  await victimPage.getByLabel("Password").fill("a-long-enough-password");
  await victimPage.getByRole("button", { name: "Log in" }).click();
  await expect(victimPage.getByTestId("form-error")).toHaveText("Wrong username or password.");

  // The audit log names it.
  await page.goto(`/admin/events?type=user_deactivated`);
  const row = page.getByTestId("event-row").filter({ hasText: victim });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("User deactivated");
  expect(unexpected(problems)).toEqual([]);
  await theirs.close();
  await staff.close();
});

test("a person who is not staff sees no Admin link, the no-access page, and 403 from the API", async ({ page }) => {
  await logIn(page);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Admin", exact: true })).toHaveCount(0);
  await openHydrated(page, "/admin");
  await expect(page.getByRole("heading", { name: "You do not have access to this page" })).toBeVisible();
  await expect(page.getByTestId("users")).toHaveCount(0);
  await expectNoAxeViolations(page);

  // The page's own tokens are bound to its DPoP key: a program logs in
  // for a bearer token of its own.
  const login = await page.request.post("/api/token/", { data: { username: USER, password: PASSWORD } });
  const { access } = await login.json();
  const refused = await page.request.get("/api/admin/users/", {
    headers: { Authorization: `Bearer ${access}`, Accept: "application/json" },
  });
  expect(refused.status()).toBe(403);
  expect(await refused.json()).toEqual({ detail: "You do not have permission to perform this action." });
});

test("the users table and the confirm dialog work from the keyboard alone, and pass axe", async ({ browser }) => {
  // One of the members serve.sh imported.
  const member = "member00042";
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, "", ADMIN, ADMIN_PASSWORD);
  await openHydrated(page, "/admin");
  await expect(page.getByTestId("user-row")).toHaveCount(50);
  await expectNoAxeViolations(page);

  await tabTo(page, "#user-search");
  await page.keyboard.type(member);
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("user-row")).toHaveCount(1);
  await tabTo(page, "table a");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: `User ${member}` })).toBeVisible();
  await expectNoAxeViolations(page);

  await tabTo(page, "[role=switch]");
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: `Deactivate ${member}?` });
  await expect(dialog).toBeVisible();
  // Focus starts on the safe choice; the dialog passes axe while open.
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await expectNoAxeViolations(page);
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("switch", { name: "Active" })).toBeFocused();
  await expect(page.getByRole("switch", { name: "Active" })).toHaveAttribute("aria-checked", "true");

  await page.keyboard.press("Space");
  await expect(dialog).toBeVisible();
  await page.keyboard.press("Tab");
  await expect(dialog.getByRole("button", { name: "Deactivate" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("switch", { name: "Active" })).toHaveAttribute("aria-checked", "false");

  for (const path of ["/admin/events", "/admin/keys"]) {
    await openHydrated(page, path);
    await expect(page.getByRole("navigation", { name: "Admin" })).toBeVisible();
    await expect(page.locator("[aria-busy=true]")).toHaveCount(0);
    await expectNoAxeViolations(page);
  }
  // This server signs with HS256: its secret is rotated another way, and the page says how.
  await expect(page.getByTestId("key-row")).toHaveCount(1);
  await expect(page.getByRole("button", { name: "Rotate now" })).toBeDisabled();
  await expect(page.getByTestId("rotate-hint")).toContainText("--previous-secret-keys");
  await context.close();
});

test("Recent activity shows a sign-in from a second browser", async ({ browser }) => {
  const name = `activity-${Date.now()}`;
  const first = await browser.newContext();
  const page = await first.newPage();
  await signUp(page, name);
  const second = await browser.newContext({
    userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
  });
  await logIn(await second.newPage(), "", name, "a-long-enough-password");

  await openHydrated(page, "/account");
  // The sign-up's own sign-in, and the second browser's.
  const signIns = page.getByTestId("activity-item").and(page.locator("[data-kind=login_succeeded]"));
  await expect(signIns).toHaveCount(2);
  await expect(signIns.filter({ hasText: "Firefox on Linux" })).toHaveCount(1);
  await expect(page.getByTestId("activity-item").and(page.locator("[data-kind=user_created]"))).toHaveCount(1);
  await first.close();
  await second.close();
});

/** The link to `path` in the newest mail to `address` that has one, from the outbox files of serve.sh (no SMTP server there). */
async function mailedLink(address: string, path: string): Promise<string> {
  const outbox = join("..", "target", "e2e", "outbox");
  const find = () => {
    const names = existsSync(outbox) ? readdirSync(outbox).filter((name) => name.endsWith(".eml")).sort() : [];
    for (const name of names.reverse()) {
      const text = readFileSync(join(outbox, name), "utf8").replace(/=\r?\n/g, "").replace(/=3D/g, "=");
      const link = text.match(new RegExp(`http://[^\\s"<]+${path}[^\\s"<]+`));
      if (text.includes(`To: ${address}`) && link) return link[0];
    }
    return null;
  };
  await expect.poll(find, { timeout: 30_000 }).not.toBeNull();
  return find()!;
}

test("staff correct a profile, and send a reset link once the owner has confirmed the address", async ({ browser }) => {
  const member = `forgetful-${Date.now()}`;
  const address = `${member}@example.com`;
  const theirs = await (await browser.newContext()).newPage();
  await openHydrated(theirs, "/signup");
  await theirs.getByLabel("Username").fill(member);
  await theirs.getByLabel("Password").fill("a-long-enough-password");
  await theirs.getByLabel("Email (optional)").fill(address);
  await theirs.getByRole("button", { name: "Create account" }).click();
  await expect(theirs.getByTestId("whoami")).toHaveText(member);

  const page = await (await browser.newContext()).newPage();
  const problems = watchConsole(page);
  await logIn(page, "", ADMIN, ADMIN_PASSWORD);
  await openHydrated(page, `/admin?search=${member}`);
  await page.getByRole("link", { name: member }).click();
  await expect(page.getByTestId("profile-email")).toHaveText(`${address} (not verified)`);

  // Names, checked as Django checks them; the address too.
  await page.getByLabel("First name").fill("Ada");
  await page.getByLabel("Last name").fill("Member");
  // The browser's own check lets this through; Django's wants a dot in the domain.
  await page.getByLabel("Email", { exact: true }).fill("ada@example");
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.getByTestId("profile-email-input-error")).toHaveText("Enter a valid email address.");
  await page.getByLabel("Email", { exact: true }).fill(address);
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.getByTestId("admin-outcome")).toHaveText(`The profile of ${member} was saved.`);
  await expect(page.locator("dl.profile")).toContainText("Ada Member");
  await expectNoAxeViolations(page);

  // Not confirmed yet: no link to take the account over goes there.
  await page.getByRole("button", { name: "Send password reset" }).click();
  await expect(page.getByTestId("admin-outcome")).toContainText("The account's email address is not verified");
  // The owner confirms it with the link the sign-up mailed.
  await openHydrated(theirs, await mailedLink(address, "/verify-email/"));
  await theirs.getByRole("button", { name: "Confirm" }).click();
  await expect(theirs.getByTestId("address-confirmed")).toBeVisible();

  await page.reload();
  await expect(page.getByTestId("profile-email")).toHaveText(address);
  await page.getByRole("button", { name: "Send password reset" }).click();
  await expect(page.getByTestId("admin-outcome")).toHaveText(`A link to choose a new password was sent to ${address}.`);
  const link = await mailedLink(address, "/reset-password/");
  await openHydrated(theirs, link);
  await theirs.getByLabel("New password", { exact: true }).fill("another-long-password");
  await theirs.getByLabel("Confirm new password").fill("another-long-password");
  await theirs.getByRole("button", { name: "Set password" }).click();
  await expect(theirs.getByTestId("password-reset-done")).toBeVisible();
  // The two refusals above are 400 and 409 answers.
  expect(
    unexpected(problems).filter((problem) => !/status of (400|409)/.test(problem)),
  ).toEqual([]);
  // Contexts made here outlive the test unless closed: a logged-in page
  // would go on refreshing its tokens through the rest of the suite.
  await theirs.context().close();
  await page.context().close();
});
