//! Login sessions (refresh-token families) and their refresh tokens.
//!
//! Rotation consumes a token and inserts its successor in one statement that
//! finds the token current: of N concurrent refreshes of one token exactly one
//! changes a row, whatever the engine.

use super::audit::record_audit;
use super::{append_change, on_pool, on_writer, Changed, Store, StoreError};
use crate::audit::AuditEvent;

/// A refresh token as recorded, with its session's state.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RefreshRecord {
    pub jti: String,
    pub session_id: String,
    pub user_id: i64,
    pub issued_at: i64,
    pub expires_at: i64,
    pub rotated_at: Option<i64>,
    pub successor: Option<String>,
    pub session_expires_at: i64,
    pub session_revoked_at: Option<i64>,
}

/// One rotation asked for: retire `jti`, with `successor` as the new jti.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotation {
    pub jti: String,
    pub successor: String,
}

/// The successor created by a rotation.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Rotated {
    /// The jti the successor replaces.
    pub parent: String,
    pub user_id: i64,
    pub session_id: String,
    pub issued_at: i64,
    pub expires_at: i64,
    /// The session's absolute end, which no token of it outlives.
    pub session_expires_at: i64,
}

/// What became of one rotation (see `RotationQueue::rotate`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RotateOutcome {
    Rotated(Rotated),
    /// Unknown, already rotated, or its session was revoked: the caller looks
    /// the record up to tell which.
    NotCurrent,
}

/// Why a session was ended, as `sessions.revoked_because` records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevocationReason {
    /// The user logged out (`/api/token/blacklist/`).
    Logout,
    /// A rotated refresh token was presented again: the family is presumed
    /// stolen.
    Reuse,
    PasswordChanged,
    Deactivated,
    /// Reactivation voids whatever was issued before it, like the others.
    Activated,
    /// Its owner ended it from another session (`DELETE /api/sessions/<id>/`,
    /// "sign out all other sessions").
    EndedByOwner,
    /// A staff member ended it (the admin API or console).
    EndedByAdmin,
    /// Two-step sign-in was turned on or off, or a recovery code used.
    TwoStepChanged,
    /// A passkey was added to the account or removed from it.
    PasskeysChanged,
}

impl RevocationReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::Reuse => "reuse",
            Self::PasswordChanged => "password changed",
            Self::Deactivated => "deactivated",
            Self::Activated => "activated",
            Self::EndedByOwner => "ended by owner",
            Self::EndedByAdmin => "ended by admin",
            Self::TwoStepChanged => "two-step changed",
            Self::PasskeysChanged => "passkeys changed",
        }
    }
}

/// A session revoked by a bulk operation, for the in-memory registry.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RevokedSession {
    pub id: String,
    pub expires_at: i64,
}

/// The user row as a login verified it. The session is recorded only if the
/// row is still exactly that when the session's transaction runs: a password
/// change, deactivation or reactivation committed while the password was
/// being checked makes the login fail instead of outliving the change.
#[derive(Clone, Copy, Debug)]
pub struct VerifiedLogin<'a> {
    pub password_hash: &'a str,
    pub tokens_revoked_at: Option<i64>,
    /// A stronger hash of the same password, stored only over the one
    /// verified (never over a newer one).
    pub rehash: Option<&'a str>,
    /// Mails to queue with the session (a new-device notice).
    pub notices: &'a [crate::mail::OutgoingMail],
}

/// Where a session was started, kept for its owner's list.
#[derive(Clone, Copy, Debug, Default)]
pub struct SessionOrigin<'a> {
    /// A label such as "Firefox on Linux" (`crate::sessions::device::label`).
    pub device: Option<&'a str>,
    pub client_address: Option<&'a str>,
}

/// Stamps `last_login` (and the rehash) only if the row is as verified.
const RECORD_VERIFIED_LOGIN: &str = "UPDATE users \
     SET last_login = $1, password_hash = COALESCE($2, password_hash) \
     WHERE id = $3 AND is_active AND password_hash = $4 \
     AND tokens_revoked_at IS NOT DISTINCT FROM $5";

