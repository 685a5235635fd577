# Sourced by the benchmark scripts: a release server on a fresh SQLite
# database in a temporary directory (BENCH_POSTGRES=1: a fresh database on
# the local PostgreSQL, 127.0.0.1:5432, user postgres), with one user to log in as, and
# $BENCH_LOGIN_USERS more for the login load (bench0, bench1, …): an honest
# login load is many people, since the server throttles more than a few
# logins of one account at the same instant.
#
#   prepare_bench_server PORT    makes $work (the directory) and the database
#                                with the user; sets $BASE and the server's env
#   start_bench_server [WRAPPER…]  starts `WRAPPER… $BENCH_BIN` (default
#                                target/release/tessera; another build to
#                                compare with, e.g. an older commit's)
#                                (for example under valgrind), sets $server,
#                                and returns once /livez answers
#   wait_until_live BASE PID LOG  for another server the script starts itself
#   bench_access_token           prints a fresh access token of that user
#   ensure_wrk                   installs wrk from Debian when missing
#
# The server is stopped and the directory removed when the script exits.

BENCH_USER=bench
BENCH_BIN=${BENCH_BIN:-target/release/tessera}
BENCH_PASSWORD="benchmark password"
BENCH_LOGIN_BODY="{\"username\":\"$BENCH_USER\",\"password\":\"$BENCH_PASSWORD\"}"
BENCH_LOGIN_USERS=64

prepare_bench_server() {
    local port=$1
    [[ -x $BENCH_BIN ]] || { echo "build first: cargo leptos build --release --split" >&2; exit 1; }
    work=$(mktemp -d)
    BASE="http://127.0.0.1:$port"
    export DATABASE_URL="sqlite://$work/bench.db" TESSERA_SECRET_KEY_FILE="$work/secret.key"
    bench_db=""
    if [[ -n ${BENCH_POSTGRES:-} ]]; then
        # A database of its own on the local PostgreSQL, dropped at the end.
        bench_db="tessera_bench_$$"
        psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $bench_db" >/dev/null
        export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$bench_db"
    fi
    trap 'kill "${server:-}" 2>/dev/null || true; wait "${server:-}" 2>/dev/null || true
          [[ -n $bench_db ]] && psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $bench_db" >/dev/null
          rm -rf "$work"' EXIT
    export LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site RUST_LOG=error
    printf '%s\n' "$BENCH_PASSWORD" | "$BENCH_BIN" user add "$BENCH_USER" --password-stdin >/dev/null
    for i in $(seq 0 $((BENCH_LOGIN_USERS - 1))); do
        printf '%s\n' "$BENCH_PASSWORD" | "$BENCH_BIN" user add "$BENCH_USER$i" --password-stdin >/dev/null
    done
}

start_bench_server() {
    "$@" "$BENCH_BIN" >"$work/server.log" 2>&1 &
    server=$!
    wait_until_live "$BASE" "$server" "$work/server.log"
}

# wait_until_live BASE PID LOG: returns once BASE/livez answers; exits with
# LOG shown if process PID ends first or a minute passes (under valgrind the
# start-up alone takes seconds).
wait_until_live() {
    local base=$1 pid=$2 log=$3
    for _ in $(seq 600); do
        # -k: a TLS bench server has a certificate of its own making.
        curl -sfk "$base/livez" >/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "the server at $base did not come up:" >&2
    cat "$log" >&2
    exit 1
}

bench_access_token() {
    curl -sf -H 'Content-Type: application/json' -d "$BENCH_LOGIN_BODY" "$BASE/api/token/" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["access"])'
}

ensure_wrk() {
    command -v wrk >/dev/null && return 0
    echo "==> installing wrk from Debian" >&2
    sudo_if_needed() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
    sudo_if_needed apt-get install -y -q wrk >/dev/null || {
        sudo_if_needed apt-get update -q && sudo_if_needed apt-get install -y -q wrk
    }
}
