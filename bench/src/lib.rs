//! Benchmarks live in `benches/` and `load.sh`; this crate has no code of its own.
