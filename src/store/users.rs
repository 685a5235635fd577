//! Rows of the `users` table.

use super::audit::record_audit;
use super::outbox::queue_mail;
use super::{append_change, on_pool, on_writer, Changed, Store, StoreError};
use crate::audit::{AuditEvent, AuditKind};
use crate::mail::OutgoingMail;

/// A user as the login path needs it, password hash included.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub is_active: bool,
    pub tokens_revoked_at: Option<i64>,
    /// Where security notices go (`""`: none).
    pub email: String,
    pub email_verified: bool,
}

/// A user to create.
#[derive(Clone, Copy, Debug)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    /// `""`: none.
    pub email: &'a str,
    pub email_verified: bool,
}

/// A user as listings show it: no hash.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct UserSummary {
    pub id: i64,
    pub username: String,
    pub is_active: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub created_at: i64,
    pub last_login: Option<i64>,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// Whether its owner confirmed `email` with a mailed link.
    pub email_verified: bool,
}

/// The columns of a [`UserSummary`], for `concat!` (queries are static strings).
macro_rules! summary_columns {
    () => {
        "id, username, is_active, is_staff, is_superuser, created_at, last_login, \
         first_name, last_name, email, email_verified"
    };
}
pub(super) use summary_columns;

impl Store {
    /// Inserts an active user; `Conflict` when the name is taken. A change-log
    /// row tells the other server processes about the new user; the mails
    /// `mails_for` makes from the new id are queued in the same transaction.
    pub async fn create_user(
        &self,
        user: NewUser<'_>,
        now: i64,
        audit: Option<AuditEvent>,
        mails_for: impl FnOnce(i64) -> Vec<OutgoingMail>,
    ) -> Result<i64, StoreError> {
        let append_event = self.append_event_sql();
        on_writer!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (username, password_hash, email, email_verified, is_active, \
                 created_at) VALUES ($1, $2, $3, $4, TRUE, $5) RETURNING id",
            )
            .bind(user.username)
            .bind(user.password_hash)
            .bind(user.email)
            .bind(user.email_verified)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::from_insert)?;
            append_change!(append_event, tx, Changed::User(id), now)?;
            let audit = audit.map(|event| event.user(id));
            record_audit!(tx, audit.iter())?;
            queue_mail!(tx, &mails_for(id), now)?;
            tx.commit().await?;
            Ok(id)
        })
    }

    pub async fn find_user_by_name(&self, username: &str) -> Result<Option<User>, StoreError> {
        let sql = "SELECT id, username, password_hash, is_active, tokens_revoked_at, email, \
                   email_verified FROM users WHERE username = $1";
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, User>(sql)
            .bind(username)
            .fetch_optional(pool)
            .await)?)
    }

    pub async fn find_user_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
        let sql = "SELECT id, username, password_hash, is_active, tokens_revoked_at, email, \
                   email_verified FROM users WHERE id = $1";
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, User>(sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?)
    }

    pub async fn find_user_summary(&self, id: i64) -> Result<Option<UserSummary>, StoreError> {
        let sql = concat!("SELECT ", summary_columns!(), " FROM users WHERE id = $1");
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, UserSummary>(
            sql
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?)
    }

    pub async fn list_users(&self) -> Result<Vec<UserSummary>, StoreError> {
        let sql = concat!("SELECT ", summary_columns!(), " FROM users ORDER BY id");
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, UserSummary>(
            sql
        )
        .fetch_all(pool)
        .await)?)
    }

    /// How many accounts there are and how many of them have a password
    /// hash starting with `current` (today's format and parameters), and up
    /// to `sample` hashes of the others: what the password hasher weighs
    /// unknown names' decoys by. One scan of the table, plus one for the
    /// sample while accounts of other shapes remain.
    pub async fn password_census(
        &self,
        current: &str,
        sample: i64,
    ) -> Result<PasswordCensus, StoreError> {
        let prefix_length = i32::try_from(current.chars().count()).unwrap_or(i32::MAX);
        let count = "SELECT COUNT(*), \
                     SUM(CASE WHEN substr(password_hash, 1, $2) = $1 THEN 1 ELSE 0 END) \
                     FROM users";
        let (users, matching): (i64, Option<i64>) = on_pool!(self, |pool| sqlx::query_as(count)
            .bind(current)
            .bind(prefix_length)
            .fetch_one(pool)
            .await)?;
        let current_shape = matching.unwrap_or(0);
        let others = users - current_shape;
        let sampled = if others > 0 {
            on_pool!(self, |pool| sqlx::query_scalar::<_, String>(
                "SELECT password_hash FROM users WHERE substr(password_hash, 1, $2) <> $1 LIMIT $3"
            )
            .bind(current)
            .bind(prefix_length)
            .bind(sample)
            .fetch_all(pool)
            .await)?
        } else {
            Vec::new()
        };
        Ok(PasswordCensus {
            current: u64::try_from(current_shape).unwrap_or(0),
            others: u64::try_from(others).unwrap_or(0),
            sample: sampled,
        })
    }

    pub async fn count_users(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, |pool| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM users"
        )
        .fetch_one(pool)
        .await)?)
    }
}

