#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build the release site and
# serve it on SQLite at http://127.0.0.1:3000 (data in ./data/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/build-env.sh   # npm's wasm-opt, short paths in the wasm
export TESSERA_ALLOW_SIGNUP="${TESSERA_ALLOW_SIGNUP:-true}"
exec cargo leptos serve --release --split "$@"
