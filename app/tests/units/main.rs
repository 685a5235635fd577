//! Unit tests of the app's plain logic, run against the library as built
//! (the crate's own test build, a second compile of every page, is off:
//! see `[lib] test = false` in app/Cargo.toml).

mod activity;
mod admin_console;
#[cfg(feature = "ssr")]
mod assets;
mod display;
#[cfg(feature = "ssr")]
mod event_types;
mod json;
mod jwt;
mod known_devices;
mod token_store;
