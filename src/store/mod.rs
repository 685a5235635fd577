//! The database: SQLite (embedded default) or PostgreSQL (shared by several
//! server instances), behind one API. Queries are written once in the SQL both
//! engines understand (`$1` placeholders, `BIGINT` Unix-second timestamps); the
//! `on_pool!` (reads) and `on_writer!` (writes) macros run the same statement
//! on whichever pool is configured.

mod admin;
pub(crate) mod audit;
mod dpop;
mod email_address;
mod keys;
mod listener;
pub(crate) mod outbox;
mod own_sessions;
pub(crate) mod passkeys;
mod password_reset;
mod sessions;
mod throttle;
pub(crate) mod two_step;
mod users;

pub use admin::{ProfileChange, StaffStanding, UserFilter};
pub use email_address::{EmailAccount, EmailState};
pub use keys::KeyRow;
pub use listener::Wake;
pub use outbox::QueuedMail;
pub use own_sessions::{EndedWith, PasswordSwap, SessionRow};
pub use passkeys::{CeremonyKind, NewCeremony, NewPasskey, PasskeyChange, PasskeyRow};
pub use password_reset::PasswordAccount;
pub use sessions::{
    RefreshRecord, RevocationReason, RevokedSession, RotateOutcome, Rotated, Rotation,
    SessionOrigin, VerifiedLogin,
};
pub use two_step::{CodeProof, TwoStepChange};
pub use users::{NewUser, User, UserState, UserSummary};

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Why a store operation failed. Callers map these; the text never reaches a
/// client because it may hold SQL details.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Carries the URL with its password masked (see [`redacted_url`]).
    #[error("unsupported database URL {0:?}: expected sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    #[error("could not create the database file or folder {path}: {source}")]
    CreateFolder {
        path: String,
        source: std::io::Error,
    },
    #[error("the name is already taken")]
    Conflict,
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A grouped write failed; every request of the group gets its text.
    #[error("database error: {0}")]
    Batch(String),
}

impl StoreError {
    fn from_insert(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict,
            _ => Self::Database(error),
        }
    }
}

/// The PostgreSQL channel that wakes instances when the change log grows
/// (migration 0005).
pub const EVENTS_CHANNEL: &str = "tessera_events";

/// Connections to the configured database.
#[derive(Clone, Debug)]
pub enum Store {
    /// SQLite admits one writer at a time, and a connection that finds the
    /// write lock taken sleeps in SQLite's busy handler (1, 2, 5, 10 ms…) even
    /// if the lock frees a microsecond later. So every write of this process
    /// goes through one connection, and writers wait in the pool's queue,
    /// which hands the connection on the moment the previous write ends.
    /// Reads (WAL: never blocked by the writer) have a pool of their own.
    Sqlite {
        reads: SqlitePool,
        writes: SqlitePool,
    },
    Postgres(PgPool),
}

