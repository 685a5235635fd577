// This browser's DPoP key (RFC 9449): an ECDSA P-256 key pair that WebCrypto
// makes non-extractable, so no script can read the private key, only ask the
// browser to sign with it. The CryptoKeyPair itself is kept in IndexedDB
// (structured clone keeps it non-extractable), made once across tabs under a
// Web Lock. Every function resolves to undefined where IndexedDB or WebCrypto
// is missing (some private modes): the app then uses bearer tokens.
//
// The page shell inlines this file as a classic script (with the page's CSP
// nonce), ahead of the wasm, which finds it as `window.tesseraDpop`: pages are
// never cached, so it needs no file name of its own per content.
(() => {

const DATABASE = "tessera";
const STORE = "keys";
const KEY_ID = "dpop";
const LOCK = "tessera.dpop-key";

function request(operation) {
  return new Promise((resolve, reject) => {
    operation.onsuccess = () => resolve(operation.result);
    operation.onerror = () => reject(operation.error);
  });
}

async function store(mode, use) {
  const opening = indexedDB.open(DATABASE, 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
  const database = await request(opening);
  try {
    return await request(use(database.transaction(STORE, mode).objectStore(STORE)));
  } finally {
    database.close();
  }
}

// Read afresh on every use, never cached in the tab: a logout in another
// tab deletes the key, and a tab still signing with a deleted key would
// present the next session's refresh token with the wrong key.
async function keyPair(create) {
  const read = () => store("readonly", (keys) => keys.get(KEY_ID));
  let found = await read();
  if (!found && create) {
    const make = async () => {
      found = await read();
      if (!found) {
        found = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
        await store("readwrite", (keys) => keys.put(found, KEY_ID));
      }
    };
    if (navigator.locks) await navigator.locks.request(LOCK, make);
    else await make();
  }
  return found;
}

function base64url(bytes) {
  let text = "";
  for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const encoder = new TextEncoder();

async function publicJwk(keys) {
  const { kty, crv, x, y } = await crypto.subtle.exportKey("jwk", keys.publicKey);
  return { kty, crv, x, y };
}

/** A proof for `method` on `url` (query and fragment dropped), naming
 * `accessToken` in `ath` if given, and carrying `nonce` if given; undefined
 * where this browser cannot keep a key. */
async function proof(method, url, accessToken, nonce) {
  try {
    const keys = await keyPair(true);
    if (!keys) return undefined;
    const target = new URL(url, location.href);
    target.search = "";
    target.hash = "";
    const header = { typ: "dpop+jwt", alg: "ES256", jwk: await publicJwk(keys) };
    const claims = {
      jti: base64url(crypto.getRandomValues(new Uint8Array(16))),
      htm: method,
      htu: target.href,
      iat: Math.floor(Date.now() / 1000),
    };
    if (accessToken) claims.ath = base64url(await crypto.subtle.digest("SHA-256", encoder.encode(accessToken)));
    if (nonce) claims.nonce = nonce;
    const signed = `${base64url(encoder.encode(JSON.stringify(header)))}.${base64url(encoder.encode(JSON.stringify(claims)))}`;
    const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, keys.privateKey, encoder.encode(signed));
    return `${signed}.${base64url(signature)}`;
  } catch (error) {
    console.warn("DPoP unavailable, using bearer tokens:", error && error.name);
    return undefined;
  }
}

/** The key's RFC 7638 thumbprint, or undefined if this browser holds none. */
async function thumbprint() {
  try {
    const keys = await keyPair(false);
    if (!keys) return undefined;
    const { crv, kty, x, y } = await publicJwk(keys);
    const canonical = JSON.stringify({ crv, kty, x, y });
    return base64url(await crypto.subtle.digest("SHA-256", encoder.encode(canonical)));
  } catch {
    return undefined;
  }
}

/** Forgets the key (at logout): the next login makes a new one. */
async function forget() {
  try {
    await store("readwrite", (keys) => keys.delete(KEY_ID));
  } catch {
    // Nothing was kept.
  }
}

window.tesseraDpop = Object.freeze({ proof, thumbprint, forget });
})();
