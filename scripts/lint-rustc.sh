#!/usr/bin/env bash
# The workspace's compiler in `make test` (RUSTC_WORKSPACE_WRAPPER): Cargo
# runs `lint-rustc.sh /path/to/rustc ARGS…` for the project's own crates
# only. They go to clippy-driver, which is rustc with Clippy's lints, denied
# like `cargo clippy -- -D warnings`: `cargo test` lints them as it compiles
# them, instead of a `cargo clippy` beforehand that type-checks every
# dependency as well. Crates for the browser (wasm32) go to rustc unchanged:
# clippy-driver turns MIR optimisations off, which would change the bundle
# whose size the tests check (`cargo clippy` lints the browser side).
set -euo pipefail
for arg in "$@"; do
    case $arg in
    wasm32-* | --target=wasm32-*) exec "$@" ;;
    esac
done
exec clippy-driver "$@" -D warnings
