#!/usr/bin/env bash
# Prints the size of the release wasm bundle: raw, gzip -9 and brotli -q 11.
set -euo pipefail
cd "$(dirname "$0")/.."
wasm=target/site/pkg/tessera.wasm
[[ -f $wasm ]] || { echo "no $wasm: run cargo leptos build --release first" >&2; exit 1; }
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
br=$(brotli -q 11 -c "$wasm" | wc -c)
echo "wasm_bytes_raw $raw"
echo "wasm_bytes_gzip $gz"
echo "wasm_bytes_brotli $br"
