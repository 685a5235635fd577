#!/usr/bin/env bash
# Login latency with a TOTP second step and with a passkey, against the
# password alone, on the release server with a fresh SQLite database: ROUNDS
# logins of each, every one a different user (a code works once). Medians,
# 90th percentiles and the TOTP ratio (bench/two-step-login.py), then the
# passkey sign-ins (bench/passkey-login.mjs: begin, sign, finish).
#
#   bench/two-step-login.sh        (after `cargo leptos build --release --split`)
#   ROUNDS=100 bench/two-step-login.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-100}
PORT=${PORT:-3212}
source bench/server.sh
BENCH_LOGIN_USERS=$((ROUNDS * 3))
prepare_bench_server "$PORT"
export TESSERA_LOGIN_FREE_FAILURES=1000000 TESSERA_LOGIN_ADDRESS_FAILURES=1000000
start_bench_server
python3 bench/two-step-login.py "$BASE" "$ROUNDS" "$BENCH_PASSWORD" "$BENCH_USER"
node bench/passkey-login.mjs "$BASE" "$ROUNDS" "$BENCH_PASSWORD" "$BENCH_USER"
