#!/usr/bin/env bash
# Where a refresh's time goes on PostgreSQL (issue 15): the release server on
# a fresh PostgreSQL database, refresh_chain rotating at CONNECTIONS (default
# 32) for DURATION seconds (default 10), and the CPU time each process used
# meanwhile, read from /proc: the server, every PostgreSQL process (backends,
# WAL writer, checkpointer…), and the whole machine. Prints
#
#   pg_profile_refresh_rps             rotations a second (from refresh_chain)
#   pg_profile_refresh_p50, _p99       a refresh's latency at the client
#   pg_profile_<side>_cpu_us_per_refresh   server, postgres, and the rest of
#                                      the machine (the client, mostly)
#   pg_profile_cores_busy              CPU seconds used per second, all processes
#   pg_profile_ceiling_rps             cores / (CPU per refresh): what the cores allow
#
#   bench/pg-profile.sh        (after `cargo leptos build --release --split`)
#
# TESSERA_BENCH_POSTGRES names the server (default postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/server.sh

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
postgres=${TESSERA_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
database=tessera_bench_profile_$$
cargo build --release -q -p tessera-bench --bin refresh_chain
chain=target/release/refresh_chain

BENCH_LOGIN_USERS=0
prepare_bench_server 3206   # the work directory, $BASE, the env
psql "$postgres/postgres" -qc "CREATE DATABASE $database" >/dev/null
export DATABASE_URL="$postgres/$database" TESSERA_SECRET_KEY=bench-profile-secret-0123456789abcdef
trap 'kill "${server:-}" 2>/dev/null || true; wait "${server:-}" 2>/dev/null || true; rm -rf "$work";
      psql "$postgres/postgres" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null || true' EXIT
printf '%s\n' "$BENCH_PASSWORD" | "$BENCH_BIN" user add "$BENCH_USER" --password-stdin >/dev/null
start_bench_server

ticks=$(getconf CLK_TCK)
# CPU ticks (user + system) of the processes whose ids are given.
cpu_of() {
    local total=0 pid fields
    for pid in "$@"; do
        fields=$(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null) || continue
        total=$((total + ${fields% *} + ${fields#* }))
    done
    echo "$total"
}
all_cpu() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }   # busy: not idle, not iowait
postgres_pids() { pgrep -u postgres || true; }

# PostgreSQL's backends come and go with connections: the pool's stay for the
# run (the server keeps them open), so sampling the same set at both ends is fair.
"$chain" "$BASE" "$CONNECTIONS" 1 "$BENCH_USER" "$BENCH_PASSWORD" >/dev/null   # warm the pool
pg_before=$(cpu_of $(postgres_pids))
server_before=$(cpu_of "$server")
all_before=$(all_cpu)
"$chain" "$BASE" "$CONNECTIONS" "$DURATION" "$BENCH_USER" "$BENCH_PASSWORD" >"$work/chain.out"
pg_after=$(cpu_of $(postgres_pids))
server_after=$(cpu_of "$server")
all_after=$(all_cpu)

rps=$(awk '/_rps / { print $2 }' "$work/chain.out")
awk '/_p50 |_p99 / { sub(/^refresh_rotate_c[0-9]+/, "pg_profile_refresh"); print }' "$work/chain.out"
python3 - "$rps" "$DURATION" "$ticks" "$(nproc)" \
    "$((server_after - server_before))" "$((pg_after - pg_before))" "$((all_after - all_before))" <<'PY'
import sys
rps, duration, ticks, cores = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
server, pg, everything = (int(v) / ticks for v in sys.argv[5:8])
refreshes = rps * duration
# Everything else the machine did meanwhile: the client, mostly.
other = max(everything - server - pg, 0.0)
per = lambda seconds: seconds / refreshes * 1e6
total = per(everything)
print(f"pg_profile_refresh_rps {rps:.0f}")
print(f"pg_profile_server_cpu_us_per_refresh {per(server):.0f}")
print(f"pg_profile_postgres_cpu_us_per_refresh {per(pg):.0f}")
print(f"pg_profile_client_and_other_cpu_us_per_refresh {per(other):.0f}")
print(f"pg_profile_cores_busy {everything / duration:.2f} of {cores}")
print(f"pg_profile_ceiling_rps {cores / (total / 1e6):.0f}")
PY
