#!/usr/bin/env bash
# The cost of `--metrics-addr`: two release servers on one database, one
# with metrics and one without, measured alternately with wrk (ROUNDS rounds,
# DURATION seconds each, 32 connections) on /hello/ and /livez. Prints the
# medians and the ratios the target is stated in.
#
#   bench/metrics.sh         (after `cargo leptos build --release --split`)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-3210}
source bench/server.sh
prepare_bench_server "$PORT"
start_bench_server
plain=$BASE
metered="http://127.0.0.1:$((PORT + 1))"
LEPTOS_SITE_ADDR="127.0.0.1:$((PORT + 1))" TESSERA_METRICS_ADDR="127.0.0.1:$((PORT + 2))" \
    target/release/tessera >"$work/metered.log" 2>&1 &
metered_pid=$!
trap 'kill "${server:-}" "$metered_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
wait_until_live "$metered" "$metered_pid" "$work/metered.log"
access=$(bench_access_token)

rps() { wrk -t2 -c32 -d"${DURATION}s" "$@" | awk '/^Requests\/sec:/ { print $2 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
declare -A runs
for round in $(seq "$ROUNDS"); do
    for server in plain metered; do
        base=${!server}
        runs[${server}_livez]+=" $(rps "$base/livez")"
        runs[${server}_hello]+=" $(rps -H "Authorization: Bearer $access" "$base/hello/")"
    done
done
for key in plain_livez plain_hello metered_livez metered_hello; do
    # shellcheck disable=SC2086
    printf '%s_rps %s\n' "$key" "$(median ${runs[$key]})"
    eval "$key=$(median ${runs[$key]})"
done
awk -v a="$metered_hello" -v b="$plain_hello" 'BEGIN { printf "hello_metered_over_plain %.3f\n", a / b }'
awk -v a="$metered_hello" -v b="$metered_livez" 'BEGIN { printf "metered_hello_over_livez %.3f\n", a / b }'
awk -v a="$plain_hello" -v b="$plain_livez" 'BEGIN { printf "plain_hello_over_livez %.3f\n", a / b }'
curl -sf "http://127.0.0.1:$((PORT + 2))/metrics" | grep -c '^tessera_' | sed 's/^/metrics_series /'
