//! The server's integration tests, in one binary: each module is a subject
//! (token API, rotation, limits, …), `support` starts servers on loopback
//! against real SQLite and PostgreSQL databases. One binary instead of one
//! per file: each would link the whole server again, which cost minutes of
//! every CI run.

mod support;

mod admin;
mod assets;
mod audit;
mod bad_input;
mod cached_users;
mod cli;
mod cors;
mod docs;
mod dpop;
mod durability;
mod email_verification;
mod foreign_tokens;
mod headers_and_pages;
mod instances;
mod keep_alive;
mod limits;
mod metrics;
mod openapi;
mod own_sessions;
mod passkeys;
mod password_reset;
mod push;
mod races;
mod rotation;
mod server_functions;
mod signing_keys;
mod sync_lag;
mod throttling;
mod tls;
mod token_api;
mod two_step;
mod user_import;
