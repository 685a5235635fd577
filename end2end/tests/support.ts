import { expect, type Page } from "@playwright/test";

/** Collects console errors and uncaught exceptions of a page. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") {
      problems.push(`${message.type()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  return problems;
}

/** Opens a page and waits until the wasm bundle has hydrated it. */
export async function openHydrated(page: Page, path: string): Promise<void> {
  const wasm = page.waitForResponse((response) => response.url().endsWith(".wasm"));
  await page.goto(path);
  expect((await wasm).ok()).toBe(true);
  await page.waitForFunction(() => document.body.dataset.hydrated === "true");
}
