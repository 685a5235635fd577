import { expect, test, type Browser, type Page } from "@playwright/test";
import { expectNoAxeViolations, logIn, openHydrated, storedTokens, unexpected, watchConsole } from "./support";

// Two browser contexts are two devices: a laptop (Playwright's Chromium on
// Linux) and a phone (Safari's user agent on an iPhone).
const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
const PASSWORD = "first-password";

/** A new account (sign-up is open on the test server), logged in on `page`. */
async function newAccount(page: Page): Promise<string> {
  const name = `acct-${Date.now()}-${Math.floor(Math.random() * 1000)}`;
  await openHydrated(page, "/signup");
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("new-account")).toBeVisible();
  return name;
}

async function phone(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ userAgent: IPHONE });
  return context.newPage();
}

const sessionRows = (page: Page) => page.getByRole("list", { name: "Sessions" }).getByRole("listitem");

test("a person sees both devices, signs the phone out, and the phone is told why", async ({ page, browser }) => {
  const problems = watchConsole(page);
  const name = await newAccount(page);
  const other = await phone(browser);
  await logIn(other, "/hello", name, PASSWORD);
  await expect(other.getByTestId("greeting")).toHaveText("Hello, World!");

  // The username in the navigation leads to the account page.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(sessionRows(page)).toHaveCount(2);
  const laptop = sessionRows(page).filter({ hasText: "This device" });
  await expect(laptop).toContainText("Chrome on Linux");
  const iphone = sessionRows(page).filter({ hasText: "Safari on iPhone" });
  await expect(iphone).toContainText("from 127.0.0.1");
  await expect(laptop.getByRole("button", { name: /Log out/ })).toHaveCount(0);
  await expectNoAxeViolations(page);

  await iphone.getByRole("button", { name: /^Log out Safari on iPhone/ }).click();
  await expect(page.getByTestId("sessions-outcome")).toHaveText("Logged out of Safari on iPhone.");
  await expect(sessionRows(page)).toHaveCount(1);

  // The phone's next step lands on the login page, with the reason.
  // (It is on /hello, whose greeting is a protected call; the inspector
  // may make none.)
  await other.reload();
  await expect(other).toHaveURL(/\/login\?next=\/hello&reason=elsewhere$/);
  await expect(other.getByTestId("signed-out-elsewhere")).toHaveText(
    "You were logged out from another device. Please log in again.",
  );
  expect(await storedTokens(other)).toBeNull();
  // This device is still in. (Through the app's own navigation: a page
  // load could cut off a refresh in flight, whose rotated token would
  // then be lost with it; see --rotation-overlap.)
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Hello" }).click();
  await expect(page.getByTestId("greeting")).toHaveText("Hello, World!");
  expect(unexpected(problems)).toEqual([]);
  await other.context().close();
});

test("a password change signs every device out and carries this one on in a new session", async ({ page, browser }) => {
  const name = await newAccount(page);
  const other = await phone(browser);
  await logIn(other, "/hello", name, PASSWORD);

  await openHydrated(page, "/account");
  await expect(sessionRows(page)).toHaveCount(2);
  // The rule is shown before anything is sent; mistakes are caught inline.
  await expect(page.getByText("At least 8 characters.")).toBeVisible();
  await page.getByLabel("Current password").fill("not-my-password");
  await page.getByLabel("New password", { exact: true }).fill("second-password");
  await page.getByLabel("Confirm new password").fill("second-passwort");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("confirm-password-error")).toHaveText("The two new passwords are not the same.");
  await expect(page.getByLabel("Confirm new password")).toBeFocused();
  await page.getByLabel("Confirm new password").fill("second-password");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("old-password-error")).toHaveText(
    "That is not your current password.",
  );
  await expect(page.getByLabel("Current password")).toHaveAttribute("aria-invalid", "true");
  // The cursor is put where the mistake is.
  await expect(page.getByLabel("Current password")).toBeFocused();
  // Django's rules, once the current password is right: not the same one.
  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByLabel("New password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Confirm new password").fill(PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("new-password-error")).toHaveText("The new password must differ from the current one.");
  await expect(sessionRows(page)).toHaveCount(2);

  const before = await storedTokens(page);
  await page.getByLabel("New password", { exact: true }).fill("second-password");
  await page.getByLabel("Confirm new password").fill("second-password");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("password-changed")).toHaveText(
    "Your password was changed. Your other sessions were logged out.",
  );
  // The list follows at once; this tab holds a new session's tokens, and
  // the old ones (a copy an intruder might hold) are dead.
  await expect(sessionRows(page)).toHaveCount(1);
  await expect.poll(async () => (await storedTokens(page))?.refresh).not.toBe(before?.refresh);
  const stale = await page.request.get("/hello/", { headers: { Authorization: `Bearer ${before?.access}` } });
  expect(stale.status()).toBe(401);
  await openHydrated(page, "/hello");
  await expect(page.getByTestId("greeting")).toHaveText("Hello, World!");
  await openHydrated(page, "/account");
  await page.waitForFunction(() => document.body.dataset.hydrated === "true");
  await expect(sessionRows(page)).toHaveCount(1);

  await other.reload();
  await expect(other).toHaveURL(/reason=elsewhere/);
  await expect(other.getByTestId("signed-out-elsewhere")).toBeVisible();
  // The old password no longer opens the account; the new one does.
  await other.getByLabel("Username").fill(name);
  await other.getByLabel("Password").fill(PASSWORD);
  await other.getByRole("button", { name: "Log in" }).click();
  await expect(other.getByTestId("form-error")).toHaveText("Wrong username or password.");
  await other.getByLabel("Password").fill("second-password");
  await other.getByRole("button", { name: "Log in" }).click();
  await expect(other.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedIn");
  await other.context().close();
});

