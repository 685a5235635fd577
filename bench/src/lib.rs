//! Benchmarks live in `benches/` (criterion), `src/bin/refresh_chain.rs` and `load.sh`.
