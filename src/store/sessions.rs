//! Login sessions (refresh-token families) and their refresh tokens.
//!
//! Rotation consumes a token with one conditional UPDATE inside the
//! transaction that inserts its successor: of N concurrent refreshes of one
//! token exactly one changes a row, whatever the engine.

use super::{on_pool, Store, StoreError};

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

/// The successor created by a rotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotated {
    pub user_id: i64,
    pub session_id: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RotateOutcome {
    Rotated(Rotated),
    /// Unknown, already rotated, or its session was revoked: the caller looks
    /// the record up to tell which.
    NotCurrent,
}

/// A session revoked by a bulk operation, for the in-memory registry.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RevokedSession {
    pub id: String,
    pub expires_at: i64,
}

impl Store {
    /// Records a new login and its first refresh token.
    pub async fn start_session(
        &self,
        session_id: &str,
        user_id: i64,
        now: i64,
        session_expires_at: i64,
        first_jti: &str,
        first_expires_at: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(session_id)
            .bind(user_id)
            .bind(now)
            .bind(session_expires_at)
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
            tx.commit().await?;
        });
        Ok(())
    }

    /// Retires `jti` in favour of `successor_jti` if, and only if, it is the
    /// current, unexpired token of a live session.
    pub async fn rotate_refresh_token(
        &self,
        jti: &str,
        successor_jti: &str,
        now: i64,
        refresh_lifetime: i64,
    ) -> Result<RotateOutcome, StoreError> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            // The write comes first so that SQLite takes its write lock at
            // once (a read-then-write transaction could fail to upgrade).
            let consumed = sqlx::query(
                "UPDATE refresh_tokens SET rotated_at = $1, successor = $2 \
                 WHERE jti = $3 AND rotated_at IS NULL AND expires_at > $1",
            )
            .bind(now)
            .bind(successor_jti)
            .bind(jti)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if consumed != 1 {
                return Ok(RotateOutcome::NotCurrent);
            }
            let session: Option<(String, i64, i64)> = sqlx::query_as(
                "SELECT s.id, s.user_id, s.expires_at FROM sessions s \
                 JOIN refresh_tokens t ON t.session_id = s.id \
                 WHERE t.jti = $1 AND s.revoked_at IS NULL AND s.expires_at > $2",
            )
            .bind(jti)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((session_id, user_id, session_expires_at)) = session else {
                // Dropping the transaction rolls the UPDATE back.
                return Ok(RotateOutcome::NotCurrent);
            };
            let expires_at = (now + refresh_lifetime).min(session_expires_at);
            sqlx::query(
                "INSERT INTO refresh_tokens (jti, session_id, parent, issued_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(successor_jti)
            .bind(&session_id)
            .bind(jti)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(RotateOutcome::Rotated(Rotated {
                user_id,
                session_id,
                issued_at: now,
                expires_at,
            }))
        })
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
        because: &str,
    ) -> Result<bool, StoreError> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let revoked = sqlx::query(
                "UPDATE sessions SET revoked_at = $1, revoked_because = $2 \
                 WHERE id = $3 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(because)
            .bind(session_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if revoked {
                sqlx::query(super::APPEND_EVENT)
                    .bind(None::<i64>)
                    .bind(session_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
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
        on_pool!(self, |pool| {
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
