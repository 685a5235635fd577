//! The `tessera` binary's library: the axum application (REST API, Leptos
//! pages and server functions, health checks) and the command line.

mod api;
pub mod cli;
mod health;
mod routes;
pub mod state;
pub mod telemetry;

pub use api::AuthUser;
pub use routes::router;
pub use state::AppState;
