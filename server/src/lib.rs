//! The `tessera` binary's library: the axum application (REST API, Leptos
//! pages and server functions, health checks), its configuration and the
//! command line.

mod api;
mod assets;
mod body_limit;
pub mod cli;
pub mod comma_list;
mod compression;
pub mod config;
pub mod cors;
pub mod duration;
mod health;
pub mod maintenance;
pub mod metrics;
mod routes;
mod security_headers;
pub mod serve;
pub mod state;
pub mod telemetry;

pub use api::AuthUser;
pub use config::Config;
pub use routes::router;
pub use state::AppState;
