#!/usr/bin/env bash
# `tessera user import` at scale: USERS (default 1000000) Django users, as
# dumpdata JSON (with ids) and as CSV, into a fresh SQLite database and a
# fresh PostgreSQL database (TESSERA_TEST_POSTGRES's server), then the same
# file again (everything already present). Prints `name seconds max_rss_kb`.
#
#   bench/import.sh          (after `cargo build --release -p tessera-server`)
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=${USERS:-1000000}
POSTGRES=${TESSERA_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
work=$(mktemp -d)
database="tessera_import_bench_$$"
trap 'rm -rf "$work"; psql "$POSTGRES" -qc "DROP DATABASE IF EXISTS $database" 2>/dev/null || true' EXIT

python3 - "$USERS" "$work" <<'PY'
import json, sys
users, work = int(sys.argv[1]), sys.argv[2]
# A real Django 5.2 pbkdf2_sha256 hash (server/tests/fixtures/django/users.json).
hash = "pbkdf2_sha256$1000000$zEnyDN2sQEzdTOrL3pIgQW$C+IBED2/wK2/bK/VS0JHVVjImoozQBgxloNgbDl2Gno="
with open(f"{work}/users.json", "w") as out:
    json.dump([{"model": "auth.user", "pk": i + 1, "fields": {
        "password": hash, "last_login": None, "is_superuser": False, "username": f"user{i}",
        "first_name": "", "last_name": "", "email": f"user{i}@example.com", "is_staff": False,
        "is_active": True, "date_joined": "2024-05-02T09:30:15.123Z", "groups": [],
        "user_permissions": []}} for i in range(users)], out, indent=2)
with open(f"{work}/users.csv", "w") as out:
    for i in range(users):
        out.write(f"user{i},{hash},true\n")
PY

export TESSERA_SECRET_KEY=bench-import-secret-key-0123456789abcdef
measure() { # name database_url args…
    local name=$1 url=$2
    shift 2
    /usr/bin/time -f "%e %M" -o "$work/time" env DATABASE_URL="$url" \
        target/release/tessera user import "$@" >/dev/null
    echo "$name $(cat "$work/time")"
}
for format in json csv; do
    sqlite="sqlite://$work/$format.db"
    measure "sqlite_${format}_${USERS}" "$sqlite" --format "$format" "$work/users.$format"
    measure "sqlite_${format}_again" "$sqlite" --format "$format" "$work/users.$format"
    psql "$POSTGRES" -qc "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database"
    postgres="${POSTGRES%/*}/$database"
    measure "postgres_${format}_${USERS}" "$postgres" --format "$format" "$work/users.$format"
    measure "postgres_${format}_again" "$postgres" --format "$format" "$work/users.$format"
done
