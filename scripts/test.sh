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
# Dependencies unoptimised but for the crates that do the tests' real work
# (the list and the figures: Cargo.toml's release profile). Every build
# below shares it, so the release build still reuses the test build's.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=0

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
started=$SECONDS
timed() { printf '    (%ds so far)\n' $((SECONDS - started)); }

step "cargo fmt --check"
cargo fmt --all --check

# Clippy: the benchmarks with `cargo clippy`, in the release profile, so
# that the build scripts and proc-macros it compiles are the ones the builds
# after it reuse; everything else while it is compiled for real, by
# scripts/lint-rustc.sh: the server side in `cargo test`, the browser side
# in the release build (no second type-check of every dependency).
step "cargo clippy (benchmarks)"
cargo clippy --release -p tessera-bench --all-targets -- -D warnings
timed

export RUSTC_WORKSPACE_WRAPPER="$PWD/scripts/lint-rustc.sh"
step "cargo test --release, linted by Clippy (core, app, server; SQLite and PostgreSQL)"
cargo test --release
timed

step "cargo leptos build --release --split, linted by Clippy (browser side), then the files compressed"
cargo leptos build --release --split
node scripts/precompress.mjs target/site   # .br and .gz beside each file (issue 18)
scripts/bundle-size.sh --check   # main module (with the login page) ≤ 183.6 KB brotli, pages split
timed

step "Playwright in Chromium"
(cd end2end && npx playwright test)
timed

# The two engines side by side, each with a server of its own: most of a
# run is waiting for the server's answers, so two take hardly longer than
# one (88 s against 85 + 82 s one after the other on two cores).
step "schemathesis: the API against its OpenAPI document (SQLite and PostgreSQL side by side)"
scripts/api-fuzz.sh >target/api-fuzz-sqlite.out 2>&1 &
fuzz_sqlite=$!
FUZZ_POSTGRES=1 scripts/api-fuzz.sh >target/api-fuzz-postgres.out 2>&1 &
fuzz_postgres=$!
fuzz_failed=()
wait "$fuzz_sqlite" || fuzz_failed+=(SQLite)
wait "$fuzz_postgres" || fuzz_failed+=(PostgreSQL)
printf '\n--- SQLite ---\n'; cat target/api-fuzz-sqlite.out
printf '\n--- PostgreSQL ---\n'; cat target/api-fuzz-postgres.out
if ((${#fuzz_failed[@]})); then
    echo "schemathesis failed on: ${fuzz_failed[*]}" >&2
    exit 1
fi
timed

# Benchmarks are measured, not asserted (`make bench`, see bench/): the
# clippy step above already type-checks them (`--all-targets`); building
# them for real took almost four minutes of every run.
