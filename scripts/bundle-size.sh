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
#   wasm_main_data_share       the main module's constant data over the whole
#                              program's: well below 1 when the split moved the
#                              pages' constants into their files
# Each file is compressed on its own, as a server would send it.
#
#   scripts/bundle-size.sh --check   also fails when
#     - the main module is over MAX_MAIN_BROTLI (default 183600 B). It holds
#       the login page, so it is all the wasm a first visit of /login
#       downloads: 183 137 B on 2026-12-06 (203 140 B while it read its
#       localStorage and tokens with serde_json), against 157.7 KB of main
#       module plus 99.9 KB of the page's 48 split files (each compressed on
#       its own) when the page was split off. Builds of one commit in two
#       checkouts have differed by ~200 B: keep that much room;
#     - the login page is split off again (page_login in the manifest);
#     - the split kept every constant in the main module (data share).
set -euo pipefail
cd "$(dirname "$0")/.."
check=false
[[ "${1:-}" == "--check" ]] && check=true
max_main=${MAX_MAIN_BROTLI:-183600}
login_split=false
pkg=target/site/pkg
# File names carry a content hash (tessera.<hash>.wasm, hash-files in
# Cargo.toml); an unhashed build has tessera.wasm.
wasm=$(compgen -G "$pkg/tessera.*wasm" | grep -v '\.wasm\.' | head -n 1 || true)
unsplit=target/front/wasm32-unknown-unknown/wasm-release/tessera_frontend.wasm
[[ -n $wasm && -f $wasm ]] || { echo "no $pkg/tessera.*wasm: run cargo leptos build --release --split first" >&2; exit 1; }
brotli_size() { brotli -q 11 -c "$1" | wc -c; }
echo "wasm_bytes_raw $(stat -c %s "$wasm")"
echo "wasm_bytes_gzip $(gzip -9 -c "$wasm" | wc -c)"
echo "wasm_bytes_brotli $(brotli_size "$wasm")"
# The split loader's hashed name is written into the main module (7 times);
# wasm-split's chunks differ from one build to the next, so that name does,
# and it moves the compressed size by up to 300 bytes. With the name put
# back to cargo-leptos' placeholder the module is byte-identical across
# builds: the check measures that.
main_brotli=$(python3 - "$wasm" <<'PY' | brotli -q 11 -c | wc -c
import re, sys
data = open(sys.argv[1], "rb").read()
sys.stdout.buffer.write(re.sub(rb"__wasm_split\.[A-Za-z0-9_-]{22}\.js", b"__wasm_split." + b"_" * 22 + b".js", data))
PY
)
echo "wasm_bytes_brotli_placeholder_name $main_brotli"

# The size of a module's data section (section id 11), from its headers.
data_share=$(python3 - "$wasm" "$unsplit" <<'PY'
import os, sys

def data_section_size(path):
    wasm = open(path, "rb").read()
    def leb(at):
        value = shift = 0
        while True:
            byte = wasm[at]
            at += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value, at
    at = 8
    while at < len(wasm):
        section, size_at = wasm[at], at + 1
        size, at = leb(size_at)
        if section == 11:
            return size
        at += size
    return 0

main, unsplit = sys.argv[1:3]
whole = data_section_size(unsplit) if os.path.exists(unsplit) else 0
print(f"{data_section_size(main) / whole:.2f}" if whole else "unknown")
PY
)
echo "wasm_main_data_share $data_share"

manifest=$(compgen -G "$pkg/__wasm_split_manifest*.json" | grep -v '\.json\.' | head -n 1 || true)
if [[ -n $manifest && -f $manifest ]]; then
    declare -A sizes
    total=0
    for file in "$pkg"/*.wasm; do
        # The manifest names files without the extension, hash included.
        name=$(basename "$file" .wasm)
        sizes[$name]=$(brotli_size "$file")
        total=$((total + sizes[$name]))
    done
    # The manifest maps each split function to the files it needs:
    # {"page_tokens": ["chunk_7", …, "split_page_tokens"], "session_calls": […], …}
    # (Read in this shell, not a pipe's subshell: login_split is kept.)
    while read -r page files; do
        sum=0
        for name in $files; do sum=$((sum + sizes[$name])); done
        echo "wasm_${page}_brotli $sum"
        if [[ $page == page_login ]]; then login_split=true; fi
    done < <(python3 - "$manifest" <<'PY'
import json, sys
for split, files in sorted(json.load(open(sys.argv[1])).items()):
    label = split if split.startswith("page_") else f"calls_{split}"
    print(label, " ".join(files))
PY
)
    echo "wasm_total_brotli $total"
fi

if $check; then
    problems=()
    ((main_brotli <= max_main)) || problems+=("the main wasm module is $main_brotli bytes with brotli (placeholder loader name), over $max_main")
    $login_split && problems+=("the login page is split off; it belongs in the main module (app/src/routes.rs)")
    # 0.95 and above: wasm-split found no room to repack the data segment and
    # kept it whole (see SPLIT_HEADROOM in frontend/src/lib.rs).
    if [[ $data_share != unknown ]] && python3 -c "import sys; sys.exit(0 if $data_share >= 0.95 else 1)"; then
        problems+=("the split kept every constant in the main module (data share $data_share)")
    fi
    if ((${#problems[@]})); then
        printf 'bundle check failed: %s\n' "${problems[@]}" >&2
        exit 1
    fi
fi
