#!/usr/bin/env bash
# Starts the release server for the browser tests: fresh SQLite database,
# short token lifetimes (access 3 s, refresh 20 s, so the suite sees many
# expiries), sign-up open, a known user and a superuser (E2E_SEED_USERS:
# that many more, for the admin console's search). Run from the repository root.
# E2E_DATA names the data folder, so that several servers can run at once;
# E2E_DATABASE_URL another database (PostgreSQL) instead of its SQLite file.
set -euo pipefail
data=${E2E_DATA:-target/e2e}
rm -rf "$data"
mkdir -p "$data"
export DATABASE_URL="${E2E_DATABASE_URL:-sqlite://$data/tessera.db}"
export TESSERA_SECRET_KEY_FILE="$data/secret.key"
export LEPTOS_SITE_ROOT=target/site
export LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_OUTPUT_NAME=tessera
export LEPTOS_SITE_ADDR="127.0.0.1:${E2E_PORT:-3100}"
export RUST_LOG="${RUST_LOG:-warn}"
export TESSERA_ACCESS_TOKEN_LIFETIME="${E2E_ACCESS_LIFETIME:-3s}"
export TESSERA_REFRESH_TOKEN_LIFETIME="${E2E_REFRESH_LIFETIME:-20s}"
export TESSERA_ALLOW_SIGNUP=true
# A page load that cuts off a refresh in flight loses the rotated pair the
# server already sent; with access tokens this short, the tests' page loads
# meet that often. The overlap answers the next page's retry with the same
# successor, as docs/web-app.md advises for browser apps.
export TESSERA_ROTATION_OVERLAP="${E2E_ROTATION_OVERLAP:-10s}"
# No SMTP server here: mails are files (tests/admin.spec.ts reads them).
export TESSERA_EMAIL_FILE_DIR="$data/outbox"
# A known user, created the way an operator would (the CLI creates the database).
printf '%s\n' "${E2E_PASSWORD:-e2e-password}" | target/release/tessera user add "${E2E_USER:-e2e}" --password-stdin >/dev/null
# A superuser for the admin console's tests.
printf '%s\n' "${E2E_ADMIN_PASSWORD:-e2e-admin-password}" |
    target/release/tessera user add "${E2E_ADMIN:-e2e-admin}" --superuser --password-stdin >/dev/null
# E2E_SEED_USERS more, member00001…, imported as a Django site's users
# without a usable password ("!"), as fast as an import goes.
if [[ -n ${E2E_SEED_USERS:-} ]]; then
    seq -f 'member%05g,!' 1 "$E2E_SEED_USERS" >"$data/members.csv"
    target/release/tessera user import "$data/members.csv" --format csv >/dev/null
fi
exec target/release/tessera
