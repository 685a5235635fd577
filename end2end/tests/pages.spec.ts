import { expect, test } from "@playwright/test";
import { expectNoAxeViolations, logIn, openHydrated, PASSWORD, storedTokens, unexpected, USER, watchConsole } from "./support";

test("sign-up creates an account, logs it in, and refuses a taken name", async ({ page }) => {
  const problems = watchConsole(page);
  const name = `user-${Date.now()}`;
  await openHydrated(page, "/signup");
  await expect(page.getByLabel("Password")).toHaveAttribute("minlength", "8");
  // serve.sh opens sign-up: the navigation links to it while logged out.
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Create account" })).toBeVisible();
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill("a-long-enough-password");
  await page.getByRole("button", { name: "Create account" }).click();
  // A new account lands on a welcome that says what it can do next.
  await expect(page).toHaveURL(/\/\?welcome$/);
  const welcome = page.getByTestId("new-account");
  await expect(welcome).toContainText(`Welcome, ${name}. Your account is ready, and you are logged in.`);
  await expect(welcome.getByRole("link", { name: "Your account" })).toBeVisible();
  await expect(welcome.getByRole("button")).toHaveCount(0);
  await expect(page.getByTestId("whoami")).toHaveText(name);
  expect((await storedTokens(page))!.username).toBe(name);
  await expectNoAxeViolations(page);

  // Sign-up while logged in says so, as the login page does.
  await openHydrated(page, "/signup");
  await expect(page.getByTestId("already-logged-in")).toContainText(`You are logged in as ${name}.`);
  await expect(page.getByRole("button", { name: "Create account" })).toHaveCount(0);

  await expect(nav.getByRole("link", { name: "Create account" })).toHaveCount(0);
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  // "Log out" says what happened.
  await expect(page.getByTestId("logged-out")).toHaveText("You have logged out.");
  await expect(page).toHaveURL(/\/login\?next=\/signup&reason=logged-out$/);
  await openHydrated(page, "/signup");
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill("another-long-password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("username-error")).toHaveText("A user with that username already exists.");
  await expect(page.getByLabel("Username")).toHaveAttribute("aria-invalid", "true");
  // The cursor is put where the mistake is.
  await expect(page.getByLabel("Username")).toBeFocused();
  expect(unexpected(problems).filter((problem) => !problem.includes("status of 409"))).toEqual([]);
});

test("the server enforces the password rule even without the browser's check", async ({ page }) => {
  await openHydrated(page, "/signup");
  await page.getByLabel("Password").evaluate((input) => input.removeAttribute("minlength"));
  await page.getByLabel("Username").fill(`short-${Date.now()}`);
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("password-error")).toHaveText("The password must have at least 8 characters.");
  expect(await storedTokens(page)).toBeNull();
});

test("the pages have no accessibility violations", async ({ page }) => {
  const problems = watchConsole(page);
  for (const path of ["/", "/login", "/login?reason=expired", "/login?reason=elsewhere", "/signup"]) {
    await openHydrated(page, path);
    await expectNoAxeViolations(page);
  }
  await logIn(page, "/hello");
  await expect(page.getByTestId("greeting")).toBeVisible();
  await expectNoAxeViolations(page);
  await openHydrated(page, "/tokens");
  await expect(page.getByTestId("session-cap")).toBeVisible();
  await expectNoAxeViolations(page);
  await openHydrated(page, "/");
  await expectNoAxeViolations(page);
  expect(problems).toEqual([]);
});

test("the pages work on a phone-sized screen", async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await logIn(page, "/tokens");
  await expect(page.getByTestId("access-countdown")).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});

