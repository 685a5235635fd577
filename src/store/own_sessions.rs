//! Sessions as the person who owns them sees and ends them: list the live
//! ones, end one, end all but the current one, change the password. Every
//! query names the owner, so an id of someone else's session finds nothing.

use super::audit::record_audit;
use super::passkeys::{apply_passkey_change, PasskeyChange};
use super::two_step::{apply_two_step_change, TwoStepChange};
use super::{
    append_change, on_pool, on_writer, Changed, RevocationReason, RevokedSession, Store, StoreError,
};
use crate::audit::{sessions_ended, AuditEvent};
use crate::mail::OutgoingMail;

/// A live session of a user.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub created_at: i64,
    /// The newest refresh token's issue: the login or the last rotation.
    pub last_used_at: i64,
    /// The absolute cap, whatever the rotations.
    pub expires_at: i64,
    pub device: Option<String>,
    pub client_address: Option<String>,
}

/// A password change, applied only over the hash that was verified, and
/// the mails that announce it (queued in its transaction).
#[derive(Clone, Copy, Debug)]
pub struct PasswordSwap<'a> {
    pub verified_hash: &'a str,
    pub new_hash: &'a str,
    pub notices: &'a [OutgoingMail],
}

/// What changes in the transaction that ends the sessions, applied only
/// if its precondition still holds, and the mails that announce it.
#[derive(Clone, Copy, Debug)]
pub enum EndedWith<'a> {
    Password(PasswordSwap<'a>),
    TwoStep {
        change: TwoStepChange<'a>,
        notices: &'a [OutgoingMail],
    },
    Passkey {
        change: PasskeyChange<'a>,
        notices: &'a [OutgoingMail],
    },
}

impl EndedWith<'_> {
    pub(crate) fn notices(&self) -> &[OutgoingMail] {
        match self {
            Self::Password(swap) => swap.notices,
            Self::TwoStep { notices, .. } | Self::Passkey { notices, .. } => notices,
        }
    }
}

/// Sessions neither revoked nor past their cap that can still refresh (a
/// current refresh token that has not expired), the most recently used
/// first.
const LIVE_SESSIONS: &str = "SELECT s.id, s.created_at, s.expires_at, s.device, s.client_address, \
     t.issued_at AS last_used_at \
     FROM sessions s JOIN refresh_tokens t ON t.session_id = s.id \
     WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 \
     AND t.rotated_at IS NULL AND t.expires_at > $2 \
     ORDER BY t.issued_at DESC, s.created_at DESC";

impl Store {
    pub async fn live_sessions_of(
        &self,
        user_id: i64,
        now: i64,
    ) -> Result<Vec<SessionRow>, StoreError> {
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, SessionRow>(
            LIVE_SESSIONS
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(pool)
        .await)?)
    }

    /// Ends one session of `user_id`; `None` when the user has no such live
    /// session (someone else's id included).
    pub async fn end_session_of(
        &self,
        user_id: i64,
        session_id: &str,
        now: i64,
        because: RevocationReason,
        audit: &[AuditEvent],
    ) -> Result<Option<RevokedSession>, StoreError> {
        let append_event = self.append_event_sql();
        on_writer!(self, |pool| {
            let mut tx = pool.begin().await?;
            let ended = sqlx::query_as::<_, RevokedSession>(
                "UPDATE sessions SET revoked_at = $1, revoked_because = $2 \
                 WHERE id = $3 AND user_id = $4 AND revoked_at IS NULL AND expires_at > $1 \
                 RETURNING id, expires_at",
            )
            .bind(now)
            .bind(because.as_str())
            .bind(session_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            if ended.is_some() {
                append_change!(append_event, tx, Changed::Session(session_id), now)?;
                record_audit!(tx, audit)?;
            }
            tx.commit().await?;
            Ok(ended)
        })
    }

    /// Ends every live session of `user_id` but `keep`, and makes the change
    /// `with` (queueing its notices) in the same transaction.
    /// `None` when the hash is no longer the one verified (changed
    /// meanwhile): nothing is done then.
    /// The user's access tokens are not voided wholesale (unlike the CLI's
    /// `user passwd`): the kept session's tokens stay valid; the others die
    /// with their sessions, and tokens without a session with the stamp.
    pub async fn end_other_sessions(
        &self,
        user_id: i64,
        keep: Option<&str>,
        now: i64,
        because: RevocationReason,
        with: Option<EndedWith<'_>>,
        audit: Option<AuditEvent>,
    ) -> Result<Option<Vec<RevokedSession>>, StoreError> {
        let append_event = self.append_event_sql();
        on_writer!(self, |pool| {
            let mut tx = pool.begin().await?;
            let applied =
                match with {
                    None => true,
                    Some(EndedWith::Password(swap)) => sqlx::query(
                        "UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3",
                    )
                    .bind(swap.new_hash)
                    .bind(user_id)
                    .bind(swap.verified_hash)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                        == 1,
                    Some(EndedWith::TwoStep { change, .. }) => {
                        apply_two_step_change!(tx, user_id, now, change)?
                    }
                    Some(EndedWith::Passkey { change, .. }) => {
                        apply_passkey_change!(tx, user_id, now, change)?
                    }
                };
            if !applied {
                tx.rollback().await?;
                return Ok(None);
            }
            // Tokens without a session (minted by the site this one replaced,
            // accepted with `--accept-foreign-tokens`) cannot be told apart by
            // session: the stamp voids every one issued until now. This
            // instance's own tokens carry a session and are judged by it.
            sqlx::query("UPDATE users SET tokens_revoked_at = $1 WHERE id = $2")
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            let ended = sqlx::query_as::<_, RevokedSession>(
                "UPDATE sessions SET revoked_at = $1, revoked_because = $2 \
                 WHERE user_id = $3 AND ($4 IS NULL OR id <> $4) \
                 AND revoked_at IS NULL AND expires_at > $1 \
                 RETURNING id, expires_at",
            )
            .bind(now)
            .bind(because.as_str())
            .bind(user_id)
            .bind(keep)
            .fetch_all(&mut *tx)
            .await?;
            // One row for the user: other instances re-read the user and
            // its revoked sessions (`Registry::sync`).
            append_change!(append_event, tx, Changed::User(user_id), now)?;
            // How many ended is known only now.
            let audit = audit.map(|event| event.detail(sessions_ended(ended.len())));
            record_audit!(tx, audit.iter())?;
            let notices = with.as_ref().map_or(&[][..], EndedWith::notices);
            super::outbox::queue_mail!(tx, notices, now)?;
            tx.commit().await?;
            Ok(Some(ended))
        })
    }
}
