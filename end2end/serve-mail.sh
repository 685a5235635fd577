#!/usr/bin/env bash
# Starts what the password-reset browser tests need (tests/password-reset.spec.ts):
# a test SMTP server (end2end/smtp/mailbox.mjs) writing to $E2E_DATA/mail, and
# two Tessera instances on one fresh PostgreSQL database, both sending mail to
# it, on E2E_PORT and E2E_SECOND_PORT (addresses verified as by default:
# optional), and a third on E2E_MANDATORY_PORT that signs accounts in only
# once their address is verified (tests/email-verification.spec.ts). Sign-up
# is open. A user with an address is created first.
# Run from the repository root; stops everything it started when it is stopped.
set -euo pipefail
data=${E2E_DATA:-target/e2e-mail}
rm -rf "$data"
mkdir -p "$data"
admin_url=${TESSERA_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
database=tessera_e2e_mail
psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" -c "CREATE DATABASE $database"
export DATABASE_URL="${admin_url%/*}/$database"
export TESSERA_SECRET_KEY="e2e-mail-secret-key-that-is-long-enough-0123456789"
export LEPTOS_SITE_ROOT=target/site
export LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_OUTPUT_NAME=tessera
export RUST_LOG="${RUST_LOG:-warn}"
export TESSERA_SMTP_URL="smtp://127.0.0.1:${E2E_SMTP_PORT:?}"
export TESSERA_EMAIL_FROM="Tessera <noreply@tessera.test>"
export TESSERA_ALLOW_SIGNUP=true
# Links point at the first instance, as a load balancer's address would be.
export TESSERA_PUBLIC_URL="http://127.0.0.1:${E2E_PORT:?}"

trap 'kill 0' EXIT
node end2end/smtp/mailbox.mjs --dir "$data/mail" --port "$E2E_SMTP_PORT" >/dev/null &
printf '%s\n' "${E2E_MAIL_PASSWORD:-mail-user-password}" |
    target/release/tessera user add "${E2E_MAIL_USER:-mail-user}" --email "${E2E_MAIL_ADDRESS:-Mail.User@example.com}" --password-stdin >/dev/null
# The tests reach the second instance at its own address: that is where its
# pages' DPoP proofs point (htu), so it is its public URL here.
TESSERA_PUBLIC_URL="http://127.0.0.1:${E2E_SECOND_PORT:?}" \
    LEPTOS_SITE_ADDR="127.0.0.1:$E2E_SECOND_PORT" target/release/tessera &
TESSERA_EMAIL_VERIFICATION=mandatory TESSERA_PUBLIC_URL="http://127.0.0.1:${E2E_MANDATORY_PORT:?}" \
    LEPTOS_SITE_ADDR="127.0.0.1:$E2E_MANDATORY_PORT" target/release/tessera &
LEPTOS_SITE_ADDR="127.0.0.1:$E2E_PORT" target/release/tessera &
wait