// Screenshots for README.md: `SCREENSHOTS=1 npx playwright test -g screenshots`
// (or `make screenshots`) writes them to docs/screenshots/.
test("screenshots", async ({ page }) => {
  test.skip(!process.env.SCREENSHOTS, "set SCREENSHOTS=1 to refresh docs/screenshots");
  const shoot = (name: string) => page.screenshot({ path: `../docs/screenshots/${name}.png`, fullPage: true });
  await page.setViewportSize({ width: 1000, height: 720 });
  await openHydrated(page, "/");
  await shoot("home");
  await openHydrated(page, "/login?next=/hello");
  await shoot("login");
  await logIn(page, "/hello");
  await expect(page.getByTestId("greeting")).toBeVisible();
  await page.getByTestId("burst").click();
  await expect(page.getByTestId("burst-outcome")).toHaveText("5 of 5 calls answered.");
  await shoot("hello");
  await openHydrated(page, "/tokens");
  await expect(page.getByTestId("session-cap")).toBeVisible();
  await shoot("tokens");
  await openHydrated(page, "/account");
  await expect(page.getByRole("list", { name: "Sessions" }).getByRole("listitem").first()).toBeVisible();
  await shoot("account");
  await openHydrated(page, "/tokens");
  await page.setViewportSize({ width: 390, height: 844 });
  await shoot("tokens-phone");
  // The same pages in the dark scheme a system may ask for.
  await page.emulateMedia({ colorScheme: "dark" });
  await page.setViewportSize({ width: 1000, height: 720 });
  for (const [path, name] of [["/tokens", "tokens-dark"], ["/account", "account-dark"]]) {
    await openHydrated(page, path);
    await shoot(name);
  }
  await page.goto("/api/docs/");
  await expect(page.locator(".opblock").first()).toBeVisible();
  await page.screenshot({ path: "../docs/screenshots/api-docs-dark.png" });
  await openHydrated(page, "/tokens");
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedOut");
  await openHydrated(page, "/login?next=/hello");
  await shoot("login-dark");
});

test("each page names its tab", async ({ page }) => {
  for (const [path, title] of [
    ["/", "Tessera"],
    ["/login", "Log in \u2013 Tessera"],
    ["/signup", "Create account \u2013 Tessera"],
    ["/forgot-password", "Forgot password \u2013 Tessera"],
    ["/no-such-page", "Page not found \u2013 Tessera"],
  ]) {
    await openHydrated(page, path);
    await expect(page, path).toHaveTitle(title);
  }
  await logIn(page, "/tokens");
  await expect(page).toHaveTitle("Your tokens \u2013 Tessera");
  // Moving within the app names the new page too.
  await page.getByRole("link", { name: "Hello" }).click();
  await expect(page).toHaveTitle("Hello \u2013 Tessera");
  await openHydrated(page, "/account");
  await expect(page).toHaveTitle("Your account \u2013 Tessera");
});

test("the pages follow a dark system scheme, and axe finds nothing in it", async ({ page }) => {
  await page.emulateMedia({ colorScheme: "dark" });
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  for (const path of ["/", "/login", "/signup", "/forgot-password"]) {
    await openHydrated(page, path);
    expect(await background(), path).toBe("rgb(18, 21, 28)");
    await expectNoAxeViolations(page);
  }
  await logIn(page, "/tokens");
  await expect(page.getByTestId("access-countdown")).toBeVisible();
  await expectNoAxeViolations(page);
  await openHydrated(page, "/account");
  await expect(page.getByRole("list", { name: "Sessions" }).getByRole("listitem").first()).toBeVisible();
  await expectNoAxeViolations(page);
  // The API's readable pages share the stylesheet.
  await page.goto("/hello/");
  expect(await background()).toBe("rgb(18, 21, 28)");
  await expectNoAxeViolations(page);
  // Light stays light.
  await page.emulateMedia({ colorScheme: "light" });
  await openHydrated(page, "/login");
  expect(await background()).toBe("rgb(246, 247, 251)");
});

test("what is typed on a slow network before the app starts is kept, and the button says why it waits", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchConsole(page);
  // Fast 3G, as Chrome's DevTools define it.
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 562.5,
    downloadThroughput: (1.6 * 1024 * 1024 * 0.9) / 8,
    uploadThroughput: (750 * 1024 * 0.9) / 8,
  });
  try {
    // The app's wasm is held back until the typing is done: the keystrokes
    // land before the app starts on every run, however fast the machine.
    let release = () => {};
    const typed = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\.wasm$/, async (route) => {
      await typed;
      await route.continue();
    });
    await page.goto("/login", { waitUntil: "domcontentloaded" });
    const button = page.getByTestId("submit");
    await expect(button).toHaveText("Loading…");
    await expect(button).toBeDisabled();
    await page.getByLabel("Username").pressSequentially(USER);
    await page.getByLabel("Password").pressSequentially(PASSWORD);
    release();
    await page.waitForFunction(() => document.body.dataset.hydrated === "true", null, { timeout: 60_000 });
    await expect(page.getByLabel("Username")).toHaveValue(USER);
    await expect(page.getByLabel("Password")).toHaveValue(PASSWORD);
    await expect(button).toHaveText("Log in");
    await button.click();
    await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedIn", { timeout: 30_000 });
    expect(unexpected(problems)).toEqual([]);
  } finally {
    // The emulation is the browser's: the next test gets the full speed back.
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await context.close();
  }
});