test("the account page works with the keyboard alone", async ({ page, browser }) => {
  const name = await newAccount(page);
  const other = await phone(browser);
  await logIn(other, "/hello", name, PASSWORD);
  await openHydrated(page, "/account");
  await expect(sessionRows(page)).toHaveCount(2);

  // Tab to the other session's "Log out" and press Enter.
  const signOut = sessionRows(page).filter({ hasText: "Safari on iPhone" }).getByRole("button");
  for (let presses = 0; presses < 20 && !(await signOut.evaluate((el) => el === document.activeElement)); presses++) {
    await page.keyboard.press("Tab");
  }
  await expect(signOut).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("sessions-outcome")).toHaveText("Logged out of Safari on iPhone.");

  // The password form: Tab from field to field (past each field's "Show
  // password" toggle), Enter submits.
  await page.getByLabel("Current password").focus();
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Tab");
  await expect(page.getByTestId("old-password-show")).toBeFocused();
  await page.keyboard.press("Tab");
  await page.keyboard.type("keyboard-password");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Confirm new password")).toBeFocused();
  await page.keyboard.type("keyboard-password");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("password-changed")).toBeVisible();
  await other.context().close();
});

test("the start page and the login page speak to a logged-in person", async ({ page }) => {
  const name = await newAccount(page);
  await openHydrated(page, "/");
  await expect(page.getByText(`Welcome back, ${name}.`)).toBeVisible();
  await expect(page.getByTestId("session-glance")).toHaveText(
    "This is Chrome on Linux. You are logged in on this device only.",
  );
  await expect(page.getByRole("link", { name: "Your account" })).toBeVisible();

  await openHydrated(page, "/login?next=/tokens");
  await expect(page.getByTestId("already-logged-in")).toContainText(`You are logged in as ${name}.`);
  await expect(page.getByLabel("Username")).toHaveCount(0);
  await page.getByRole("link", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/tokens$/);

  await openHydrated(page, "/login");
  await page.getByRole("button", { name: "Switch account" }).click();
  await expect(page.getByLabel("Username")).toBeVisible();
  await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedOut");
  expect(await storedTokens(page)).toBeNull();
});

test("recent activity shows a sign-in from another browser and a failed attempt", async ({ page, browser }) => {
  const name = await newAccount(page);
  const other = await phone(browser);
  await logIn(other, "/hello", name, PASSWORD);
  const guess = await page.request.post("/api/token/", { data: { username: name, password: "not-my-password" } });
  expect(guess.status()).toBe(401);

  await openHydrated(page, "/account");
  const activity = page.getByRole("list", { name: "Recent activity" }).getByRole("listitem");
  // Newest first: the guess, the phone's sign-in, this browser's sign-up.
  await expect(activity).toHaveCount(4);
  await expect(activity.nth(0)).toContainText("Failed login attempt");
  await expect(activity.nth(0)).toHaveAttribute("data-kind", "login_failed");
  await expect(activity.nth(1)).toContainText("Logged in");
  await expect(activity.nth(1)).toContainText("Safari on iPhone · from 127.0.0.1");
  await expect(activity.nth(2)).toContainText("Logged in");
  await expect(activity.nth(3)).toContainText("Account created");
  await expectNoAxeViolations(page);

  // Signing the phone out shows at once.
  await sessionRows(page).filter({ hasText: "Safari on iPhone" }).getByRole("button").click();
  await expect(page.getByTestId("sessions-outcome")).toHaveText("Logged out of Safari on iPhone.");
  await expect(activity).toHaveCount(5);
  await expect(activity.nth(0)).toContainText("Logged out of a session");
  await other.context().close();
});

