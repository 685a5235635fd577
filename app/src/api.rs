//! `#[server]` functions: the browser calls them over HTTP, the server runs
//! them against the core library found in the request's context.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the database reports about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseReport {
    pub engine: String,
    pub users: i64,
}

/// Counts the registered users: a round trip browser → server → database.
#[server]
pub async fn database_status() -> Result<DatabaseReport, ServerFnError> {
    let store = expect_context::<tessera::Store>();
    let users = store.count_users().await.map_err(|error| {
        leptos::logging::error!("database_status: {error}");
        ServerFnError::new("the database is unavailable")
    })?;
    Ok(DatabaseReport {
        engine: store.engine().to_owned(),
        users,
    })
}
