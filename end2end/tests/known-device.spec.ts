import { expect, test } from "@playwright/test";
import { strictPort } from "../playwright.config";
import { openHydrated } from "./support";

// On a server that locks an address after three failed logins (a NAT or a
// phone carrier puts many people behind one), a browser that has logged in
// as a name before is let through: it shows the marker its earlier login
// left in localStorage.
const base = `http://127.0.0.1:${strictPort}`;
const PASSWORD = "known-device-password";

test("a browser that has logged in before gets in while failures of others lock its address", async ({
  page,
  browser,
}) => {
  const name = `known-${Date.now()}`;
  await openHydrated(page, `${base}/signup`);
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("new-account")).toBeVisible();
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedOut");
  // Logging out keeps the marker: it is no credential.
  const markers = await page.evaluate(() => localStorage.getItem("tessera.known-devices"));
  expect(markers).toContain(name);

  // Three other people behind the same address get their passwords wrong.
  for (const other of ["someone", "someone-else", "a-third"]) {
    const reply = await page.request.post(`${base}/api/token/`, {
      data: { username: other, password: "not-it" },
    });
    expect(reply.status()).toBe(401);
  }

  // A browser that has never logged in here is told to wait, right password or not.
  const stranger = await (await browser.newContext()).newPage();
  await openHydrated(stranger, `${base}/login`);
  await stranger.getByLabel("Username").fill(name);
  await stranger.getByLabel("Password").fill(PASSWORD);
  await stranger.getByRole("button", { name: "Log in" }).click();
  await expect(stranger.getByTestId("form-error")).toContainText("Too many attempts");
  await stranger.context().close();

  // This browser is known for the name: it logs in.
  await openHydrated(page, `${base}/login`);
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("auth-nav")).toHaveAttribute("data-status", "LoggedIn");
});
