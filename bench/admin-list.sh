#!/usr/bin/env bash
# The admin user list at scale, on PostgreSQL: fills a fresh database with
# USERS users (generate_series; 10 000 by default), starts the release
# server on it and prints the median latency of 30 requests each for the
# first page, a page near the end (keyset: a cursor deep in the table), a
# search for one name, one for the start that every name shares (the first
# 50 of USERS matches), one for an email address, and one that matches nobody.
# Searches are by the start of the username or address: index ranges.
#
#   USERS=10000000 bench/admin-list.sh     (after `cargo leptos build --release --split`)
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=${USERS:-10000}
PORT=${PORT:-3220}
admin=${TESSERA_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
database=tessera_bench_admin_$$
url=${admin%/*}/$database
work=$(mktemp -d)
psql "$admin" -qc "CREATE DATABASE $database"
trap 'kill "${server:-}" 2>/dev/null || true; wait 2>/dev/null || true; psql "$admin" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)"; rm -rf "$work"' EXIT
export DATABASE_URL=$url TESSERA_SECRET_KEY_FILE="$work/secret.key"
export LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site RUST_LOG=error
printf 'bench staff password\n' | target/release/tessera user add bench-staff --staff --password-stdin >/dev/null 2>&1
started=$SECONDS
psql "$url" -qc "INSERT INTO users (username, password_hash, is_active, created_at, email) \
    SELECT 'member' || lpad(n::text, 8, '0'), '!', TRUE, 1796000000, \
    'm' || n || '@example.org' FROM generate_series(1, $USERS) n" 
psql "$url" -qc "ANALYZE users"
echo "filled ${USERS} users in $((SECONDS - started)) s"
target/release/tessera >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do curl -sf "http://$LEPTOS_SITE_ADDR/livez" >/dev/null && break; sleep 0.5; done
access=$(curl -sf -H 'Content-Type: application/json' \
    -d '{"username": "bench-staff", "password": "bench staff password"}' "http://$LEPTOS_SITE_ADDR/api/token/" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access"])')
deep=$((USERS - 10))
# median NAME PATH: 30 requests, the median of curl's total time in ms.
median() {
    local name=$1 path=$2
    for _ in $(seq 1 30); do
        curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $access" "http://$LEPTOS_SITE_ADDR$path"
    done | sort -n | awk -v name="$name" '{ t[NR] = $1 } END { printf "admin_users_%s_p50 %.2fms\n", name, t[int((NR + 1) / 2)] * 1000 }'
}
median first_page "/api/admin/users/"
median deep_page "/api/admin/users/?cursor=$deep"
median search "/api/admin/users/?search=member$(printf '%08d' $((USERS / 2)))"
median search_shared_start "/api/admin/users/?search=member0"
median search_email "/api/admin/users/?search=m$((USERS / 3))@"
median search_nobody "/api/admin/users/?search=nobody"
