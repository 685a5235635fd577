#!/usr/bin/env bash
# The workspace's compiler in `make test` (RUSTC_WORKSPACE_WRAPPER): Cargo
# runs `lint-rustc.sh /path/to/rustc ARGS…` for the project's own crates
# only.
#
# - They go to clippy-driver, which is rustc with Clippy's lints, denied like
#   `cargo clippy -- -D warnings`: `cargo test` lints them as it compiles
#   them, instead of a `cargo clippy` beforehand that type-checks every
#   dependency as well.
# - They are compiled without optimisation (the dependencies keep the
#   release profile's: the password hasher, the crypto, the database
#   drivers and the async runtime run at full speed). Optimising the
#   project's own crates, the pages' generic code above all, was most of a
#   test build: after an edit of the core crate, rebuilding core, app and
#   server took 155 s optimised and 37 s so, and the tests run no slower
#   (`cargo test --release`'s integration tests 79.6 s against 82.3 s, the
#   Playwright suite against the server so built 242 s either way;
#   2026-12-07, `touch src/lib.rs && cargo test --release --no-run`). Debug
#   assertions stay off, as in the release profile (rustc turns them on
#   with opt-level 0 unless told). `make run` and `make bench` build the
#   server optimised, without this wrapper.
# - Crates for the browser (wasm32) go to rustc unchanged: clippy-driver
#   turns MIR optimisations off, which would change the bundle whose size
#   the tests check (`cargo clippy` lints the browser side).
set -euo pipefail
for arg in "$@"; do
    case $arg in
    wasm32-* | --target=wasm32-*) exec "$@" ;;
    esac
done
# Clippy's driver beside the rustc Cargo chose (the same toolchain), else PATH's.
driver="$(dirname "$1")/clippy-driver"
[[ -x $driver ]] || driver=clippy-driver
exec "$driver" "$@" -D warnings -C opt-level=0 -C debug-assertions=off
