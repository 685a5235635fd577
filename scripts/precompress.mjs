// Compresses the site's static files once, at build time: `name.br`
// (brotli, quality 11) and `name.gz` (gzip -9) beside each text or wasm
// file, which the server sends to browsers that accept them
// (server/src/assets.rs). Node's zlib is the reference brotli and zlib
// libraries, so no other tool is needed; cargo-leptos' own `--precompress`
// wrote gzip files 16 % larger than zlib's level 9 (212 646 bytes instead of
// 183 990 for the main module; brotli the same 149 405).
//
//   node scripts/precompress.mjs [SITE_ROOT]     (default target/site)
//
// A compressed twin is written only when it is smaller than the file; old
// twins are replaced, twins of files that are gone are removed.
import { existsSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const root = process.argv[2] ?? "target/site";
const COMPRESSIBLE = /\.(wasm|js|mjs|css|html|svg|json|txt|xml|map|ts)$/;
const TWINS = /\.(br|gz)$/;

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (entry.isFile()) yield path;
  }
}

let written = 0;
let originalBytes = 0;
let brotliBytes = 0;
for (const path of [...files(root)]) {
  if (TWINS.test(path)) {
    // A twin whose original is gone (a previous build's hashed name).
    if (!existsSync(path.slice(0, -3))) unlinkSync(path);
    continue;
  }
  if (!COMPRESSIBLE.test(path)) continue;
  const bytes = readFileSync(path);
  const twins = {
    br: brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_LGWIN]: constants.BROTLI_MAX_WINDOW_BITS,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
    gz: gzipSync(bytes, { level: 9 }),
  };
  for (const [extension, compressed] of Object.entries(twins)) {
    const twin = `${path}.${extension}`;
    if (compressed.length < bytes.length) {
      writeFileSync(twin, compressed);
      written++;
    } else if (existsSync(twin)) {
      unlinkSync(twin);
    }
  }
  originalBytes += bytes.length;
  brotliBytes += Math.min(twins.br.length, bytes.length);
}
const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
console.log(
  `precompressed ${root}: ${written} files written; ${kb(originalBytes)} → ${kb(brotliBytes)} with brotli`,
);
