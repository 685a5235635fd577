//! PostgreSQL's push for the change log: a connection that LISTENs on
//! [`EVENTS_CHANNEL`](super::EVENTS_CHANNEL), which the log's insert
//! trigger notifies at commit (migration 0005). A notification only says
//! "read the log"; the log, read by id, stays the truth.

use sqlx::postgres::PgListener;

use super::{Store, StoreError, EVENTS_CHANNEL};

/// Why the log should be read now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// Rows were appended and committed.
    Appended,
    /// The connection was lost (and is being re-established): notifications
    /// may have been missed meanwhile.
    Reconnected,
}

pub struct EventListener(PgListener);

impl Store {
    /// A listener on PostgreSQL; `None` on SQLite, whose other writers (the
    /// CLI) are found by polling.
    pub async fn listen_for_events(&self) -> Result<Option<EventListener>, StoreError> {
        let Self::Postgres(pool) = self else {
            return Ok(None);
        };
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(EVENTS_CHANNEL).await?;
        Ok(Some(EventListener(listener)))
    }
}

impl EventListener {
    /// Waits for the next reason to read the log. After `Reconnected` the
    /// next call connects again (and listens again) by itself.
    pub async fn next(&mut self) -> Result<Wake, StoreError> {
        Ok(match self.0.try_recv().await? {
            Some(_) => Wake::Appended,
            None => Wake::Reconnected,
        })
    }
}
