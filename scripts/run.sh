#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build the release site,
# compress its files, and serve it on SQLite at http://127.0.0.1:3000 (data
# in ./data/). Arguments go to the server: `make run` takes none, but
# `scripts/run.sh --help` lists the flags.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/build-env.sh   # npm's wasm-opt, short paths in the wasm
cargo leptos build --release --split
node scripts/precompress.mjs target/site
export TESSERA_ALLOW_SIGNUP="${TESSERA_ALLOW_SIGNUP:-true}"
exec target/release/tessera "$@"
