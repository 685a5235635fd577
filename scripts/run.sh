#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build the release site,
# compress its files, and serve it on SQLite at http://127.0.0.1:3000 (data
# in ./data/). Arguments go to the server: `make run` takes none, but
# `scripts/run.sh --help` lists the flags.
#
# A build takes minutes even when nothing changed (cargo-leptos binds,
# splits and optimises the browser bundle every time), so the build is
# skipped when the last one was made from exactly these inputs and its
# server binary is still the one it made (target/.run-built-from).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/build-env.sh   # npm's wasm-opt, short paths in the wasm

stamp=target/.run-built-from
server=target/release/tessera

# What the build reads: the sources and manifests, the tools and their
# settings. Empty outside a git checkout (then every run builds).
inputs_fingerprint() {
    git rev-parse --is-inside-work-tree >/dev/null 2>&1 || return 0
    {
        rustc -V
        cargo leptos --version
        env | grep -E '^(CARGO|RUSTFLAGS|LEPTOS_|TESSERA_BUILD)' | sort || true
        # Content, not times: a checkout or a touch alone changes nothing.
        git ls-files -z --cached --others --exclude-standard -- \
            Cargo.toml Cargo.lock build.rs src app server frontend style public migrations \
            bench/Cargo.toml end2end/package-lock.json scripts/build-env.sh scripts/precompress.mjs |
            xargs -0 -r sha256sum 2>/dev/null || true   # a deleted file drops out of the list
    } | sha256sum | cut -d' ' -f1
}
# The binary the build left, by size and time: a build of another kind
# since (cargo build, cargo test) would not match.
server_identity() { stat -c '%s %Y' "$server" 2>/dev/null || true; }

fingerprint=$(inputs_fingerprint)
if [[ -n $fingerprint && -x $server && -f $stamp &&
      "$(cat "$stamp")" == "$fingerprint $(server_identity)" ]]; then
    echo "nothing changed since the last build: serving it"
else
    rm -f "$stamp"
    cargo leptos build --release --split
    node scripts/precompress.mjs target/site
    if [[ -n $fingerprint ]]; then echo "$fingerprint $(server_identity)" >"$stamp"; fi
fi
export TESSERA_ALLOW_SIGNUP="${TESSERA_ALLOW_SIGNUP:-true}"
exec "$server" "$@"
