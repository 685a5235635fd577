#!/usr/bin/env bash
# Does a password-reset request take as long for an address nobody uses as
# for one that gets a mail? Starts the release server on a fresh SQLite
# database (ENGINE=postgres: a fresh PostgreSQL one), mail to files, the
# throttle out of the way, then sends ROUNDS pairs of requests, one for a
# known address and one for an unknown one, alternating, over one
# keep-alive connection each, and prints the median and p90 of each and their
# ratio. Every address is asked for once (an attacker's probe is a first
# request; a repeated one finds its throttle row made). A ratio near 1 means
# the answer's timing tells nothing.
#
#   ROUNDS=500 bench/reset-timing.sh     (after `cargo leptos build --release --split`)
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-500}
PORT=${PORT:-3230}
work=$(mktemp -d)
if [[ ${ENGINE:-sqlite} == postgres ]]; then
    admin=${TESSERA_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
    database=tessera_bench_reset_$$
    psql "$admin" -qc "CREATE DATABASE $database"
    export DATABASE_URL=${admin%/*}/$database
else
    export DATABASE_URL="sqlite://$work/tessera.db"
fi
cleanup() {
    kill "${server:-}" 2>/dev/null || true
    wait 2>/dev/null || true
    [[ -n ${database:-} ]] && psql "$admin" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)"
    rm -rf "$work"
}
trap cleanup EXIT
export TESSERA_SECRET_KEY_FILE="$work/secret.key" TESSERA_EMAIL_FILE_DIR="$work/outbox"
export TESSERA_PASSWORD_RESET_EMAIL_REQUESTS=100000000 TESSERA_PASSWORD_RESET_CLIENT_REQUESTS=100000000
export LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site RUST_LOG=error
# ROUNDS + 20 accounts with an address and a usable password, imported as a
# Django dumpdata file (a pbkdf2 hash: never checked here).
python3 - "$ROUNDS" >"$work/users.json" <<'PY'
import json, sys
count = int(sys.argv[1]) + 20
print(json.dumps([{"model": "auth.user", "pk": n + 1, "fields": {
    "username": f"known{n}", "email": f"known{n}@example.com", "is_active": True,
    "password": "pbkdf2_sha256$1000000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=",
    "date_joined": "2026-01-01T00:00:00Z"}} for n in range(count)]))
PY
target/release/tessera user import "$work/users.json" >/dev/null
target/release/tessera >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do curl -sf "http://$LEPTOS_SITE_ADDR/livez" >/dev/null && break; sleep 0.5; done
python3 - "$PORT" "$ROUNDS" <<'PY'
import http.client, json, statistics, sys, time
port, rounds = int(sys.argv[1]), int(sys.argv[2])
connections = {name: http.client.HTTPConnection("127.0.0.1", port) for name in ("known", "unknown")}
times = {"known": [], "unknown": []}
for n in range(rounds + 20):
    pair = [("known", f"known{n}@example.com"), ("unknown", f"nobody{n}@example.com")]
    # Each goes first in every other pair: whatever one leaves behind (the
    # sender delivering a mail) falls on both alike.
    for name, address in pair if n % 2 == 0 else pair[::-1]:
        body = json.dumps({"email": address})
        started = time.perf_counter()
        connections[name].request("POST", "/api/password/reset/", body, {"Content-Type": "application/json"})
        response = connections[name].getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        assert response.status == 200, response.status
        if n >= 20:  # the first 20 pairs warm up
            times[name].append(elapsed * 1000)
for name, samples in times.items():
    samples.sort()
    print(f"{name:8} median {statistics.median(samples):.3f} ms  p90 {samples[int(len(samples) * 0.9)]:.3f} ms  ({len(samples)} requests)")
ratio = statistics.median(times["known"]) / statistics.median(times["unknown"])
print(f"known / unknown (medians): {ratio:.3f}")
PY