/**
 * Holds back the answer of the page's next refresh (the server has rotated
 * the token) until `release()`; later refreshes pass. Returns once that
 * refresh was sent (3 s access tokens: within seconds), with the refresh
 * token it retired and the refresh tokens of every logout sent since.
 */
async function holdNextRefresh(page: Page): Promise<{ retired: string; release: () => void; logouts: string[] }> {
  let retired = "";
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route(
    (url) => url.pathname.startsWith("/api/refresh_tokens"),
    async (route) => {
      if (retired) return route.continue();
      retired = new URLSearchParams(route.request().postData() ?? "").get("refresh") ?? "";
      const response = await route.fetch();
      await released;
      await route.fulfill({ response });
    },
  );
  const logouts: string[] = [];
  page.on("requestfinished", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname.startsWith("/api/logout")) {
      logouts.push(new URLSearchParams(request.postData() ?? "").get("refresh") ?? "");
    }
  });
  await expect.poll(() => retired, { timeout: 20_000 }).not.toBe("");
  return { retired, release, logouts };
}

test("a logout while a refresh is under way is recorded as a logout, not as a login used from two places", async ({
  page,
}) => {
  const problems = watchConsole(page);
  const name = await newAccount(page);
  // The timer's next refresh reaches the server, which rotates the token,
  // but its answer is held back until "Log out" has been pressed.
  const { retired, release, logouts } = await holdNextRefresh(page);
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await expect(page.getByTestId("logged-out")).toHaveText("You have logged out.");
  release();
  // The button's logout, with the token it knew, is sent last.
  await expect.poll(() => logouts, { timeout: 20_000 }).toContain(retired);

  await logIn(page, "/account", name, PASSWORD);
  const activity = page.getByRole("list", { name: "Recent activity" }).getByRole("listitem");
  // Newest first: this login, the logout, the sign-up's login, the sign-up.
  await expect(activity).toHaveCount(4);
  await expect(activity.nth(1)).toHaveAttribute("data-kind", "logout");
  await expect(page.locator('[data-kind="refresh_reuse"]')).toHaveCount(0);
  expect(unexpected(problems)).toEqual([]);
});

test("a logout and a new login while a refresh is under way end the old session as a logout", async ({ page }) => {
  const problems = watchConsole(page);
  const name = await newAccount(page);
  // As above, the refresh's answer (the old session's successor) is held
  // back; meanwhile the person logs out and logs in again in the same tab.
  const { retired, release, logouts } = await holdNextRefresh(page);
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await expect(page.getByTestId("logged-out")).toHaveText("You have logged out.");
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  // The login waits for the refresh under way (it holds the refresh lock),
  // so that the logout's deletion of the DPoP key cannot overtake it.
  await expect(page.getByRole("button", { name: "Logging in…" })).toBeVisible();
  release();
  await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedIn");
  const current = (await storedTokens(page))?.refresh;
  // The rotation ended its successor as a logout, then the button's logout
  // was sent with the token it knew; the new session is untouched.
  await expect.poll(() => logouts, { timeout: 20_000 }).toContain(retired);
  expect(logouts.filter((refresh) => refresh !== retired && refresh !== current)).toHaveLength(1);
  expect(logouts).not.toContain(current);
  // The new session's own refresh (3 s tokens) goes through: its DPoP key
  // is the one it was bound to.
  const { access } = (await storedTokens(page))!;
  await expect.poll(async () => (await storedTokens(page))?.access, { timeout: 20_000 }).not.toBe(access);
  await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedIn");

  await page.goto("/account");
  await expect(sessionRows(page)).toHaveCount(1);
  const activity = page.getByRole("list", { name: "Recent activity" }).getByRole("listitem");
  await expect(page.locator('[data-kind="logout"]')).toHaveCount(1);
  await expect(activity).toHaveCount(4);
  await expect(page.locator('[data-kind="refresh_reuse"]')).toHaveCount(0);
  expect(unexpected(problems)).toEqual([]);
});
