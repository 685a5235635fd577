//! Passkeys' rows (migration 0013): each user's random handle, the
//! registered passkeys, and the ceremonies under way. A ceremony is taken
//! by the statement that deletes it, so it finishes once, on any instance;
//! a sign-in is accepted by one conditional UPDATE of the sign count.
//! Adding and removing a passkey happen in the transaction that ends the
//! user's other sessions ([`PasskeyChange`]).

use super::{on_pool, on_writer, Store, StoreError};

/// A registered passkey.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PasskeyRow {
    pub id: String,
    pub user_id: i64,
    pub name: String,
    /// The relying-party library's record of the credential, as JSON.
    pub credential: String,
    pub sign_count: i64,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A passkey to record, once its registration checked out.
#[derive(Clone, Copy, Debug)]
pub struct NewPasskey<'a> {
    pub id: &'a str,
    /// The authenticator's credential id, base64url.
    pub credential_id: &'a str,
    pub name: &'a str,
    pub credential: &'a str,
    pub sign_count: i64,
}

/// A change to a user's passkeys, made in the transaction that ends their
/// other sessions (see [`Store::end_other_sessions`]).
#[derive(Clone, Copy, Debug)]
pub enum PasskeyChange<'a> {
    /// Refused (nothing changes) if the credential is registered already,
    /// to this account or another.
    Add(NewPasskey<'a>),
    /// Refused if the user has no passkey of that id.
    Remove { id: &'a str },
}

/// What a ceremony is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CeremonyKind {
    Register,
    Login,
}

impl CeremonyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Login => "login",
        }
    }
}

/// A ceremony to keep until its answer comes.
#[derive(Clone, Copy, Debug)]
pub struct NewCeremony<'a> {
    pub id: &'a str,
    pub kind: CeremonyKind,
    /// The user registering; `None` for a sign-in (nobody is known yet).
    pub user_id: Option<i64>,
    /// The relying-party library's state, as JSON.
    pub state: &'a str,
    /// The client's address key, for the cap on open ceremonies.
    pub client_key: Option<&'a str>,
    pub expires_at: i64,
}

/// Applies `$change` (a [`PasskeyChange`]) for `$user_id` inside the
/// transaction `$tx`; `Ok(false)` if its precondition no longer holds (the
/// caller rolls back). A macro because each engine's transaction is its
/// own type.
macro_rules! apply_passkey_change {
    ($tx:expr, $user_id:expr, $now:expr, $change:expr) => {{
        use $crate::store::passkeys::PasskeyChange;
        let user_id: i64 = $user_id;
        let change: PasskeyChange<'_> = $change;
        async {
            let changed = match change {
                PasskeyChange::Add(new) => sqlx::query(
                    "INSERT INTO passkeys \
                     (id, user_id, credential_id, name, credential, sign_count, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (credential_id) DO NOTHING",
                )
                .bind(new.id)
                .bind(user_id)
                .bind(new.credential_id)
                .bind(new.name)
                .bind(new.credential)
                .bind(new.sign_count)
                .bind($now)
                .execute(&mut *$tx)
                .await?
                .rows_affected(),
                PasskeyChange::Remove { id } => {
                    sqlx::query("DELETE FROM passkeys WHERE id = $1 AND user_id = $2")
                        .bind(id)
                        .bind(user_id)
                        .execute(&mut *$tx)
                        .await?
                        .rows_affected()
                }
            };
            Ok::<bool, sqlx::Error>(changed == 1)
        }
        .await
    }};
}
pub(crate) use apply_passkey_change;

/// A passkey row's columns, for [`PasskeyRow`].
macro_rules! select_passkeys {
    ($where:literal) => {
        concat!(
            "SELECT id, user_id, name, credential, sign_count, created_at, last_used_at \
             FROM passkeys ",
            $where
        )
    };
}

