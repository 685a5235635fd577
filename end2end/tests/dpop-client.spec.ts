import { expect, test } from "@playwright/test";
import * as DPoP from "dpop";
import { claims, openHydrated } from "./support";

// A DPoP client that is not ours: npm `dpop` (by the author of `jose`)
// makes the key pair and the proofs; Node's fetch sends them. It logs in,
// calls /hello/, refreshes and logs out, as an API client would, and a
// copy of its tokens without the key is refused.

const PASSWORD = "a-long-enough-password";

async function signUp(page: import("@playwright/test").Page, name: string): Promise<void> {
  await openHydrated(page, "/signup");
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("whoami")).toHaveText(name);
}

for (const alg of ["ES256", "Ed25519"] as const) {
  test(`npm dpop (${alg}) logs in, calls /hello/, refreshes and logs out with bound tokens`, async ({
    page,
    baseURL,
  }) => {
    const name = `dpop-${alg.toLowerCase()}-${Date.now()}`;
    await signUp(page, name);
    const keys = await DPoP.generateKeyPair(alg);
    const thumbprint = await DPoP.calculateThumbprint(keys.publicKey);
    const url = (path: string) => `${baseURL}${path}`;
    const post = async (path: string, body: object, proof?: string) =>
      fetch(url(path), {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(proof ? { DPoP: proof } : {}) },
        body: JSON.stringify(body),
      });

    const login = await post(
      "/api/token/",
      { username: name, password: PASSWORD },
      await DPoP.generateProof(keys, url("/api/token/"), "POST"),
    );
    expect(login.status).toBe(200);
    const pair = await login.json();
    expect(pair.token_type).toBe("DPoP");
    expect(claims(pair.access).cnf).toEqual({ jkt: thumbprint });
    expect(claims(pair.refresh).cnf).toEqual({ jkt: thumbprint });

    // The access token lives 3 s on the test server: refresh first, so the
    // calls below never race its expiry.
    const refreshed = await post(
      "/api/token/refresh/",
      { refresh: pair.refresh },
      await DPoP.generateProof(keys, url("/api/token/refresh/"), "POST"),
    );
    expect(refreshed.status).toBe(200);
    const next = await refreshed.json();
    expect(next.token_type).toBe("DPoP");
    expect(claims(next.access).cnf).toEqual({ jkt: thumbprint });

    const hello = await fetch(url("/hello/"), {
      headers: {
        Authorization: `DPoP ${next.access}`,
        DPoP: await DPoP.generateProof(keys, url("/hello/"), "GET", undefined, next.access),
      },
    });
    // 401 only if 3 s passed since the refresh (a very slow machine): then
    // the reason must be the expiry, never the proof.
    const greeting = await hello.json();
    if (hello.status === 200) {
      expect(greeting).toEqual({ message: "Hello, World!" });
    } else {
      expect(greeting.messages[0].message).toBe("Token is expired");
    }

    // A copy of the access token, without the key: refused as a bearer
    // token, for its binding (or, 3 s on, as expired).
    const copied = await fetch(url("/hello/"), { headers: { Authorization: `Bearer ${next.access}` } });
    expect(copied.status).toBe(401);
    const refusal = await copied.json();
    if (refusal.messages[0].message !== "Token is expired") {
      expect(copied.headers.get("www-authenticate")).toMatch(/^DPoP error="invalid_token", algs="/);
    }

    const logout = await post(
      "/api/token/blacklist/",
      { refresh: next.refresh },
      await DPoP.generateProof(keys, url("/api/token/blacklist/"), "POST"),
    );
    expect(logout.status).toBe(200);
    const after = await post(
      "/api/token/refresh/",
      { refresh: next.refresh },
      await DPoP.generateProof(keys, url("/api/token/refresh/"), "POST"),
    );
    expect(after.status).toBe(401);
  });
}

test("a refresh token copied without its key ends the session it was taken from", async ({ page, baseURL }) => {
  const name = `dpop-theft-${Date.now()}`;
  await signUp(page, name);
  const keys = await DPoP.generateKeyPair("ES256");
  const url = (path: string) => `${baseURL}${path}`;
  const login = await fetch(url("/api/token/"), {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      DPoP: await DPoP.generateProof(keys, url("/api/token/"), "POST"),
    },
    body: JSON.stringify({ username: name, password: PASSWORD }),
  });
  const pair = await login.json();
  const thief = await DPoP.generateKeyPair("ES256");
  const stolen = await fetch(url("/api/token/refresh/"), {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      DPoP: await DPoP.generateProof(thief, url("/api/token/refresh/"), "POST"),
    },
    body: JSON.stringify({ refresh: pair.refresh }),
  });
  expect(stolen.status).toBe(401);
  const owner = await fetch(url("/api/token/refresh/"), {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      DPoP: await DPoP.generateProof(keys, url("/api/token/refresh/"), "POST"),
    },
    body: JSON.stringify({ refresh: pair.refresh }),
  });
  expect(owner.status).toBe(401);
  expect(await owner.json()).toEqual({ detail: "Token is blacklisted", code: "token_not_valid" });
});
