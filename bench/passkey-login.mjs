// Sign-in latency with a passkey, on a running server: ROUNDS users each
// register a passkey (made here with WebCrypto's P-256, as a platform
// authenticator would), then each signs in with it: `login/begin/`, the
// signature, `login/finish/`. Prints the median and 90th percentile of the
// whole sign-in and of `finish` alone.
//
// Usage: node bench/passkey-login.mjs BASE ROUNDS PASSWORD USER_PREFIX
// (run by bench/two-step-login.sh, which starts the server and makes the
// users; users ROUNDS*2 .. ROUNDS*3-1 are this script's).
import { webcrypto as crypto } from "node:crypto";

const [base, roundsText, password, prefix] = process.argv.slice(2);
const rounds = Number(roundsText);
// The server listens on loopback: its passkeys are made for localhost.
const origin = base.replace("127.0.0.1", "localhost");

const b64 = (bytes) => Buffer.from(bytes).toString("base64url");
const unb64 = (text) => new Uint8Array(Buffer.from(text, "base64url"));
const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
const concat = (...parts) => Uint8Array.from(parts.flatMap((part) => [...part]));

async function post(path, body, token) {
  const reply = await fetch(base + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body ?? {}),
  });
  const json = await reply.json();
  if (!reply.ok) throw new Error(`${path}: ${reply.status} ${JSON.stringify(json)}`);
  return json;
}

// CBOR (RFC 8949), the little an attestation object needs.
function head(major, n) {
  if (n < 24) return [(major << 5) | n];
  if (n < 256) return [(major << 5) | 24, n];
  return [(major << 5) | 25, n >> 8, n & 0xff];
}
const cborInt = (n) => (n >= 0 ? head(0, n) : head(1, -1 - n));
const cborBytes = (bytes) => [...head(2, bytes.length), ...bytes];
const cborText = (text) => [...head(3, Buffer.byteLength(text)), ...Buffer.from(text)];

/** A WebCrypto ECDSA signature (r‖s) as the DER WebAuthn carries. */
function der(raw) {
  const integer = (bytes) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const trimmed = [...bytes.slice(start)];
    if (trimmed[0] & 0x80) trimmed.unshift(0);
    return [0x02, trimmed.length, ...trimmed];
  };
  const body = [...integer(raw.slice(0, 32)), ...integer(raw.slice(32))];
  return Uint8Array.from([0x30, body.length, ...body]);
}

function clientData(type, challenge) {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
}

let counter = 0;

async function register(access) {
  const { ceremony, publicKey } = await post("/api/passkeys/register/begin/", null, access);
  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  const jwk = await crypto.subtle.exportKey("jwk", keys.publicKey);
  const id = crypto.getRandomValues(new Uint8Array(32));
  const coseKey = [
    0xa5,
    ...cborInt(1), ...cborInt(2),
    ...cborInt(3), ...cborInt(-7),
    ...cborInt(-1), ...cborInt(1),
    ...cborInt(-2), ...cborBytes(unb64(jwk.x)),
    ...cborInt(-3), ...cborBytes(unb64(jwk.y)),
  ];
  counter += 1;
  const authData = concat(
    await sha256(Buffer.from(publicKey.rp.id)),
    [0x45],
    [0, 0, 0, counter],
    new Uint8Array(16),
    [0, id.length],
    id,
    coseKey,
  );
  const attestation = Uint8Array.from([
    0xa3,
    ...cborText("fmt"), ...cborText("none"),
    ...cborText("attStmt"), 0xa0,
    ...cborText("authData"), ...cborBytes(authData),
  ]);
  const credential = {
    id: b64(id),
    rawId: b64(id),
    type: "public-key",
    response: {
      clientDataJSON: b64(clientData("webauthn.create", publicKey.challenge)),
      attestationObject: b64(attestation),
    },
    clientExtensionResults: {},
  };
  await post("/api/passkeys/register/finish/", { ceremony, credential, name: "bench" }, access);
  return { id, key: keys.privateKey, handle: unb64(publicKey.user.id) };
}

async function signIn(passkey) {
  const started = performance.now();
  const { ceremony, publicKey } = await post("/api/passkeys/login/begin/");
  counter += 1;
  const authData = concat(await sha256(Buffer.from(publicKey.rpId)), [0x05], [0, 0, counter >> 8, counter & 0xff]);
  const data = clientData("webauthn.get", publicKey.challenge);
  const signed = concat(authData, await sha256(data));
  const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, passkey.key, signed));
  const credential = {
    id: b64(passkey.id),
    rawId: b64(passkey.id),
    type: "public-key",
    response: {
      clientDataJSON: b64(data),
      authenticatorData: b64(authData),
      signature: b64(der(raw)),
      userHandle: b64(passkey.handle),
    },
    clientExtensionResults: {},
  };
  const finishing = performance.now();
  const pair = await post("/api/passkeys/login/finish/", { ceremony, credential });
  const done = performance.now();
  if (!pair.access) throw new Error("no access token");
  return [done - started, done - finishing];
}

function summary(name, samples) {
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)];
  const p90 = samples[Math.floor(samples.length * 0.9) - 1];
  console.log(`${name}_median_ms ${median.toFixed(1)}`);
  console.log(`${name}_p90_ms ${p90.toFixed(1)}`);
}

const passkeys = [];
for (let i = 0; i < rounds; i++) {
  const { access } = await post("/api/token/", { username: `${prefix}${rounds * 2 + i}`, password });
  passkeys.push(await register(access));
}
const whole = [];
const finish = [];
for (const passkey of passkeys) {
  const [all, last] = await signIn(passkey);
  whole.push(all);
  finish.push(last);
}
summary("login_with_passkey", whole);
summary("login_with_passkey_finish_only", finish);
