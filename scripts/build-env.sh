# Sourced by the scripts that build the site (run.sh, test.sh, `make dev`).
#
# - npm's wasm-opt (end2end/node_modules) for release builds: Debian's is
#   too old and produces broken bundles.
# - Shorter source paths in the browser bundle: panic locations carry the
#   full path of every crate's file (/root/.cargo/registry/src/index…/),
#   kept as data in the main wasm module. Mapping them to crate-relative
#   paths took 7 KB off the compressed main module (issue 5). Only the
#   wasm32 target gets the flags: the server build is unchanged.
export PATH="$PWD/end2end/node_modules/.bin:$PATH"
wasm_flags=(--remap-path-prefix="$PWD/=")
for index_dir in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
    [[ -d $index_dir ]] && wasm_flags+=(--remap-path-prefix="$index_dir=")
done
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${wasm_flags[*]}"
unset wasm_flags index_dir