impl Store {
    /// The user's passkey handle, made now (from `fresh`) if they have none.
    pub async fn passkey_handle(&self, user_id: i64, fresh: &str) -> Result<String, StoreError> {
        on_writer!(self, |pool| sqlx::query(
            "INSERT INTO passkey_user_handles (user_id, handle) VALUES ($1, $2) \
             ON CONFLICT (user_id) DO NOTHING"
        )
        .bind(user_id)
        .bind(fresh)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(on_pool!(self, |pool| sqlx::query_scalar::<_, String>(
            "SELECT handle FROM passkey_user_handles WHERE user_id = $1"
        )
        .bind(user_id)
        .fetch_one(pool)
        .await)?)
    }

    /// The user a passkey handle belongs to.
    pub async fn user_of_passkey_handle(&self, handle: &str) -> Result<Option<i64>, StoreError> {
        Ok(on_pool!(self, |pool| sqlx::query_scalar::<_, i64>(
            "SELECT user_id FROM passkey_user_handles WHERE handle = $1"
        )
        .bind(handle)
        .fetch_optional(pool)
        .await)?)
    }

    /// The user's passkeys, the oldest first.
    pub async fn passkeys_of(&self, user_id: i64) -> Result<Vec<PasskeyRow>, StoreError> {
        let sql = select_passkeys!("WHERE user_id = $1 ORDER BY created_at, id");
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, PasskeyRow>(sql)
            .bind(user_id)
            .fetch_all(pool)
            .await)?)
    }

    /// The passkey with this credential id (base64url), whoever owns it.
    pub async fn passkey_by_credential(
        &self,
        credential_id: &str,
    ) -> Result<Option<PasskeyRow>, StoreError> {
        let sql = select_passkeys!("WHERE credential_id = $1");
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, PasskeyRow>(sql)
            .bind(credential_id)
            .fetch_optional(pool)
            .await)?)
    }

    /// Records a sign-in with passkey `id`: its new count and record, and
    /// when. `false` (nothing recorded) unless the count went up from
    /// `seen_count` (or stays 0, for authenticators that keep none): a
    /// cloned authenticator, or two sign-ins racing with one count.
    pub async fn record_passkey_use(
        &self,
        id: &str,
        seen_count: i64,
        new_count: i64,
        credential: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let recorded = on_writer!(self, |pool| sqlx::query(
            "UPDATE passkeys SET sign_count = $1, credential = $2, last_used_at = $3 \
             WHERE id = $4 AND sign_count = $5 AND ($1 > $5 OR $1 = 0)"
        )
        .bind(new_count)
        .bind(credential)
        .bind(now)
        .bind(id)
        .bind(seen_count)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(recorded == 1)
    }

    /// Keeps a ceremony until its answer, unless `client_key` already holds
    /// `cap` open ones (`false`: nothing kept).
    pub async fn open_ceremony(
        &self,
        ceremony: NewCeremony<'_>,
        cap: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        if let Some(client_key) = ceremony.client_key {
            let open: i64 = on_pool!(self, |pool| sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM passkey_ceremonies \
                 WHERE client_key = $1 AND expires_at > $2"
            )
            .bind(client_key)
            .bind(now)
            .fetch_one(pool)
            .await)?;
            if open >= cap {
                return Ok(false);
            }
        }
        on_writer!(self, |pool| sqlx::query(
            "INSERT INTO passkey_ceremonies (id, kind, user_id, state, client_key, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(ceremony.id)
        .bind(ceremony.kind.as_str())
        .bind(ceremony.user_id)
        .bind(ceremony.state)
        .bind(ceremony.client_key)
        .bind(ceremony.expires_at)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(true)
    }

    /// Takes (deletes) the ceremony `id` of `kind` begun by `user_id` (for
    /// a sign-in, by nobody) and returns its state, if it has not expired.
    /// Someone else's ceremony is neither returned nor deleted.
    pub async fn take_ceremony(
        &self,
        id: &str,
        kind: CeremonyKind,
        user_id: Option<i64>,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let taken: Option<(String, i64)> = match user_id {
            Some(user_id) => on_writer!(self, |pool| sqlx::query_as(
                "DELETE FROM passkey_ceremonies WHERE id = $1 AND kind = $2 AND user_id = $3 \
                 RETURNING state, expires_at"
            )
            .bind(id)
            .bind(kind.as_str())
            .bind(user_id)
            .fetch_optional(pool)
            .await)?,
            None => on_writer!(self, |pool| {
                sqlx::query_as(
                "DELETE FROM passkey_ceremonies WHERE id = $1 AND kind = $2 AND user_id IS NULL \
                 RETURNING state, expires_at"
            )
            .bind(id)
            .bind(kind.as_str())
            .fetch_optional(pool)
            .await
            })?,
        };
        Ok(taken
            .filter(|(_, expires_at)| *expires_at > now)
            .map(|(state, _)| state))
    }

    /// Deletes ceremonies nobody finished.
    pub async fn purge_ceremonies(&self, now: i64) -> Result<u64, StoreError> {
        Ok(on_writer!(self, |pool| sqlx::query(
            "DELETE FROM passkey_ceremonies WHERE expires_at <= $1"
        )
        .bind(now)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?)
    }
}
