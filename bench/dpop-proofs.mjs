// Logs in to a Tessera server with a DPoP key (npm `dpop`, WebCrypto) and
// writes what a load test of bound requests needs: the bound access token,
// and COUNT proofs for `GET /hello/`, each with its own jti, all naming that
// token, one per line. wrk's Lua cannot sign, so the proofs are made ahead.
//
//   node bench/dpop-proofs.mjs BASE USER PASSWORD COUNT OUT_DIR [ALG]
//
// ALG: ES256 (default, what the web app uses) or Ed25519.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(new URL("../end2end/package.json", import.meta.url));
const DPoP = await import(require.resolve("dpop"));

const [base, user, password, count, out, alg = "ES256"] = process.argv.slice(2);
const keys = await DPoP.generateKeyPair(alg);
const login = await fetch(`${base}/api/token/`, {
  method: "POST",
  headers: {
    "Content-Type": "application/json",
    DPoP: await DPoP.generateProof(keys, `${base}/api/token/`, "POST"),
  },
  body: JSON.stringify({ username: user, password }),
});
if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
const { access, token_type: type } = await login.json();
if (type !== "DPoP") throw new Error("the tokens are not bound");
const proofs = [];
for (let n = 0; n < Number(count); n += 1) {
  proofs.push(await DPoP.generateProof(keys, `${base}/hello/`, "GET", undefined, access));
}
writeFileSync(`${out}/access`, access);
writeFileSync(`${out}/proofs`, `${proofs.join("\n")}\n`);
