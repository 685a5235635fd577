#!/usr/bin/env bash
# What a failed login costs by path (unknown name, wrong password, right
# password), on the release server with a fresh SQLite database, or the
# PostgreSQL database of DATABASE_URL when set. Throttling is opened wide so
# that every attempt reaches the password check. The line to read is
# `login_unknown_over_wrong`: 1.00 means no timing tells whether a name exists.
#
#   bench/login-cost.sh            (after `cargo leptos build --release --split`)
#   ROUNDS=200 bench/login-cost.sh
#   BENCH_BIN=/tmp/tessera-old bench/login-cost.sh   (another build, side by side)
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-100}
PORT=${PORT:-3210}
postgres_url=${DATABASE_URL:-}
source bench/server.sh
prepare_bench_server "$PORT"
if [[ -n $postgres_url ]]; then
    export DATABASE_URL=$postgres_url
    printf '%s\n' "$BENCH_PASSWORD" | "$BENCH_BIN" user add "$BENCH_USER" --password-stdin >/dev/null 2>&1 || true
fi
export TESSERA_LOGIN_FREE_FAILURES=1000000 TESSERA_LOGIN_ADDRESS_FAILURES=1000000
cargo build --release -q -p tessera-bench --bin login_cost
start_bench_server
target/release/login_cost "$BASE" "$ROUNDS" "$BENCH_USER" "$BENCH_PASSWORD"
