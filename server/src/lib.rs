//! The `tessera` binary's library: the axum application (REST API, Leptos
//! pages and server functions, health checks), its configuration and the
//! command line.

mod api;
mod assets;
pub mod cli;
pub mod comma_list;
pub mod config;
pub mod duration;
mod fixed_routes;
mod health;
pub mod maintenance;
pub mod metrics;
pub mod middleware;
mod routes;
pub mod serve;
pub mod state;
pub mod telemetry;
pub mod tls;

pub use api::AuthUser;
pub use config::Config;
pub use routes::router;
pub use state::AppState;
