//! User administration: create, sign up, set a password, (de)activate, list.
//! The CLI and sign-up call this side; changing what may authenticate as a
//! user ends every session of theirs.

use std::sync::Arc;

use crate::core::{Core, TokenPair};
use crate::error::AuthError;
use crate::password::MAX_PASSWORD_BYTES;
use crate::store::{RevocationReason, StoreError, UserState, UserSummary};

/// Django's rule, minus its character whitelist: 1 to 150 characters, no
/// control characters, no surrounding whitespace.
pub fn is_valid_username(username: &str) -> bool {
    let length = username.chars().count();
    (1..=150).contains(&length)
        && username.trim() == username
        && !username.chars().any(char::is_control)
}

/// The accounts side of the core. Cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    core: Arc<Core>,
}

impl Accounts {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// Creates an active user. Length rules beyond "not empty, not over
    /// 1024 bytes" belong to the caller (the CLI accepts `123`, sign-up doesn't).
    pub async fn create_user(&self, username: &str, password: &str) -> Result<i64, AuthError> {
        if !is_valid_username(username) {
            return Err(AuthError::InvalidUsername);
        }
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(AuthError::PasswordTooLong);
        }
        let core = &*self.core;
        let hash = core.hasher.hash(password).await?;
        let id = core
            .store
            .create_user(username, &hash, core.now())
            .await
            .map_err(|error| match error {
                StoreError::Conflict => AuthError::UsernameTaken,
                other => AuthError::Store(other),
            })?;
        core.registry.put_user(UserState {
            id,
            is_active: true,
            tokens_revoked_at: None,
        });
        Ok(id)
    }

    /// Self-service sign-up (UI): when the server allows it, creates the user
    /// with a password of at least the configured length and logs them in.
    pub async fn sign_up(&self, username: &str, password: &str) -> Result<TokenPair, AuthError> {
        let policy = self.core.policy;
        if !policy.allow_signup {
            return Err(AuthError::SignupClosed);
        }
        if password.chars().count() < policy.min_password_length {
            return Err(AuthError::PasswordTooShort(policy.min_password_length));
        }
        let id = self.create_user(username, password).await?;
        let now = self.core.now();
        self.core.store.record_login(id, now, None).await?;
        self.core.start_session(id, now, None).await
    }

    /// Sets a new password; every session of the user is logged out.
    pub async fn set_password(&self, username: &str, password: &str) -> Result<(), AuthError> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(AuthError::PasswordTooLong);
        }
        let hash = self.core.hasher.hash(password).await?;
        self.update_credentials(
            username,
            Some(&hash),
            None,
            RevocationReason::PasswordChanged,
        )
        .await
    }

    /// Activates or deactivates; deactivating logs every session out.
    pub async fn set_active(&self, username: &str, active: bool) -> Result<(), AuthError> {
        let because = if active {
            RevocationReason::Activated
        } else {
            RevocationReason::Deactivated
        };
        self.update_credentials(username, None, Some(active), because)
            .await
    }

    async fn update_credentials(
        &self,
        username: &str,
        hash: Option<&str>,
        active: Option<bool>,
        because: RevocationReason,
    ) -> Result<(), AuthError> {
        let core = &*self.core;
        let (id, revoked) = core
            .store
            .update_credentials(username, hash, active, core.now(), because)
            .await?
            .ok_or(AuthError::NoSuchUser)?;
        core.registry.revoke_sessions(revoked);
        if let Some(state) = core.store.user_state(id).await? {
            core.registry.put_user(state);
        }
        Ok(())
    }

    pub async fn list_users(&self) -> Result<Vec<UserSummary>, AuthError> {
        Ok(self.core.store.list_users().await?)
    }

    pub async fn user_summary(&self, id: i64) -> Result<Option<UserSummary>, AuthError> {
        Ok(self.core.store.find_user_summary(id).await?)
    }

    pub async fn count_users(&self) -> Result<i64, AuthError> {
        Ok(self.core.store.count_users().await?)
    }
}
