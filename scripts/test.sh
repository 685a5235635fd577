#!/usr/bin/env bash
# Quick start, command 2: install what is missing, then run every check and
# test: formatting, clippy (server and browser code), the Rust tests on SQLite
# and PostgreSQL, the release build, the Playwright suite in Chromium, and
# schemathesis against the API's OpenAPI document.
#
# PostgreSQL: tests create (and drop) a database of their own on
# TESSERA_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test

source scripts/build-env.sh   # npm's wasm-opt, short paths in the wasm
# cargo-leptos compiles the server with this set; giving `cargo test` the same
# environment lets it reuse that build instead of compiling leptos twice.
export LEPTOS_OUTPUT_NAME=tessera
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-always}"

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
started=$SECONDS
timed() { printf '    (%ds so far)\n' $((SECONDS - started)); }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (server side and browser side)"
cargo clippy --all-targets -- -D warnings
cargo clippy -p tessera-frontend --target wasm32-unknown-unknown -- -D warnings
cargo clippy -p tessera-bench --all-targets -- -D warnings   # the benchmarks too
timed

step "cargo test --release (core, app, server; SQLite and PostgreSQL)"
cargo test --release
timed

step "cargo leptos build --release --split, then the files compressed"
cargo leptos build --release --split
node scripts/precompress.mjs target/site   # .br and .gz beside each file (issue 18)
scripts/bundle-size.sh --check   # main module ≤ 155.6 KB brotli, login page ≤ 165.2 KB, pages split
timed

step "Playwright in Chromium"
(cd end2end && npx playwright test)
timed

step "schemathesis: the API against its OpenAPI document (SQLite, then PostgreSQL)"
scripts/api-fuzz.sh
FUZZ_POSTGRES=1 scripts/api-fuzz.sh
timed

# Benchmarks are measured, not asserted (`make bench`, see bench/): the
# clippy step above already type-checks them (`--all-targets`); building
# them for real took almost four minutes of every run.
