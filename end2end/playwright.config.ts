import { defineConfig } from "@playwright/test";

// The suite starts its own release server (serve.sh) on a port of its own with
// a fresh SQLite database, so it never touches a developer's data and works the
// same under `npx playwright test` and `cargo leptos end-to-end`.
const port = Number(process.env.E2E_PORT ?? 3100);
export const baseURL = `http://127.0.0.1:${port}`;
// A second server signing with ES256 (tests/signing-keys.spec.ts), with
// longer-lived tokens so that a page keeps an old key's tokens for a while.
export const es256Port = port + 1;
export const es256Data = "target/e2e-es256";
// A plain-JavaScript app (spa/) on a second origin, which the main server
// allows through CORS (tests/cors-spa.spec.ts).
export const spaPort = port + 2;
// A server that locks an address after three failed logins, as a busy NAT
// would find it (tests/known-device.spec.ts).
export const strictPort = port + 3;
// Two instances on one PostgreSQL database that send mail to a test SMTP
// server (tests/password-reset.spec.ts); the mails land in mailData/mail.
export const mailPort = port + 4;
export const mailSecondPort = port + 5;
export const smtpPort = port + 6;
export const mailData = "target/e2e-mail";
// A third instance of that database that signs accounts in only once their
// address is verified (tests/email-verification.spec.ts).
export const mandatoryPort = port + 7;
// A server that asks DPoP clients for nonces, changing them every 2 s
// (tests/dpop.spec.ts).
export const noncePort = port + 8;

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  // Two files at a time, each file's tests in order: a test spends much of
  // its time waiting on real token lifetimes and throttling waits, and the
  // other worker fills that time (the suite 247 s with one worker, 197 s
  // with two, on two cores, 2026-12-07, `npx playwright test --workers=N`).
  // What two files may do at once: the shared test user's sessions are
  // only ever ended one by one (tests that end every session of a user,
  // change a password or deactivate someone make a user of their own), and
  // the servers that lock an address or check DPoP nonces serve one file.
  fullyParallel: false,
  workers: 2,
  // A failed test runs once more and, if it passes then, is reported as
  // "flaky" in the summary: a bug to fix (the suite's servers run on real
  // time, with 3-second access tokens), never a pass to ignore. Without it a
  // one-in-a-hundred race on a busy machine fails the whole run.
  retries: 1,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
  },
  webServer: [
    {
      command: "bash end2end/serve.sh",
      cwd: "..",
      url: `${baseURL}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "pipe",
      env: {
        E2E_PORT: String(port),
        TESSERA_CORS_ALLOWED_ORIGINS: `http://127.0.0.1:${spaPort}`,
        // tests/admin.spec.ts finds one user among these.
        E2E_SEED_USERS: "10000",
        // Every sign-up of the suite comes from one address.
        TESSERA_SIGNUP_ADDRESS_ATTEMPTS: "50",
      },
    },
    {
      command: "node end2end/spa/serve.mjs",
      cwd: "..",
      url: `http://127.0.0.1:${spaPort}/`,
      reuseExistingServer: false,
      timeout: 10_000,
      stdout: "ignore",
      stderr: "pipe",
      env: { SPA_PORT: String(spaPort) },
    },
    {
      command: "bash end2end/serve.sh",
      cwd: "..",
      url: `http://127.0.0.1:${es256Port}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "pipe",
      env: {
        E2E_PORT: String(es256Port),
        E2E_DATA: es256Data,
        E2E_ACCESS_LIFETIME: "60s",
        E2E_REFRESH_LIFETIME: "300s",
        TESSERA_ALGORITHM: "ES256",
        TESSERA_KEY_PUBLICATION_DELAY: "2s",
      },
    },
    {
      command: "bash end2end/serve.sh",
      cwd: "..",
      url: `http://127.0.0.1:${strictPort}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "pipe",
      env: {
        E2E_PORT: String(strictPort),
        E2E_DATA: "target/e2e-strict",
        E2E_ACCESS_LIFETIME: "60s",
        E2E_REFRESH_LIFETIME: "300s",
        TESSERA_LOGIN_ADDRESS_FAILURES: "3",
      },
    },
    {
      command: "bash end2end/serve.sh",
      cwd: "..",
      url: `http://127.0.0.1:${noncePort}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "pipe",
      env: {
        E2E_PORT: String(noncePort),
        E2E_DATA: "target/e2e-nonce",
        // Unbound tokens are refused here: the app must bind every session.
        TESSERA_DPOP: "required",
        TESSERA_DPOP_NONCE: "true",
        TESSERA_DPOP_PROOF_WINDOW: "2s",
      },
    },
    {
      command: "bash end2end/serve-mail.sh",
      cwd: "..",
      url: `http://127.0.0.1:${mailPort}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "pipe",
      env: {
        E2E_PORT: String(mailPort),
        E2E_SECOND_PORT: String(mailSecondPort),
        E2E_SMTP_PORT: String(smtpPort),
        E2E_MANDATORY_PORT: String(mandatoryPort),
        E2E_DATA: mailData,
      },
    },
  ],
  projects: [
    {
      name: "chromium",
      use: {
        browserName: "chromium",
        launchOptions: {
          executablePath: "/usr/bin/chromium",
          // Our machines have no internet: keep Chromium from trying.
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
          ],
        },
      },
    },
  ],
});
