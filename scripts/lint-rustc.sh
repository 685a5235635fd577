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
#   release profile's, which `make test` also lowers to 0 but for the
#   password hasher, the crypto, SQLite and compression: see Cargo.toml's
#   release profile). Optimising the
#   project's own crates, the pages' generic code above all, was most of a
#   test build: after an edit of the core crate, rebuilding core, app and
#   server took 155 s optimised and 37 s so, and the tests run no slower
#   (`cargo test --release`'s integration tests 79.6 s against 82.3 s, the
#   Playwright suite against the server so built 242 s either way;
#   2026-12-07, `touch src/lib.rs && cargo test --release --no-run`). Debug
#   assertions stay off, as in the release profile (rustc turns them on
#   with opt-level 0 unless told). `make run` and `make bench` build the
#   server optimised, without this wrapper.
# - Crates for the browser (wasm32) are compiled by rustc unchanged:
#   clippy-driver turns MIR optimisations off, which would change the bundle
#   whose size the tests check. Clippy checks them first, in a pass of its
#   own that only type-checks and lints (`--emit=metadata`, into a scratch
#   directory): the dependencies' metadata is the build's own, so this
#   replaces a `cargo clippy` of the browser side that type-checked every
#   dependency a second time.
set -euo pipefail
rustc=$1
driver="$(dirname "$rustc")/clippy-driver"   # the same toolchain's, else PATH's
[[ -x $driver ]] || driver=clippy-driver

browser=false
query=false
for arg in "$@"; do
    case $arg in
    wasm32-* | --target=wasm32-*) browser=true ;;
    --print | --print=*) query=true ;;   # Cargo asking about the target, not compiling
    esac
done
$browser && $query && exec "$@"
if ! $browser; then
    exec "$driver" "$@" -D warnings -C opt-level=0 -C debug-assertions=off
fi

compile=("$@")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
lint=()
shift
while (($#)); do
    case $1 in
    --emit=*) lint+=(--emit=metadata) ;;
    --out-dir) lint+=(--out-dir "$scratch"); shift ;;
    -C) case $2 in incremental=*) ;; *) lint+=(-C "$2") ;; esac; shift ;;
    # No artifact notices: Cargo would take this pass's metadata for the
    # build's and start the crates that depend on it too early.
    --json=*)
        json=$(tr , '\n' <<<"${1#--json=}" | grep -vx artifacts | paste -sd , || true)
        [[ -z $json ]] || lint+=("--json=$json")
        ;;
    *) lint+=("$1") ;;
    esac
    shift
done
"$driver" "$rustc" "${lint[@]}" -D warnings
rm -rf "$scratch"
exec "${compile[@]}"
