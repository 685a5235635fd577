#!/usr/bin/env bash
# How long a logout on one instance takes to be refused on another: two
# release servers on one PostgreSQL database (polling every --sync-every,
# 1 s by default, plus LISTEN/NOTIFY), TRIALS times: log in on A, check the
# access token on B, log out on A, then ask B every 2 ms until it answers
# 401. Prints the median, the 90th percentile and the worst delay.
#
#   TRIALS=50 bench/propagation.sh
#
# TESSERA_BENCH_POSTGRES names the server (default
# postgres://postgres@127.0.0.1:5432); the script uses a database of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/server.sh

TRIALS=${TRIALS:-30}
postgres=${TESSERA_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
database=tessera_bench_propagation
psql "$postgres/postgres" -qc "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database" >/dev/null 2>&1

prepare_bench_server 3201   # the work directory, the env, $BASE (A)
export DATABASE_URL="$postgres/$database" TESSERA_SECRET_KEY=bench-propagation-secret-0123456789abcdef
printf '%s\n' "$BENCH_PASSWORD" | target/release/tessera user add "$BENCH_USER" --password-stdin >/dev/null
start_bench_server
a=$BASE
b=http://127.0.0.1:3202
LEPTOS_SITE_ADDR=127.0.0.1:3202 target/release/tessera >"$work/b.log" 2>&1 &
second=$!
finish() {
    kill "$server" "$second" 2>/dev/null || true
    wait "$server" "$second" 2>/dev/null || true
    rm -rf "$work"
    psql "$postgres/postgres" -qc "DROP DATABASE IF EXISTS $database" >/dev/null || true
}
trap finish EXIT
wait_until_live "$b" "$second" "$work/b.log"

python3 bench/propagation.py "$a" "$b" "$TRIALS" "$BENCH_LOGIN_BODY"
