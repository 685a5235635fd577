#!/usr/bin/env bash
# Starts the release server for the browser tests: fresh SQLite database,
# short token lifetimes, a known user. Run from the repository root.
set -euo pipefail
data=target/e2e
rm -rf "$data"
mkdir -p "$data"
export DATABASE_URL="sqlite://$data/tessera.db"
export TESSERA_SECRET_KEY_FILE="$data/secret.key"
export LEPTOS_SITE_ROOT=target/site
export LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_OUTPUT_NAME=tessera
export LEPTOS_SITE_ADDR="127.0.0.1:${E2E_PORT:-3100}"
export RUST_LOG="${RUST_LOG:-warn}"
exec target/release/tessera
