#!/usr/bin/env bash
# How the server grows with its users (issue 15). For each engine in ENGINES
# (default "sqlite postgres") and each size in SIZES (default "10000 1000000
# 10000000"): a fresh database with that many users, imported as pre-hashed
# Django users (`tessera user import`, CSV), and SESSIONS (default 1000000,
# at most one per user) live sessions of them, one in ten revoked, inserted
# by SQL; then the release server started on it. Prints `name value` lines:
#
#   growth_<engine>_<users>_import_ms       the import
#   growth_<engine>_<users>_start_ms        exec → /livez answers
#   growth_<engine>_<users>_rss_start_kb    resident memory once started
#   growth_<engine>_<users>_hello_rps       wrk on /hello/, 32 connections, one user's token
#                                           (median of 3 runs of DURATION s)
#   growth_<engine>_<users>_refresh_rps     real rotations, 32 chains (refresh_chain)
#   growth_<engine>_<users>_login_ms        median of 5 logins of a user not seen before
#   growth_<engine>_<users>_cold_hello_ms   median first /hello/ of 20 users not held
#                                           in memory (each costs a database read)
#   growth_<engine>_<users>_revoked_at_once 1 when a logged-out token is refused by
#                                           the very next request
#   growth_<engine>_<users>_propagation_*_ms  PostgreSQL: logout here → refused by a
#                                           second instance (median, p90, worst of 20)
#   growth_<engine>_<users>_rss_end_kb      resident memory after all that
#
#   bench/growth.sh                               (after `cargo leptos build --release --split`)
#   SIZES="10000 1000000" ENGINES=sqlite DURATION=5 bench/growth.sh
#
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-10000 1000000 10000000}
ENGINES=${ENGINES:-sqlite postgres}
SESSIONS=${SESSIONS:-1000000}
DURATION=${DURATION:-5}
PORT=${PORT:-3205}
POSTGRES=${TESSERA_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
source bench/server.sh   # wait_until_live, ensure_wrk, the bench user's name and password
ensure_wrk
cargo build --release -q -p tessera-bench --bin refresh_chain
chain=target/release/refresh_chain

work=$(mktemp -d)
database="tessera_growth_$$"
server="" second=""
cleanup() {
    for pid in $server $second; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    rm -rf "$work"
    psql "$POSTGRES/postgres" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
export TESSERA_SECRET_KEY=bench-growth-secret-key-0123456789abcdef
export LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site RUST_LOG=error
BASE="http://127.0.0.1:$PORT"
# Every imported user's password is the bench user's: one argon2id hash,
# made by `tessera user add` in a scratch database and written as Django
# writes argon2 hashes (`argon2$argon2id$v=19$…`), so that a login costs
# what a login of this server costs.
printf '%s\n' "$BENCH_PASSWORD" |
    DATABASE_URL="sqlite://$work/seed.db" target/release/tessera user add seed --password-stdin >/dev/null
hash="argon2$(python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT password_hash FROM users").fetchone()[0])' "$work/seed.db")"

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
now_ms() { date +%s%3N; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$server/status"; }
token() { # user password → the JSON pair
    curl -sf -H 'Content-Type: application/json' \
        -d "{\"username\":\"$1\",\"password\":\"$2\"}" "$BASE/api/token/"
}
field() { python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }

# The sessions, by SQL: SESSIONS of the first users, every tenth revoked,
# all expiring in a day.
sessions_sql() {
    local count=$1
    cat <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $count)
INSERT INTO sessions (id, user_id, created_at, expires_at, revoked_at, revoked_because)
SELECT printf('bench%012d', i), i, strftime('%s', 'now'), strftime('%s', 'now') + 86400,
       CASE WHEN i % 10 = 0 THEN strftime('%s', 'now') END,
       CASE WHEN i % 10 = 0 THEN 'logout' END
FROM n;
SQL
}
sessions_sql_postgres() {
    local count=$1
    cat <<SQL
INSERT INTO sessions (id, user_id, created_at, expires_at, revoked_at, revoked_because)
SELECT 'bench' || lpad(i::text, 12, '0'), i, extract(epoch FROM now())::bigint,
       extract(epoch FROM now())::bigint + 86400,
       CASE WHEN i % 10 = 0 THEN extract(epoch FROM now())::bigint END,
       CASE WHEN i % 10 = 0 THEN 'logout' END
FROM generate_series(1, $count) AS i;
SQL
}

for engine in $ENGINES; do
    for users in $SIZES; do
        name="growth_${engine}_${users}"
        sessions=$((SESSIONS < users ? SESSIONS : users))
        python3 - "$users" "$hash" >"$work/users.csv" <<'PY'