/// Runs one read-only expression against the concrete pool, whichever engine
/// it is.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite { reads: $pool, .. } => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Like `on_pool!`, for expressions that write: on SQLite they take the one
/// writing connection.
macro_rules! on_writer {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite { writes: $pool, .. } => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_writer;

/// What a change-log row tells other processes to re-read.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Changed<'a> {
    /// A user's state (and its revoked sessions): made, (de)activated, a
    /// password set.
    User(i64),
    /// One session ended.
    Session(&'a str),
}

/// Appends `changed` to the change log inside the transaction `$tx`, with
/// the engine's statement `$sql` (from [`Store::append_event_sql`]): the one
/// place a change-log row is written. A macro because each engine's
/// transaction is its own type.
macro_rules! append_change {
    ($sql:expr, $tx:expr, $changed:expr, $now:expr) => {{
        let changed: $crate::store::Changed<'_> = $changed;
        let (user_id, session_id) = match changed {
            $crate::store::Changed::User(id) => (Some(id), None),
            $crate::store::Changed::Session(id) => (None, Some(id)),
        };
        sqlx::query($sql)
            .bind(user_id)
            .bind(session_id)
            .bind($now)
            .execute(&mut *$tx)
            .await
    }};
}
pub(crate) use append_change;

impl Store {
    /// Appends a row to the change log: `$1` user id, `$2` session id (either
    /// may be NULL), `$3` time. Every revoking write and every new user goes
    /// through it, last in its transaction. On PostgreSQL through a function
    /// that takes the log's append lock first (migration 0005), so that ids
    /// commit in order; SQLite has one writer anyway.
    pub(crate) fn append_event_sql(&self) -> &'static str {
        match self {
            Self::Sqlite { .. } => {
                "INSERT INTO auth_events (user_id, session_id, created_at) VALUES ($1, $2, $3)"
            }
            Self::Postgres(_) => "SELECT tessera_append_event($1, $2, $3)",
        }
    }

    /// Connects (creating a SQLite file and its folder if needed) and brings
    /// the schema up to date.
    pub async fn open(database_url: &str) -> Result<Self, StoreError> {
        let store = Self::connect(database_url).await?;
        store.migrate().await?;
        Ok(store)
    }

    async fn connect(database_url: &str) -> Result<Self, StoreError> {
        if database_url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(database_url)?
                .create_if_missing(true)
                // WAL lets readers proceed during a write. FULL syncs the WAL
                // at every commit, so what the server acknowledged survives a
                // power loss, not only a crash: a logout or password change
                // that rolled back would bring revoked sessions back, and a
                // lost rotation would make a retired (maybe stolen) refresh
                // token current again. Every write class needs that, and it
                // costs one fsync per commit, shared by a whole group of
                // rotations (README, Security).
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true);
            create_parent_folder(options.get_filename())?;
            create_private_file(options.get_filename())?;
            // The writer first: it creates the file and switches it to WAL.
            let writes = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await?;
            let reads = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await?;
            Ok(Self::Sqlite { reads, writes })
        } else if database_url.starts_with("postgres:") || database_url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(database_url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await?;
            Ok(Self::Postgres(pool))
        } else {
            Err(StoreError::UnsupportedUrl(redacted_url(database_url)))
        }
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite { writes, .. } => {
                sqlx::migrate!("./migrations/sqlite").run(writes).await?
            }
            Self::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// The engine's name, for logs and the health check.
    pub fn engine(&self) -> &'static str {
        match self {
            Self::Sqlite { .. } => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// A round trip to the database, for the health check.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, |pool| sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Self::Sqlite { reads, writes } => {
                reads.close().await;
                writes.close().await;
            }
            Self::Postgres(pool) => pool.close().await,
        }
    }
}

/// A database URL fit for a message: the password, if any, becomes `***`.
pub fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// A new SQLite file is created readable by its owner only: it holds
/// password hashes and sessions. (SQLite gives its `-wal` and `-shm` files
/// the database file's mode.)
fn create_private_file(file: &Path) -> Result<(), StoreError> {
    if file == Path::new(":memory:") || file.exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(file) {
        Ok(_) => Ok(()),
        // Another process created it a moment ago: theirs is as good.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::CreateFolder {
            path: file.display().to_string(),
            source,
        }),
    }
}

fn create_parent_folder(file: &Path) -> Result<(), StoreError> {
    match file.parent() {
        Some(folder) if !folder.as_os_str().is_empty() && file != Path::new(":memory:") => {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::CreateFolder {
                path: folder.display().to_string(),
                source,
            })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::redacted_url;

    #[test]
    fn a_url_password_never_reaches_a_message() {
        assert_eq!(
            redacted_url("postgres://app:hunter2@db.example:5432/tessera?sslmode=require"),
            "postgres://app:***@db.example:5432/tessera?sslmode=require"
        );
        assert_eq!(
            redacted_url("mysql://app:p@ss:w@rd@host/db"),
            "mysql://app:***@host/db"
        );
        assert_eq!(
            redacted_url("postgres://app@host/db"),
            "postgres://app@host/db"
        );
        assert_eq!(redacted_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}
