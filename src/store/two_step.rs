//! Two-step sign-in's rows (migration 0012): a user's TOTP secret, sealed,
//! and the hashes of their recovery codes. Every write that proves a code
//! is one conditional statement, so a code or a recovery code is accepted
//! once, however many requests on however many instances race for it.

use super::{on_pool, on_writer, Store, StoreError};

/// A user's authenticator-app secret as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TotpRow {
    pub sealed_secret: Vec<u8>,
    pub created_at: i64,
    /// `None` while it waits for its first code: then no code is asked at login.
    pub confirmed_at: Option<i64>,
}

/// What proves a change to two-step sign-in, or stands in for a code at
/// login: accepted only if not used before.
#[derive(Clone, Copy, Debug)]
pub enum CodeProof<'a> {
    /// The time step of a code from the app: it must be later than the
    /// last step accepted.
    Step(i64),
    /// The hash of a recovery code: it must still be unused.
    RecoveryCode(&'a str),
}

/// A change to two-step sign-in, made in the transaction that ends the
/// user's other sessions (see [`Store::end_other_sessions`]).
#[derive(Clone, Copy, Debug)]
pub enum TwoStepChange<'a> {
    /// The staged secret `sealed_secret` (the one whose code was checked)
    /// is confirmed at `step`, with new recovery codes.
    TurnOn {
        sealed_secret: &'a [u8],
        step: i64,
        recovery_hashes: &'a [String],
    },
    /// Off, proven by a code; `None`: by an operator, no proof needed.
    TurnOff(Option<CodeProof<'a>>),
    /// A recovery code used at a sign-in.
    UseRecoveryCode(&'a str),
}

/// Applies `$change` (a [`TwoStepChange`]) for `$user_id` inside the
/// transaction `$tx`; `Ok(false)` if its proof or precondition no longer
/// holds (the caller rolls back). A macro because each engine's
/// transaction is its own type.
macro_rules! apply_two_step_change {
    ($tx:expr, $user_id:expr, $now:expr, $change:expr) => {{
        use $crate::store::two_step::{CodeProof, TwoStepChange};
        let user_id: i64 = $user_id;
        let change: TwoStepChange<'_> = $change;
        async {
            let proven = match change {
                TwoStepChange::TurnOn {
                    sealed_secret,
                    step,
                    ..
                } => {
                    sqlx::query(
                        "UPDATE user_totp SET confirmed_at = $1, last_step = $2 \
                         WHERE user_id = $3 AND confirmed_at IS NULL AND sealed_secret = $4",
                    )
                    .bind($now)
                    .bind(step)
                    .bind(user_id)
                    .bind(sealed_secret)
                    .execute(&mut *$tx)
                    .await?
                    .rows_affected()
                        == 1
                }
                TwoStepChange::TurnOff(Some(CodeProof::Step(step))) => {
                    sqlx::query($crate::store::two_step::ACCEPT_STEP)
                        .bind(step)
                        .bind(user_id)
                        .execute(&mut *$tx)
                        .await?
                        .rows_affected()
                        == 1
                }
                TwoStepChange::TurnOff(Some(CodeProof::RecoveryCode(hash)))
                | TwoStepChange::UseRecoveryCode(hash) => {
                    sqlx::query($crate::store::two_step::USE_RECOVERY_CODE)
                        .bind(user_id)
                        .bind(hash)
                        .execute(&mut *$tx)
                        .await?
                        .rows_affected()
                        == 1
                }
                TwoStepChange::TurnOff(None) => {
                    sqlx::query("SELECT user_id FROM user_totp WHERE user_id = $1")
                        .bind(user_id)
                        .fetch_optional(&mut *$tx)
                        .await?
                        .is_some()
                }
            };
            if !proven {
                return Ok::<bool, sqlx::Error>(false);
            }
            match change {
                TwoStepChange::TurnOn {
                    recovery_hashes, ..
                } => {
                    sqlx::query("DELETE FROM totp_recovery_codes WHERE user_id = $1")
                        .bind(user_id)
                        .execute(&mut *$tx)
                        .await?;
                    for hash in recovery_hashes {
                        sqlx::query(
                            "INSERT INTO totp_recovery_codes (user_id, code_hash) VALUES ($1, $2)",
                        )
                        .bind(user_id)
                        .bind(hash)
                        .execute(&mut *$tx)
                        .await?;
                    }
                }
                TwoStepChange::TurnOff(_) => {
                    sqlx::query("DELETE FROM totp_recovery_codes WHERE user_id = $1")
                        .bind(user_id)
                        .execute(&mut *$tx)
                        .await?;
                    sqlx::query("DELETE FROM user_totp WHERE user_id = $1")
                        .bind(user_id)
                        .execute(&mut *$tx)
                        .await?;
                }
                TwoStepChange::UseRecoveryCode(_) => {}
            }
            Ok(true)
        }
        .await
    }};
}
pub(crate) use apply_two_step_change;

/// Accepts a code's step for a user whose TOTP is on: `$1` step, `$2` user.
pub(crate) const ACCEPT_STEP: &str = "UPDATE user_totp SET last_step = $1 \
     WHERE user_id = $2 AND confirmed_at IS NOT NULL AND last_step < $1";
/// Uses up a recovery code: `$1` user, `$2` hash.
pub(crate) const USE_RECOVERY_CODE: &str =
    "DELETE FROM totp_recovery_codes WHERE user_id = $1 AND code_hash = $2";

impl Store {
    /// The user's TOTP secret, confirmed or waiting.
    pub async fn totp_of(&self, user_id: i64) -> Result<Option<TotpRow>, StoreError> {
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, TotpRow>(
            "SELECT sealed_secret, created_at, confirmed_at FROM user_totp WHERE user_id = $1"
        )
        .bind(user_id)
        .fetch_optional(pool)
        .await)?)
    }

    /// How many of the user's recovery codes are unused.
    pub async fn recovery_codes_left(&self, user_id: i64) -> Result<i64, StoreError> {
        let count: i64 = on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM totp_recovery_codes WHERE user_id = $1"
        )
        .bind(user_id)
        .fetch_one(pool)
        .await)?;
        Ok(count)
    }

    /// Stores a new secret waiting for its first code, replacing one that
    /// waits. `false` (nothing stored) when TOTP is already on.
    pub async fn stage_totp(
        &self,
        user_id: i64,
        sealed_secret: &[u8],
        now: i64,
    ) -> Result<bool, StoreError> {
        let staged = on_writer!(self, |pool| sqlx::query(
            "INSERT INTO user_totp (user_id, sealed_secret, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE \
             SET sealed_secret = excluded.sealed_secret, created_at = excluded.created_at, \
             last_step = 0 \
             WHERE user_totp.confirmed_at IS NULL"
        )
        .bind(user_id)
        .bind(sealed_secret)
        .bind(now)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(staged == 1)
    }

    /// Accepts a code of time step `step` at login: `true` once per step,
    /// and only for a step later than any accepted before.
    pub async fn accept_totp_step(&self, user_id: i64, step: i64) -> Result<bool, StoreError> {
        let accepted = on_writer!(self, |pool| sqlx::query(ACCEPT_STEP)
            .bind(step)
            .bind(user_id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(accepted == 1)
    }
}