test("a password can be shown to check it, and the login and sign-up pages lead to each other", async ({ page }) => {
  await openHydrated(page, "/login");
  const password = page.getByLabel("Password", { exact: true });
  const toggle = page.getByRole("button", { name: "Show password" });
  await password.fill("a secret to check");
  await expect(password).toHaveAttribute("type", "password");
  await expect(toggle).toHaveAttribute("aria-pressed", "false");
  // A click shows it and leaves the caret in the field.
  await toggle.click();
  await expect(password).toHaveAttribute("type", "text");
  await expect(toggle).toHaveAttribute("aria-pressed", "true");
  await expect(password).toBeFocused();
  await expect(password).toHaveValue("a secret to check");
  // From the keyboard: the toggle is the next stop after the field.
  await page.keyboard.press("Tab");
  await expect(toggle).toBeFocused();
  await page.keyboard.press("Space");
  await expect(password).toHaveAttribute("type", "password");
  await expect(toggle).toHaveAttribute("aria-pressed", "false");
  await expectNoAxeViolations(page);

  const links = page.locator(".form-links");
  await links.getByRole("link", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/signup$/);
  await expect(page.getByRole("button", { name: "Show password" })).toBeVisible();
  await page.locator(".form-links").getByRole("link", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/login$/);
});

test("a protected page opened logged out says what the login is for, and a name typed with a trailing space logs in", async ({
  page,
}) => {
  const problems = watchConsole(page);
  await openHydrated(page, "/account");
  await expect(page).toHaveURL(/\/login\?next=\/account$/);
  await expect(page.getByTestId("login-to-see")).toHaveText("Log in to see your account.");
  // A phone keyboard adds a space after a word: the form drops it, as the API does.
  await page.getByLabel("Username").fill(`${USER} `);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId("whoami")).toHaveText(USER);
  expect(unexpected(problems)).toEqual([]);
});

test("the skip link and every page change put the focus on the page's content", async ({ page }) => {
  await openHydrated(page, "/login");
  const main = page.locator("main");
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to content" });
  await expect(skip).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(main).toBeFocused();
  // The next Tab goes on from the content, not from the top of the page.
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Username")).toBeFocused();
  // Moving within the app: the new page's content has the focus.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/signup$/);
  await expect(main).toBeFocused();
});

test("without JavaScript the pages say what they need", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/login");
  // (Playwright's text and role locators skip <noscript>: CSS finds it.)
  const line = page.locator("noscript p");
  await expect(line).toBeVisible();
  await expect(line).toHaveText("These pages need JavaScript to log you in. The API works without it: its documentation.");
  await expect(line.locator("a")).toHaveAttribute("href", "/api/docs/");
  await context.close();
});

test("a long name fits a phone, at 390 px and at 200 % zoom (195 px), with no sideways scrolling", async ({
  page,
}) => {
  const name = `a-rather-long-username-typed-on-a-phone-${Date.now()}`;
  await openHydrated(page, "/signup");
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill("a-long-enough-password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("new-account")).toBeVisible();
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  for (const width of [390, 195]) {
    await page.setViewportSize({ width, height: 844 });
    for (const path of ["/", "/hello", "/tokens", "/account"]) {
      await openHydrated(page, path);
      await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedIn");
      expect(await overflow(), `${path} at ${width} px`).toBeLessThanOrEqual(0);
      // The name is cut with an ellipsis; "Log out" stays on screen.
      const logout = await page.getByRole("button", { name: "Log out", exact: true }).boundingBox();
      expect(logout!.x + logout!.width, `${path} at ${width} px`).toBeLessThanOrEqual(width);
    }
  }
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await expect(page.getByTestId("logged-out")).toBeVisible();
  for (const width of [390, 195]) {
    await page.setViewportSize({ width, height: 844 });
    for (const path of ["/login", "/signup", "/forgot-password"]) {
      await openHydrated(page, path);
      expect(await overflow(), `${path} at ${width} px`).toBeLessThanOrEqual(0);
    }
  }
});
