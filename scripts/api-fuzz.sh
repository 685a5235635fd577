#!/usr/bin/env bash
# schemathesis against the release server, driven by the server's own OpenAPI
# document (/api/schema/): generated requests for every operation, valid and
# invalid, with a real access token for the protected ones. It fails on any
# 5xx, on a status or header the document does not list, on a body that does
# not match its schema, and on invalid input the API accepts.
#
# Needs target/release/tessera and target/site (cargo leptos build --release)
# and scripts/setup.sh --test (the schemathesis virtualenv). FUZZ_PORT picks
# the port (3110 on SQLite, 3111 on PostgreSQL); FUZZ_MAX_EXAMPLES the
# examples per operation (100).
# FUZZ_POSTGRES=1 runs the server on PostgreSQL (a database of its own on
# TESSERA_TEST_POSTGRES, dropped afterwards) instead of SQLite: input the
# one accepts and the other refuses would show as a 5xx there.
set -euo pipefail
cd "$(dirname "$0")/.."

# A port, a folder and a log per engine: the two runs may go at the same time.
engine=sqlite default_port=3110
[[ -n ${FUZZ_POSTGRES:-} ]] && engine=postgres default_port=3111
port=${FUZZ_PORT:-$default_port}
base=http://127.0.0.1:$port
data=target/e2e-fuzz-$engine
log=target/api-fuzz-server-$engine.log

database_url=sqlite://$data/tessera.db
drop_database() { :; }
if [[ $engine == postgres ]]; then
    admin=${TESSERA_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
    database=tessera_fuzz_$$
    psql "$admin" -qc "CREATE DATABASE $database"
    database_url=${admin%/*}/$database
    drop_database() { psql "$admin" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)"; }
fi

# The Playwright suite's server, with tokens that outlive the run.
E2E_PORT=$port E2E_DATA=$data E2E_ACCESS_LIFETIME=30m E2E_REFRESH_LIFETIME=1h \
    E2E_DATABASE_URL=$database_url bash end2end/serve.sh >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; drop_database' EXIT
for _ in $(seq 1 120); do
    curl -sf "$base/healthz" >/dev/null && break
    sleep 0.5
done
curl -sf "$base/healthz" >/dev/null || { echo "the server did not start:" >&2; cat "$log" >&2; exit 1; }

# The bearer token of the protected operations belongs to a user of its
# own: the wrong old passwords the fuzzer sends to /api/password/change/
# throttle that name, and "end other sessions" ends that user's sessions,
# never those of the user the stateful phase logs in as (e2e, see hooks.py).
printf 'fuzz-password\n' | DATABASE_URL="$database_url" \
    target/release/tessera user add fuzz --password-stdin >/dev/null
access=$(curl -sf -H 'Content-Type: application/json' \
    -d '{"username": "fuzz", "password": "fuzz-password"}' "$base/api/token/" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access"])')

printf 'fuzz-staff-password\n' | DATABASE_URL="$database_url" \
    target/release/tessera user add fuzz-staff --staff --password-stdin >/dev/null 2>&1
staff=$(curl -sf -H 'Content-Type: application/json' \
    -d '{"username": "fuzz-staff", "password": "fuzz-staff-password"}' "$base/api/token/" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access"])')

schemathesis() {
    SCHEMATHESIS_HOOKS=hooks PYTHONPATH=end2end/api target/schemathesis/bin/schemathesis \
        --config-file end2end/api/schemathesis.toml \
        run "$base/api/schema/" \
        --checks all \
        --header "Authorization: Bearer $access" \
        --max-examples "${FUZZ_MAX_EXAMPLES:-100}" \
        --workers 1 \
        --seed 1 \
        --no-color "$@"
}
# Password changes (and turning two-step sign-in off, whose wrong codes
# count alike) last, on their own: their failures count against the
# client address like failed logins, which would throttle the logins the
# stateful phase needs. (Most generated changes are refused, since only the
# account knows its password: schemathesis warns about that, rightly.)
schemathesis --exclude-operation-id password_change --exclude-operation-id totp_destroy \
    --exclude-tag admin "$@"
schemathesis --include-operation-id password_change --include-operation-id totp_destroy \
    --phases coverage,fuzzing --warnings off "$@"
# The admin API as staff, with the token of a staff user of its own made
# before the phases above throttle this address; last, so that what it
# deactivates and ends no longer matters.
access=$staff
schemathesis --include-tag admin --phases coverage,fuzzing "$@"
