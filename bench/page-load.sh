#!/usr/bin/env bash
# What a person on a phone waits for (issue 18): the release server on a
# fresh SQLite database, and Chromium visiting /login and /hello on
# emulated Fast 3G and on plain loopback, first visit and repeat visit:
# time to hydrated, bytes on the wire (see bench/page-load.mjs).
#
#   bench/page-load.sh               (after `cargo leptos build --release --split && node scripts/precompress.mjs`)
#   ROUNDS=9 WATERFALL=1 bench/page-load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/server.sh
[[ -d end2end/node_modules/@playwright/test ]] || (cd end2end && npm ci --no-audit --no-fund)

BENCH_LOGIN_USERS=0   # one user is enough: nobody logs in under load here
prepare_bench_server 3204
start_bench_server
node bench/page-load.mjs "$BASE" "$BENCH_USER" "$BENCH_PASSWORD"
