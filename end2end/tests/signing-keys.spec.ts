import { execFileSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { es256Data, es256Port } from "../playwright.config";
import { logIn, PASSWORD, storedTokens, USER, watchConsole } from "./support";

// Against the second server of the suite, which signs with ES256.
const origin = `http://127.0.0.1:${es256Port}`;
test.use({ baseURL: origin });

const kidOf = (token: string) => decodeProtectedHeader(token).kid as string;

/** What a resource server does: verify with the published keys only. */
async function verifiedByJose(token: string) {
  const keys = createRemoteJWKSet(new URL(`${origin}/.well-known/jwks.json`));
  return jwtVerify(token, keys, { algorithms: ["ES256"] });
}

/** `tessera keys rotate`, run by an operator against the server's database. */
function rotateKey(): string {
  return execFileSync("target/release/tessera", ["keys", "rotate"], {
    cwd: "..",
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${es256Data}/tessera.db`,
      TESSERA_SECRET_KEY_FILE: `${es256Data}/secret.key`,
      // The operator's settings are the server's (playwright.config.ts).
      TESSERA_KEY_PUBLICATION_DELAY: "2s",
      RUST_LOG: "warn",
    },
  }).toString();
}

async function apiLogin(request: import("@playwright/test").APIRequestContext) {
  const reply = await request.post("/api/token/", { data: { username: USER, password: PASSWORD } });
  expect(reply.status()).toBe(200);
  return (await reply.json()) as { access: string; refresh: string };
}

test("the inspector names the key of each token, and jose verifies them through a rotation", async ({
  page,
  request,
}) => {
  const problems = watchConsole(page);
  await logIn(page, "/tokens");
  const first = (await storedTokens(page))!;
  const firstKid = kidOf(first.access);
  expect(JSON.parse((await page.getByTestId("access-header").textContent())!)).toEqual({
    alg: "ES256",
    kid: firstKid,
    typ: "JWT",
  });
  await expect(page.getByTestId("access-key")).toHaveText(
    `Signed with ES256 by key ${firstKid}, the current signing key.`,
  );
  expect((await verifiedByJose(first.access)).payload).toMatchObject({ token_type: "access", user_id: "1" });

  const output = rotateKey();
  expect(output).toMatch(/^added ES256 key (\S+): published now/);
  const newKid = output.split(" ")[3].replace(":", "");
  // The server picks the key up within two seconds and signs with it after
  // the publication delay (two seconds here).
  await expect
    .poll(async () => kidOf((await apiLogin(request)).access), { timeout: 15_000 })
    .toBe(newKid);

  // The page still holds tokens of the first key: valid, their key retiring.
  await page.reload();
  await expect(page.getByTestId("access-key")).toHaveText(
    `Signed with ES256 by key ${firstKid}, a replaced key that verifies until its tokens expire.`,
  );
  await expect(page.getByTestId("refresh-key")).toContainText("a replaced key");
  expect((await verifiedByJose(first.access)).protectedHeader.kid).toBe(firstKid);

  await page.getByTestId("refresh-now").click();
  await expect(page.getByTestId("refresh-outcome")).toContainText("New tokens received");
  await expect(page.getByTestId("access-key")).toHaveText(
    `Signed with ES256 by key ${newKid}, the current signing key.`,
  );
  const second = (await storedTokens(page))!;
  expect((await verifiedByJose(second.access)).protectedHeader.kid).toBe(newKid);
  expect(problems).toEqual([]);
});
