#!/usr/bin/env bash
# Refresh with rotation, by signing algorithm: each refresh signs two tokens,
# so this is where the cost of a signature shows at the HTTP level. For each
# algorithm a fresh release server (SQLite, or a fresh PostgreSQL database
# with BENCH_POSTGRES=1) and 32 connections each following its own refresh
# chain for DURATION seconds. Prints `refresh_rotate_<ALGORITHM>_rps`, `_p50`,
# `_p99` and `_errors`.
#
#   bench/refresh-by-algorithm.sh     (after `cargo leptos build --release --split`)
#   ALGORITHMS="ES256 EdDSA" DURATION=10 bench/refresh-by-algorithm.sh
#   BENCH_BIN=/tmp/tessera-old bench/refresh-by-algorithm.sh   (another build)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5}
PORT=${PORT:-3220}
ALGORITHMS=${ALGORITHMS:-HS256 ES256 EdDSA RS256}
cargo build --release -q -p tessera-bench --bin refresh_chain

for algorithm in $ALGORITHMS; do
    (
        source bench/server.sh
        prepare_bench_server "$PORT"
        export TESSERA_ALGORITHM=$algorithm
        start_bench_server
        target/release/refresh_chain "$BASE" 32 "$DURATION" "$BENCH_USER" "$BENCH_PASSWORD" |
            sed "s/^refresh_rotate_c32/refresh_rotate_$algorithm/"
    )
done
