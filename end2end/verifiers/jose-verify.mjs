// A verifier that is not Tessera's: `jose` (npm) checks a token against the
// server's published JWK set only, as a resource server would.
//
//   node jose-verify.mjs JWKS_URL ALGORITHM TOKEN...
//
// Prints one line per token: `ok <payload JSON>` or `refused <error code>`.
import { createRemoteJWKSet, jwtVerify } from "jose";

const [jwksUrl, algorithm, ...tokens] = process.argv.slice(2);
const keys = createRemoteJWKSet(new URL(jwksUrl));
for (const token of tokens) {
  try {
    const { payload, protectedHeader } = await jwtVerify(token, keys, {
      algorithms: [algorithm],
    });
    console.log(`ok ${JSON.stringify({ header: protectedHeader, payload })}`);
  } catch (error) {
    console.log(`refused ${error.code ?? error.name}`);
  }
}