import sys
users, hash = int(sys.argv[1]), sys.argv[2]
out = sys.stdout
for i in range(users):
    out.write(f"user{i},\"{hash}\",true\n")
PY
        case $engine in
            sqlite)
                rm -f "$work"/growth.db*
                export DATABASE_URL="sqlite://$work/growth.db" ;;
            postgres)
                psql "$POSTGRES/postgres" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" -c "CREATE DATABASE $database" >/dev/null 2>&1
                export DATABASE_URL="$POSTGRES/$database" ;;
        esac
        started=$(now_ms)
        target/release/tessera user import --format csv "$work/users.csv" >/dev/null
        echo "${name}_import_ms $(( $(now_ms) - started ))"
        printf '%s\n' "$BENCH_PASSWORD" | target/release/tessera user add "$BENCH_USER" --password-stdin >/dev/null
        case $engine in
            sqlite) python3 - "$work/growth.db" "$(sessions_sql "$sessions")" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript(sys.argv[2])
db.commit()
PY
            ;;
            postgres) sessions_sql_postgres "$sessions" | psql "$DATABASE_URL" -q >/dev/null ;;
        esac

        # The import's gigabytes go to disk now, not during the measurements.
        sync
        started=$(now_ms)
        target/release/tessera >"$work/server.log" 2>&1 &
        server=$!
        wait_until_live "$BASE" "$server" "$work/server.log"
        echo "${name}_start_ms $(( $(now_ms) - started ))"
        echo "${name}_rss_start_kb $(rss_kb)"

        access=$(token "$BENCH_USER" "$BENCH_PASSWORD" | field access)
        # Three rounds, the median: one run drifts by ±15 % on shared cores.
        rounds=()
        for round in 1 2 3; do
            rounds+=("$(wrk -t2 -c32 -d"${DURATION}s" -H "Authorization: Bearer $access" "$BASE/hello/" |
                awk '/^Requests\/sec:/ { print $2 }')")
        done
        echo "${name}_hello_rps $(median "${rounds[@]}")"
        "$chain" "$BASE" 32 "$DURATION" "$BENCH_USER" "$BENCH_PASSWORD" |
            awk -v n="$name" '/_rps / { print n "_refresh_rps " $2 }'

        logins=() colds=()
        for i in 1 2 3 4 5; do
            # Users from the far end of the table, never seen by this server.
            who="user$((users - i))"
            started=$(now_ms)
            token "$who" "$BENCH_PASSWORD" >/dev/null || true
            logins+=($(( $(now_ms) - started )))
        done
        echo "${name}_login_ms $(median "${logins[@]}")"

        # Tokens of 20 more users, then a restart: the new process holds no
        # user, so the first /hello/ of each is a database read.
        pairs=()
        for i in $(seq 1 20); do
            pairs+=("$(token "user$((users / 2 + i))" "$BENCH_PASSWORD" | field access || true)")
        done
        kill "$server"; wait "$server" 2>/dev/null || true
        target/release/tessera >"$work/server.log" 2>&1 &
        server=$!
        wait_until_live "$BASE" "$server" "$work/server.log"
        for access_cold in "${pairs[@]}"; do
            [[ -n $access_cold ]] || continue
            colds+=("$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $access_cold" "$BASE/hello/" |
                awk '{ printf "%.2f", $1 * 1000 }')")
        done
        echo "${name}_cold_hello_ms $(median "${colds[@]}")"

        pair=$(token "$BENCH_USER" "$BENCH_PASSWORD")
        access=$(field access <<<"$pair")
        refresh=$(field refresh <<<"$pair")
        curl -sf -H 'Content-Type: application/json' -d "{\"refresh\":\"$refresh\"}" "$BASE/api/token/blacklist/" >/dev/null
        status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $access" "$BASE/hello/")
        echo "${name}_revoked_at_once $([[ $status == 401 ]] && echo 1 || echo 0)"
        if [[ $engine == postgres ]]; then
            # A second instance on the same database: logout on this one,
            # refused on that one.
            LEPTOS_SITE_ADDR="127.0.0.1:$((PORT + 1))" target/release/tessera >"$work/second.log" 2>&1 &
            second=$!
            wait_until_live "http://127.0.0.1:$((PORT + 1))" "$second" "$work/second.log"
            python3 bench/propagation.py "$BASE" "http://127.0.0.1:$((PORT + 1))" 20 "$BENCH_LOGIN_BODY" |
                sed "s/^/${name}_/"
            kill "$second"; wait "$second" 2>/dev/null || true
            second=""
        fi
        echo "${name}_rss_end_kb $(rss_kb)"
        kill "$server"; wait "$server" 2>/dev/null || true
        server=""
    done
done
