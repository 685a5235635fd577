# The two quick-start commands (see README.md) and a few conveniences.
SHELL := /bin/bash
.PHONY: run test dev check bench screenshots

run:    ## install what is missing, build and serve on http://127.0.0.1:3000 (SQLite)
	scripts/run.sh

test:   ## install what is missing, run every check and test (Rust, PostgreSQL, Playwright)
	scripts/test.sh

dev:    ## rebuild and reload on every change
	scripts/setup.sh && . scripts/build-env.sh && TESSERA_ALLOW_SIGNUP=true cargo leptos watch --split

check:  ## fast feedback while editing
	cargo check --all-targets && cargo check -p tessera-frontend --target wasm32-unknown-unknown

bench:  ## build the release site, then the load benchmark and instruction counts (DURATION, ROUNDS: see bench/load.sh)
	scripts/setup.sh && . scripts/build-env.sh && cargo leptos build --release --split && node scripts/precompress.mjs && bench/load.sh && bench/instructions.sh

screenshots:  ## refresh docs/screenshots/ from the Playwright suite (after make test)
	mkdir -p docs/screenshots && cd end2end && SCREENSHOTS=1 npx playwright test -g screenshots