impl Store {
    /// Records a new login and its first refresh token. With `verified`,
    /// only if the user row is unchanged since (see [`VerifiedLogin`]);
    /// returns whether the session was recorded.
    #[allow(clippy::too_many_arguments)]
    pub async fn start_session(
        &self,
        session_id: &str,
        user_id: i64,
        now: i64,
        session_expires_at: i64,
        first_jti: &str,
        first_expires_at: i64,
        verified: Option<VerifiedLogin<'_>>,
        origin: SessionOrigin<'_>,
        audit: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        on_writer!(self, |pool| {
            let mut tx = pool.begin().await?;
            if let Some(verified) = verified {
                let unchanged = sqlx::query(RECORD_VERIFIED_LOGIN)
                    .bind(now)
                    .bind(verified.rehash)
                    .bind(user_id)
                    .bind(verified.password_hash)
                    .bind(verified.tokens_revoked_at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1;
                if !unchanged {
                    tx.rollback().await?;
                    return Ok(false);
                }
            }
            sqlx::query(
                "INSERT INTO sessions (id, user_id, created_at, expires_at, device, client_address) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(session_id)
            .bind(user_id)
            .bind(now)
            .bind(session_expires_at)
            .bind(origin.device)
            .bind(origin.client_address)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO refresh_tokens (jti, session_id, parent, issued_at, expires_at) \
                 VALUES ($1, $2, NULL, $3, $4)",
            )
            .bind(first_jti)
            .bind(session_id)
            .bind(now)
            .bind(first_expires_at)
            .execute(&mut *tx)
            .await?;
            record_audit!(tx, audit)?;
            if let Some(verified) = &verified {
                super::outbox::queue_mail!(tx, verified.notices, now)?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Many rotations in one statement, so one round trip and one commit
    /// whatever their number (`RotationQueue` gathers them). Returns the
    /// rotations that took place, each naming its `parent`; the others found
    /// their token not current. The `jti`s must be distinct.
    ///
    /// PostgreSQL consumes each token and inserts its successor with one
    /// data-modifying CTE, all of them in one call of a function (migration
    /// 0015); concurrent rotations of one token queue on its row lock and
    /// re-check `rotated_at IS NULL`, so one wins.
    /// SQLite (no DML in CTEs) inserts the successors with an `INSERT …
    /// SELECT` that finds their parents current, and a trigger (migration
    /// 0002) retires each parent within the same statement; a writing
    /// statement holds SQLite's write lock from its first read, so nothing
    /// can rotate in between.
    pub async fn rotate_refresh_tokens(
        &self,
        rotations: &[Rotation],
        now: i64,
        refresh_lifetime: i64,
    ) -> Result<Vec<Rotated>, StoreError> {
        const SQLITE: &str = "INSERT INTO refresh_tokens (jti, session_id, parent, issued_at, expires_at) \
             SELECT r.value ->> 1, t.session_id, t.jti, $1, MIN($1 + $2, s.expires_at) \
             FROM json_each($3) r \
             JOIN refresh_tokens t ON t.jti = r.value ->> 0 \
             JOIN sessions s ON s.id = t.session_id \
             WHERE t.rotated_at IS NULL AND t.expires_at > $1 \
             AND s.revoked_at IS NULL AND s.expires_at > $1 \
             RETURNING parent, session_id, \
             (SELECT user_id FROM sessions WHERE sessions.id = refresh_tokens.session_id) AS user_id, \
             issued_at, expires_at, \
             (SELECT expires_at FROM sessions WHERE sessions.id = refresh_tokens.session_id) \
             AS session_expires_at";
        if rotations.is_empty() {
            return Ok(Vec::new());
        }
        let rows = match self {
            Self::Sqlite { writes, .. } => {
                let pairs: Vec<[&str; 2]> = rotations
                    .iter()
                    .map(|r| [r.jti.as_str(), r.successor.as_str()])
                    .collect();
                let pairs = serde_json::to_string(&pairs)
                    .map_err(|e| StoreError::Database(sqlx::Error::Encode(Box::new(e))))?;
                sqlx::query_as::<_, Rotated>(SQLITE)
                    .bind(now)
                    .bind(refresh_lifetime)
                    .bind(pairs)
                    .fetch_all(writes)
                    .await?
            }
            Self::Postgres(pool) => {
                // In jti order, so that concurrent batches lock shared rows
                // in one order (migration 0015).
                let mut pairs: Vec<(&str, &str)> = rotations
                    .iter()
                    .map(|r| (r.jti.as_str(), r.successor.as_str()))
                    .collect();
                pairs.sort_unstable();
                let (jtis, successors): (Vec<&str>, Vec<&str>) = pairs.into_iter().unzip();
                sqlx::query_as::<_, Rotated>(
                    "SELECT parent, session_id, user_id, issued_at, expires_at, \
                     session_expires_at FROM rotate_refresh_tokens($1, $2, $3, $4)",
                )
                .bind(now)
                .bind(refresh_lifetime)
                .bind(jtis)
                .bind(successors)
                .fetch_all(pool)
                .await?
            }
        };
        Ok(rows)
    }

    pub async fn find_refresh_token(&self, jti: &str) -> Result<Option<RefreshRecord>, StoreError> {
        let sql = "SELECT t.jti, t.session_id, s.user_id, t.issued_at, t.expires_at, t.rotated_at, \
                   t.successor, s.expires_at AS session_expires_at, s.revoked_at AS session_revoked_at \
                   FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.jti = $1";
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, RefreshRecord>(
            sql
        )
        .bind(jti)
        .fetch_optional(pool)
        .await)?)
    }

    /// Revokes a whole session: every refresh token of the family and every
    /// access token minted from it. Returns false if it was already revoked.
    pub async fn revoke_session(
        &self,
        session_id: &str,
        now: i64,
        because: RevocationReason,
        audit: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let append_event = self.append_event_sql();
        on_writer!(self, |pool| {
            let mut tx = pool.begin().await?;
            let revoked = sqlx::query(
                "UPDATE sessions SET revoked_at = $1, revoked_because = $2 \
                 WHERE id = $3 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(because.as_str())
            .bind(session_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if revoked {
                append_change!(append_event, tx, Changed::Session(session_id), now)?;
                record_audit!(tx, audit)?;
            }
            tx.commit().await?;
            Ok(revoked)
        })
    }

    /// A session's revocation state: `(revoked_at, expires_at)`.
    pub async fn session_state(
        &self,
        session_id: &str,
    ) -> Result<Option<(Option<i64>, i64)>, StoreError> {
        Ok(on_pool!(self, |pool| sqlx::query_as::<
            _,
            (Option<i64>, i64),
        >(
            "SELECT revoked_at, expires_at FROM sessions WHERE id = $1"
        )
        .bind(session_id)
        .fetch_optional(pool)
        .await)?)
    }

    /// Revoked sessions that have not expired yet (the registry's start-up load).
    pub async fn revoked_live_sessions(
        &self,
        now: i64,
        user_id: Option<i64>,
    ) -> Result<Vec<RevokedSession>, StoreError> {
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, RevokedSession>(
            "SELECT id, expires_at FROM sessions \
             WHERE revoked_at IS NOT NULL AND expires_at > $1 AND ($2 IS NULL OR user_id = $2)"
        )
        .bind(now)
        .bind(user_id)
        .fetch_all(pool)
        .await)?)
    }

    /// Deletes refresh tokens and sessions past their expiry, and change-log
    /// rows older than a day. Returns how many tokens went.
    pub async fn flush_expired(&self, now: i64) -> Result<u64, StoreError> {
        on_writer!(self, |pool| {
            let mut tx = pool.begin().await?;
            let tokens = sqlx::query("DELETE FROM refresh_tokens WHERE expires_at <= $1")
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM auth_events WHERE created_at < $1")
                .bind(now - 86_400)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(tokens)
        })
    }
}

impl Store {
    /// Sessions neither expired nor revoked at `now`.
    pub async fn count_live_sessions(&self, now: i64) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > $1";
        Ok(super::on_pool!(self, |pool| sqlx::query_scalar::<_, i64>(
            sql
        )
        .bind(now)
        .fetch_one(pool)
        .await)?)
    }
}
