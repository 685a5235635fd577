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

python3 - "$a" "$b" "$TRIALS" "$BENCH_LOGIN_BODY" <<'PY'
import json, sys, time, urllib.request, urllib.error

a, b, trials, login = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

def post(base, path, body):
    request = urllib.request.Request(base + path, data=body.encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)

def hello(base, access):
    request = urllib.request.Request(base + "/hello/", headers={"Authorization": "Bearer " + access})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code

delays = []
for _ in range(trials):
    pair = post(a, "/api/token/", login)
    while hello(b, pair["access"]) != 200:
        time.sleep(0.002)
    started = time.perf_counter()
    post(a, "/api/token/blacklist/", json.dumps({"refresh": pair["refresh"]}))
    while hello(b, pair["access"]) != 401:
        time.sleep(0.002)
    delays.append((time.perf_counter() - started) * 1000)
delays.sort()
print(f"logout on A → refused on B, {trials} trials: median {delays[len(delays) // 2]:.1f} ms, "
      f"p90 {delays[int(len(delays) * 0.9)]:.1f} ms, worst {delays[-1]:.1f} ms")
PY
