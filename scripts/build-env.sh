# Sourced by the scripts that build the site (run.sh, test.sh, `make dev`).
#
# - npm's wasm-opt (end2end/node_modules) for release builds: Debian's is
#   too old and produces broken bundles.
# - Shorter source paths in the browser bundle: panic locations carry the
#   full path of every crate's file (/root/.cargo/registry/src/index…/),
#   kept as data in the main wasm module. Mapping them to crate-relative
#   paths took 7 KB off the compressed main module. Only the wasm32
#   target gets these.
# - Components type-erased (`--cfg erase_components`, which cargo-leptos
#   sets for debug builds only): every component returns an `AnyView`
#   instead of its own nested view type, so views are not compiled once per
#   combination of their parts. The split files of all pages together went
#   from 738 to 576 KB with brotli, the login page's from 111 to 100 KB; the
#   main module grew 2 KB (`scripts/bundle-size.sh`, 2026-12-06). The server
#   must be built so too (`CARGO_BUILD_RUSTFLAGS`, which the wasm target's
#   own flags replace): erased on one side only, hydration does not match
#   the server's HTML and the page stops with "unreachable".
export PATH="$PWD/end2end/node_modules/.bin:$PATH"
export CARGO_BUILD_RUSTFLAGS="--cfg erase_components"
wasm_flags=(--cfg erase_components --remap-path-prefix="$PWD/=")
for index_dir in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
    [[ -d $index_dir ]] && wasm_flags+=(--remap-path-prefix="$index_dir=")
done
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${wasm_flags[*]}"
unset wasm_flags index_dir
