#!/usr/bin/env bash
# Prints the size of the release wasm: raw, gzip -9 and brotli -q 11.
#
# The build splits the bundle (`cargo leptos build --release --split`):
#   wasm_bytes_*               the main module, which every page loads first
#   wasm_page_<page>_brotli    what showing <page> adds (its page file plus the
#                              shared chunks it needs), fetched in parallel
#   wasm_calls_<name>_brotli   the same for other code loaded on first use
#                              (the session's refresh and logout)
#   wasm_total_brotli          every wasm file of the site
# Each file is compressed on its own, as a server would send it.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=target/site/pkg
wasm=$pkg/tessera.wasm
[[ -f $wasm ]] || { echo "no $wasm: run cargo leptos build --release --split first" >&2; exit 1; }
brotli_size() { brotli -q 11 -c "$1" | wc -c; }
echo "wasm_bytes_raw $(stat -c %s "$wasm")"
echo "wasm_bytes_gzip $(gzip -9 -c "$wasm" | wc -c)"
echo "wasm_bytes_brotli $(brotli_size "$wasm")"

manifest=$pkg/__wasm_split_manifest.json
[[ -f $manifest ]] || exit 0
declare -A sizes
total=0
for file in "$pkg"/*.wasm; do
    name=$(basename "$file" .wasm)
    sizes[$name]=$(brotli_size "$file")
    total=$((total + sizes[$name]))
done
# The manifest maps each split function to the files it needs:
# {"page_tokens": ["chunk_7", …, "split_page_tokens"], "session_calls": […], …}
python3 - "$manifest" <<'PY' | while read -r page files; do
import json, sys
for split, files in sorted(json.load(open(sys.argv[1])).items()):
    label = split if split.startswith("page_") else f"calls_{split}"
    print(label, " ".join(files))
PY
    sum=0
    for name in $files; do sum=$((sum + sizes[$name])); done
    echo "wasm_${page}_brotli $sum"
done
echo "wasm_total_brotli $total"