/// Accounts by password hash, as [`Store::password_census`] counts them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PasswordCensus {
    /// Accounts whose hash has today's format and parameters.
    pub current: u64,
    /// Accounts with any other hash (older parameters, Django's, none).
    pub others: u64,
    /// Some of the others' hashes (all of them when few).
    pub sample: Vec<String>,
}

/// What the in-memory registry keeps of each user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct UserState {
    pub id: i64,
    pub is_active: bool,
    /// Tokens issued at or before this second are void.
    pub tokens_revoked_at: Option<i64>,
}

/// One row of the change log.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AuthEvent {
    pub id: i64,
    pub user_id: Option<i64>,
    pub session_id: Option<String>,
}

impl Store {
    /// Voids every token without a session issued to user `id` until `now`
    /// (see `Registry::standing`), and tells the other instances.
    pub async fn stamp_tokens_revoked(&self, id: i64, now: i64) -> Result<(), StoreError> {
        let append_event = self.append_event_sql();
        on_writer!(self, |pool| {
            let mut tx = pool.begin().await?;
            let stamped = sqlx::query("UPDATE users SET tokens_revoked_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if stamped > 0 {
                append_change!(append_event, tx, Changed::User(id), now)?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn user_state(&self, id: i64) -> Result<Option<UserState>, StoreError> {
        let sql = "SELECT id, is_active, tokens_revoked_at FROM users WHERE id = $1";
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, UserState>(sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?)
    }

    /// After a successful login: stamps `last_login` and stores a stronger
    /// hash when the old one used outdated parameters.
    pub async fn record_login(
        &self,
        id: i64,
        now: i64,
        rehash: Option<&str>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE users SET last_login = $1, password_hash = COALESCE($2, password_hash) WHERE id = $3";
        on_writer!(self, |pool| sqlx::query(sql)
            .bind(now)
            .bind(rehash)
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Changes what may authenticate as a user and voids every token issued
    /// so far: new password hash and/or new active flag, all sessions
    /// revoked, a change-log row for the other processes. Returns the
    /// sessions revoked, or `None` when there is no such user.
    pub async fn update_credentials(
        &self,
        username: &str,
        password_hash: Option<&str>,
        is_active: Option<bool>,
        now: i64,
        because: super::RevocationReason,
        audit: &[AuditEvent],
    ) -> Result<Option<(i64, Vec<super::RevokedSession>)>, StoreError> {
        let append_event = self.append_event_sql();
        on_writer!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id: Option<i64> = sqlx::query_scalar(
                "UPDATE users SET password_hash = COALESCE($1, password_hash), \
                 is_active = COALESCE($2, is_active), tokens_revoked_at = $3 \
                 WHERE username = $4 RETURNING id",
            )
            .bind(password_hash)
            .bind(is_active)
            .bind(now)
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else {
                return Ok(None);
            };
            let revoked = sqlx::query_as::<_, super::RevokedSession>(
                "UPDATE sessions SET revoked_at = $1, revoked_because = $2 \
                 WHERE user_id = $3 AND revoked_at IS NULL AND expires_at > $1 \
                 RETURNING id, expires_at",
            )
            .bind(now)
            .bind(because.as_str())
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            append_change!(append_event, tx, Changed::User(id), now)?;
            let audit: Vec<AuditEvent> = audit.iter().map(|event| event.clone().user(id)).collect();
            record_audit!(tx, &audit)?;
            tx.commit().await?;
            Ok(Some((id, revoked)))
        })
    }

    /// Change-log rows after id `after`, in id order. Ids become visible
    /// in order (see `append_event_sql`), so reading from the last id
    /// applied misses nothing.
    pub async fn events_after(&self, after: i64) -> Result<Vec<AuthEvent>, StoreError> {
        let sql = "SELECT id, user_id, session_id FROM auth_events WHERE id > $1 ORDER BY id";
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, AuthEvent>(sql)
            .bind(after)
            .fetch_all(pool)
            .await)?)
    }

    /// The newest change-log id (0 for an empty log).
    pub async fn latest_event_id(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COALESCE(MAX(id), 0) FROM auth_events";
        Ok(on_pool!(self, |pool| sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(pool)
            .await)?)
    }
}

/// A user an import added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportedRow {
    /// Its place in the slice given to [`Store::import_users`].
    pub index: usize,
    pub id: i64,
}

impl Store {
    /// Adds the users whose names are not taken, in one transaction, with a
    /// change-log row each for the running servers. With `keep_ids`, only
    /// those whose id is free, with that id (the others are left for a
    /// second call); without, each with a new id. Names already present are
    /// left alone.
    pub async fn import_users(
        &self,
        users: &[&crate::import::ImportedUser],
        keep_ids: bool,
        now: i64,
    ) -> Result<Vec<ImportedRow>, StoreError> {
        // One event for the batch: an import of a million users is one act.
        /// Rows per statement: 12 parameters each stays far below SQLite's
        /// 32 766 and PostgreSQL's 65 535, and one statement per row was
        /// 30 times slower (a round trip each).
        const ROWS: usize = 500;
        let postgres = matches!(self, Store::Postgres(_));
        let index_of: std::collections::HashMap<&str, usize> = users
            .iter()
            .enumerate()
            .map(|(index, user)| (user.username.as_str(), index))
            .collect();
        let wanted: Vec<&crate::import::ImportedUser> = users
            .iter()
            .copied()
            .filter(|user| !keep_ids || user.id.is_some())
            .collect();
        on_writer!(self, |pool| {
            let mut tx = pool.begin().await?;
            if postgres && keep_ids {
                // Explicit ids and the id sequence must not cross with a
                // user created meanwhile: hold other writers of `users` back
                // (readers go on) until the sequence is past our ids.
                sqlx::query("LOCK TABLE users IN EXCLUSIVE MODE")
                    .execute(&mut *tx)
                    .await?;
            }
            if postgres {
                // The change log's append lock (see `append_event_sql`),
                // before this transaction's first row goes in.
                sqlx::query("LOCK TABLE auth_events IN SHARE ROW EXCLUSIVE MODE")
                    .execute(&mut *tx)
                    .await?;
            }
            let mut added = Vec::new();
            for chunk in wanted.chunks(ROWS) {
                let mut insert = sqlx::QueryBuilder::new(if keep_ids {
                    "INSERT INTO users (id, username, password_hash, is_active, is_staff, is_superuser, \
                     created_at, last_login, first_name, last_name, email, email_verified) "
                } else {
                    "INSERT INTO users (username, password_hash, is_active, is_staff, is_superuser, \
                     created_at, last_login, first_name, last_name, email, email_verified) "
                });
                insert.push_values(chunk, |mut row, user| {
                    if keep_ids {
                        row.push_bind(user.id);
                    }
                    row.push_bind(user.username.as_str())
                        .push_bind(user.password_hash.as_str())
                        .push_bind(user.is_active)
                        .push_bind(user.is_staff)
                        .push_bind(user.is_superuser)
                        .push_bind(user.created_at.unwrap_or(now))
                        .push_bind(user.last_login)
                        .push_bind(user.first_name.as_str())
                        .push_bind(user.last_name.as_str())
                        .push_bind(user.email.as_str())
                        // The old site mailed its reset links there: taken
                        // as verified, so they keep working here.
                        .push_bind(!user.email.is_empty());
                });
                // A taken name (or, keeping ids, a taken id) skips the row.
                insert.push(" ON CONFLICT DO NOTHING RETURNING id, username");
                let inserted: Vec<(i64, String)> =
                    insert.build_query_as().fetch_all(&mut *tx).await?;
                if inserted.is_empty() {
                    continue;
                }
                let mut events = sqlx::QueryBuilder::new(
                    "INSERT INTO auth_events (user_id, session_id, created_at) ",
                );
                events.push_values(&inserted, |mut row, (id, _)| {
                    row.push_bind(*id).push_bind(None::<&str>).push_bind(now);
                });
                events.build().execute(&mut *tx).await?;
                added.extend(inserted.into_iter().map(|(id, username)| ImportedRow {
                    index: index_of[username.as_str()],
                    id,
                }));
            }
            if postgres && keep_ids && !added.is_empty() {
                // SQLite's AUTOINCREMENT follows explicit ids by itself; a
                // PostgreSQL sequence must be moved past them.
                sqlx::query(
                    "SELECT setval(pg_get_serial_sequence('users', 'id'), \
                     GREATEST((SELECT MAX(id) FROM users), nextval(pg_get_serial_sequence('users', 'id')) - 1))",
                )
                .execute(&mut *tx)
                .await?;
            }
            if !added.is_empty() {
                let event = AuditEvent::new(AuditKind::UsersImported, now)
                    .detail(format!("{} users", added.len()));
                record_audit!(tx, [&event])?;
            }
            tx.commit().await?;
            Ok(added)
        })
    }
}
