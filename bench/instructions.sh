#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: repeatable to a
# fraction of a percent whatever else the machine does, unlike req/s on two
# shared cores. Compares GET /livez, /livez with a Bearer header (the same
# bytes on the wire as hello) and GET /hello/ with a valid access token, over
# one keep-alive connection, N requests each (default 2000), after a warm-up;
# then GET /hello/ with a DPoP-bound token and a fresh proof each time
# (signed ahead by bench/dpop-proofs.mjs, as bench/dpop-load.sh does).
#
#   bench/instructions.sh       (after `cargo leptos build --release --split`)
#
# Prints `NAME_instructions_per_request VALUE` lines and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}
PORT=${PORT:-3300}
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
source bench/server.sh

prepare_bench_server "$PORT"
# The bound requests' proofs are signed before the measurement starts.
export TESSERA_DPOP_PROOF_WINDOW=1h
start_bench_server valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/profile"
access=$(bench_access_token)
node bench/dpop-proofs.mjs "$BASE" "$BENCH_USER" "$BENCH_PASSWORD" $((N + 200)) "$work" ES256
bound_access=$(cat "$work/access")

# requests PATH COUNT [TOKEN [PROOFS_FROM]]: COUNT keep-alive GETs, each
# answered 200; with PROOFS_FROM, the token is DPoP-bound and each request
# carries the next proof of that file, from line PROOFS_FROM on.
requests() {
    python3 bench/keepalive.py "$PORT" "$@" "$work/proofs"
}

requests /hello/ 200 "$access"   # warm-up: caches, allocator, first-call paths
callgrind_control -i on >/dev/null 2>&1
measure() {
    local name=$1
    shift
    callgrind_control -z >/dev/null 2>&1
    requests "$@"
    callgrind_control -d "$name" >/dev/null 2>&1
    local total
    total=$(awk '/^totals:/ { print $2 }' "$(ls -t "$work"/profile.* | head -1)")
    echo "${name}_instructions_per_request $((total / N))"
    eval "$name=$((total / N))"
}
measure livez /livez "$N"
measure livez_bearer /livez "$N" "$access"
measure hello /hello/ "$N" "$access"
requests /hello/ 200 "$bound_access" "$N" # the bound path's first calls, with the last proofs
measure hello_bound /hello/ "$N" "$bound_access" 0
awk -v l="$livez" -v h="$hello" -v b="$livez_bearer" -v d="$hello_bound" 'BEGIN {
    printf "ratio_livez_over_hello %.3f\nratio_livez_bearer_over_hello %.3f\n", l / h, b / h
    printf "ratio_hello_bound_over_hello %.3f\n", d / h }'
