#!/usr/bin/env bash
# The workspace's compiler in `make test` (RUSTC_WORKSPACE_WRAPPER): Cargo
# runs `lint-rustc.sh /path/to/rustc ARGS…` for the project's own crates
# only.
#
# - They go to clippy-driver, which is rustc with Clippy's lints, denied like
#   `cargo clippy -- -D warnings`: `cargo test` lints them as it compiles
#   them, instead of a `cargo clippy` beforehand that type-checks every
#   dependency as well.
# - Test harnesses (`--test`: the unit tests' builds of a crate, the
#   integration tests) are compiled without optimisation: after an edit,
#   the integration tests took 103 s to build in the release profile and
#   13 s so, and they run no slower (92 s either way), since the work they
#   test is in the libraries, optimised as released (2026-12-07, `cargo
#   test --release -p tessera-server --test integration`). Debug assertions stay off, as in the release
#   profile (rustc turns them on with opt-level 0 unless told).
# - Crates for the browser (wasm32) go to rustc unchanged: clippy-driver
#   turns MIR optimisations off, which would change the bundle whose size
#   the tests check (`cargo clippy` lints the browser side).
set -euo pipefail
unoptimised=()
for arg in "$@"; do
    case $arg in
    wasm32-* | --target=wasm32-*) exec "$@" ;;
    --test) unoptimised=(-C opt-level=0 -C debug-assertions=off) ;;
    esac
done
# Clippy's driver beside the rustc Cargo chose (the same toolchain), else PATH's.
driver="$(dirname "$1")/clippy-driver"
[[ -x $driver ]] || driver=clippy-driver
exec "$driver" "$@" -D warnings "${unoptimised[@]}"
