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
#   IMPORTED=1 bench/login-cost.sh   (also an account imported from Django and
#       not yet logged in, PBKDF2 at a million iterations, as many as native
#       ones: one account in two then has the slower hash, and the line to read is
#       `login_unknown_slow_share`, about 0.5 when unknown names mimic it)
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
imported=()
if [[ -n ${IMPORTED:-} ]]; then
    # As many accounts as bench/server.sh made, each with Django 5.2's own
    # PBKDF2 hash of alice (server/tests/fixtures/django/users.csv).
    alice=$(grep -E '^alice,' server/tests/fixtures/django/users.csv)
    {
        echo "username,password_hash,is_active"
        echo "$alice"
        for i in $(seq 0 $((BENCH_LOGIN_USERS - 1))); do echo "alice$i,${alice#alice,}"; done
    } | "$BENCH_BIN" user import --format csv - >/dev/null
    imported=(alice)
fi
export TESSERA_LOGIN_FREE_FAILURES=1000000 TESSERA_LOGIN_ADDRESS_FAILURES=1000000
cargo build --release -q -p tessera-bench --bin login_cost
start_bench_server
target/release/login_cost "$BASE" "$ROUNDS" "$BENCH_USER" "$BENCH_PASSWORD" "${imported[@]}"
