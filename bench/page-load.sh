#!/usr/bin/env bash
# What a person on a phone waits for (issue 18): the release server on a
# fresh SQLite database, and Chromium visiting /login and /hello on
# emulated Fast 3G and on plain loopback, first visit and repeat visit:
# time to hydrated, bytes on the wire (see bench/page-load.mjs).
#
#   bench/page-load.sh               (after `cargo leptos build --release --split && node scripts/precompress.mjs`)
#   ROUNDS=9 WATERFALL=1 bench/page-load.sh
#   TLS=1 bench/page-load.sh         (HTTPS: HTTP/2 and HTTP/1.1 side by side,
#                                     on one server, a certificate made here)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/server.sh
[[ -d end2end/node_modules/@playwright/test ]] || (cd end2end && npm ci --no-audit --no-fund)

BENCH_LOGIN_USERS=0   # one user is enough: nobody logs in under load here
prepare_bench_server 3204
if [[ -n ${TLS:-} ]]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
    export TESSERA_TLS_CERT="$work/cert.pem" TESSERA_TLS_KEY="$work/key.pem"
    # Chromium trusts this key (a certificate error would also turn its
    # cache off, and with it the repeat visit).
    TLS_SPKI=$(openssl x509 -pubkey -noout -in "$work/cert.pem" | openssl pkey -pubin -outform der |
        openssl dgst -sha256 -binary | base64)
    export TLS_SPKI
    BASE="https://127.0.0.1:3204"
    # The login the script makes from Node trusts that certificate too.
    export NODE_TLS_REJECT_UNAUTHORIZED=0
fi
start_bench_server
node bench/page-load.mjs "$BASE" "$BENCH_USER" "$BENCH_PASSWORD"
