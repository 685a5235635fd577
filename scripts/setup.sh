#!/usr/bin/env bash
# Installs what building and testing Tessera needs, skipping whatever is
# already there at the wanted version. Safe to run again and again.
#
#   scripts/setup.sh          build tools: OpenSSL's headers, wasm32 target, cargo-leptos, wasm-bindgen-cli
#   scripts/setup.sh --test   the above, plus Debian's chromium and the npm packages of end2end/
#
# Only the package registries are reachable from our machines (crates.io, npm,
# Debian), so every tool is built or installed from them; nothing downloads a
# prebuilt binary from GitHub.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)

want_tests=false
[[ "${1:-}" == "--test" ]] && want_tests=true

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

if ! command -v cargo >/dev/null; then
    echo "cargo is missing: install Rust with rustup first (https://rustup.rs)" >&2
    exit 1
fi

# The passkey library (webauthn-rs) checks signatures with OpenSSL: its
# headers, found through pkg-config.
missing=()
dpkg -s libssl-dev >/dev/null 2>&1 || missing+=(libssl-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
if ((${#missing[@]})); then
    step "installing ${missing[*]} from Debian"
    as_root apt-get update -q
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "${missing[@]}"
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

# `make test` checks formatting and lints (Clippy is its compiler, see
# scripts/lint-rustc.sh); rustup's minimal profile has neither.
if $want_tests; then
    components=()
    cargo fmt --version >/dev/null 2>&1 || components+=(rustfmt)
    cargo clippy --version >/dev/null 2>&1 || components+=(clippy)
    if ((${#components[@]})); then
        step "adding the ${components[*]} component(s)"
        rustup component add "${components[@]}"
    fi
fi

# The tools' own speed hardly matters (they run for seconds per build), their
# build time does: a newcomer's first `make test` waits for it. Build them
# unoptimised, without LTO, in many codegen units, into one target directory
# so that the crates both tools share compile once; only the code that does
# their work on every build (reading, rewriting and splitting the wasm) is
# optimised. OpenSSL (cargo-generate's) is Debian's, installed above, not
# compiled from source.
tool_build=(
    CARGO_PROFILE_RELEASE_LTO=false
    CARGO_PROFILE_RELEASE_OPT_LEVEL=0
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256
    CARGO_PROFILE_RELEASE_DEBUG=false
    CARGO_PROFILE_RELEASE_INCREMENTAL=false
    CARGO_TARGET_DIR="$PWD/target/tools"
    OPENSSL_NO_VENDOR=1
)
tool_hot_code=()
for crate in walrus wasmparser wasm-encoder wasm-bindgen-cli-support wasm-bindgen-wasm-interpreter wasm_split_cli_support; do
    tool_hot_code+=(--config "profile.release.package.$crate.opt-level=2")
done

if [[ "$(cargo leptos --version 2>/dev/null || true)" != *" $CARGO_LEPTOS_VERSION"* ]]; then
    # no_downloads: fail loudly rather than fetch tools from GitHub.
    step "installing cargo-leptos $CARGO_LEPTOS_VERSION from source (minutes on 2 cores)"
    env "${tool_build[@]}" cargo install "${tool_hot_code[@]}" cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != *" $WASM_BINDGEN_VERSION"* ]]; then
    step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION from source (about 4 minutes)"
    # Its lock file names a crate version the registry lacks: install unlocked,
    # choosing versions that the installed rustc supports.
    env "${tool_build[@]}" CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
        cargo install "${tool_hot_code[@]}" wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [[ ! -x end2end/node_modules/.bin/wasm-opt ]] || [[ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]]; then
    # npm's binaryen provides wasm-opt for release builds (Debian's is too old
    # and produces broken bundles); Playwright comes with it.
    step "installing the npm packages of end2end/"
    (cd end2end && npm ci --no-audit --no-fund)
fi

if $want_tests; then
    missing=()
    [[ -x /usr/bin/chromium ]] || missing+=(chromium)
    [[ -x /usr/bin/chromedriver ]] || missing+=(chromium-driver)
    command -v brotli >/dev/null || missing+=(brotli)
    # scripts/api-fuzz.sh makes (and drops) a PostgreSQL database of its own.
    command -v psql >/dev/null || missing+=(postgresql-client)
    if ((${#missing[@]})); then
        step "installing ${missing[*]} from Debian"
        as_root apt-get update -q
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "${missing[@]}"
    fi

    # schemathesis (PyPI) checks the API against its OpenAPI document
    # (scripts/api-fuzz.sh), from a virtualenv of its own with pinned versions.
    venv=target/schemathesis
    requirements=end2end/api/requirements.txt
    if [[ ! -x $venv/bin/schemathesis ]] || [[ $requirements -nt $venv/installed ]]; then
        step "installing schemathesis from PyPI into $venv"
        missing=()
        command -v python3 >/dev/null || missing+=(python3)
        python3 -m venv --help >/dev/null 2>&1 || missing+=(python3-venv)
        if ((${#missing[@]})); then
            as_root apt-get update -q
            DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "${missing[@]}"
        fi
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
        touch "$venv/installed"
    fi
fi
