#!/usr/bin/env bash
# What Tessera's HTTP path costs beyond plain hyper: GET /livez on the release
# server against bare_livez (bench/src/bin/bare_livez.rs: hyper on the same
# tokio runtime, answering the same bytes, nothing else), side by side.
#
#   - instructions per request (valgrind's callgrind, N keep-alive requests
#     on one connection after a warm-up, as bench/instructions.sh counts);
#   - requests a second with wrk (2 threads, CONNECTIONS, DURATION seconds),
#     ROUNDS rounds alternating between the two servers.
#
#   bench/http-stack.sh      (after `cargo leptos build --release --split`)
#
# PROFILES=DIR keeps the two callgrind profiles there (tessera.callgrind, bare.callgrind) for
# callgrind_annotate --inclusive=yes.
#
# Prints `NAME value` lines: http_stack_{tessera,bare}_instructions_per_request,
# http_stack_{tessera,bare}_rps_round<K>, and the gaps.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-3310}
BARE_PORT=$((PORT + 1))
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
source bench/server.sh
ensure_wrk
cargo build --release -q -p tessera-bench --bin bare_livez
bare_bin=target/release/bare_livez

BENCH_LOGIN_USERS=0
prepare_bench_server "$PORT"
bare=""
trap 'kill "${server:-}" "${bare:-}" 2>/dev/null || true; wait 2>/dev/null || true
      [[ -n $bench_db ]] && psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $bench_db" >/dev/null
      rm -rf "$work"' EXIT

# instructions NAME PORT PROFILE: warms up, then counts N requests' instructions.
instructions() {
    local name=$1 port=$2 profile=$3
    python3 bench/keepalive.py "$port" /livez 200 /dev/null
    callgrind_control -i on >/dev/null 2>&1
    callgrind_control -z >/dev/null 2>&1
    python3 bench/keepalive.py "$port" /livez "$N" /dev/null
    callgrind_control -d "$name" >/dev/null 2>&1
    local total
    total=$(awk '/^totals:/ { print $2 }' "$(ls -t "$profile".* | head -1)")
    echo "http_stack_${name}_instructions_per_request $((total / N))"
    [[ -n ${PROFILES:-} ]] && mkdir -p "$PROFILES" && cp "$(ls -t "$profile".* | head -1)" "$PROFILES/$name.callgrind"
    eval "${name}_instructions=$((total / N))"
}

start_bench_server valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/tessera"
instructions tessera "$PORT" "$work/tessera"
kill "$server"; wait "$server" 2>/dev/null || true

valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/bare" \
    "$bare_bin" "127.0.0.1:$BARE_PORT" >"$work/bare.log" 2>&1 &
bare=$!
wait_until_live "http://127.0.0.1:$BARE_PORT" "$bare" "$work/bare.log"
instructions bare "$BARE_PORT" "$work/bare"
kill "$bare"; wait "$bare" 2>/dev/null || true

start_bench_server
"$bare_bin" "127.0.0.1:$BARE_PORT" >"$work/bare.log" 2>&1 &
bare=$!
wait_until_live "http://127.0.0.1:$BARE_PORT" "$bare" "$work/bare.log"
rps() { wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$1" | awk '/^Requests\/sec/ { printf "%.0f", $2 }'; }
tessera_total=0 bare_total=0
for round in $(seq "$ROUNDS"); do
    tessera_rps=$(rps "$BASE/livez")
    bare_rps=$(rps "http://127.0.0.1:$BARE_PORT/livez")
    echo "http_stack_tessera_rps_round$round $tessera_rps"
    echo "http_stack_bare_rps_round$round $bare_rps"
    tessera_total=$((tessera_total + tessera_rps)) bare_total=$((bare_total + bare_rps))
done
awk -v t="$tessera_instructions" -v b="$bare_instructions" -v tr="$tessera_total" -v br="$bare_total" 'BEGIN {
    printf "http_stack_instructions_gap %d\nhttp_stack_instructions_ratio %.2f\n", t - b, t / b
    printf "http_stack_rps_ratio %.3f\n", tr / br }'
