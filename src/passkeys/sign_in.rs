//! Signing in with a passkey, no username typed: the browser offers the
//! passkeys it holds for this site, the person picks one and unlocks it,
//! and its answer names the account (the user handle stored with it). The
//! session that starts is a login's like any other: throttled with the
//! account's name, labelled with the device, recorded and revocable.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey as Credential, PublicKeyCredential,
    WebauthnError,
};

use super::{from_json, keep_ceremony, relying_party, relying_party_of, PasskeyCeremony, Passkeys};
use crate::audit::{AuditEvent, AuditKind};
use crate::core::password_attempt::PasswordAttempt;
use crate::core::{Client, TokenPair};
use crate::error::AuthError;
use crate::store::CeremonyKind;

/// A sign-in with a passkey: the session's first pair, and whose it is
/// (the person typed no name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasskeySignIn {
    pub tokens: TokenPair,
    pub username: String,
}

impl Passkeys {
    /// Begins a sign-in: the options for the browser's
    /// `navigator.credentials.get()`, whose answer goes to
    /// [`Passkeys::sign_in`].
    pub async fn begin_sign_in(&self, client: Client<'_>) -> Result<PasskeyCeremony, AuthError> {
        let core = &*self.core;
        let rp = relying_party_of(core)?;
        let (mut challenge, state) = rp
            .start_discoverable_authentication()
            .map_err(|error| AuthError::Internal(format!("passkey sign-in: {error}")))?;
        // A button press, not the autofill of a username field.
        challenge.mediation = None;
        let public_key = relying_party::browser_options(&challenge);
        let id = keep_ceremony(core, CeremonyKind::Login, None, &state, client).await?;
        Ok(PasskeyCeremony { id, public_key })
    }

    /// Finishes the sign-in `ceremony` with `credential` (what the
    /// browser's `navigator.credentials.get()` returned, as JSON): a new
    /// session, as `POST /api/token/` starts with a password.
    pub async fn sign_in(
        &self,
        ceremony: &str,
        credential: &Value,
        client: Client<'_>,
    ) -> Result<PasskeySignIn, AuthError> {
        let outcome = self.check_sign_in(ceremony, credential, client).await;
        crate::core::metrics::login(match &outcome {
            Ok(_) => "succeeded",
            Err(AuthError::PasskeyRefused | AuthError::BadCredentials) => "failed",
            Err(AuthError::Throttled { .. }) => "throttled",
            Err(AuthError::CeremonyInvalid | AuthError::PasskeyMalformed) => "refused",
            Err(_) => "error",
        });
        outcome
    }

    async fn check_sign_in(
        &self,
        ceremony: &str,
        credential: &Value,
        client: Client<'_>,
    ) -> Result<PasskeySignIn, AuthError> {
        let core = &*self.core;
        let rp = relying_party_of(core)?;
        let credential: PublicKeyCredential =
            serde_json::from_value(credential.clone()).map_err(|_| AuthError::PasskeyMalformed)?;
        let state: DiscoverableAuthentication = core
            .store
            .take_ceremony(ceremony, CeremonyKind::Login, None, core.now())
            .await?
            .and_then(|state| from_json(&state))
            .ok_or(AuthError::CeremonyInvalid)?;
        // Whose passkey it says it is: checked by the signature below.
        let (handle, credential_id) = rp
            .identify_discoverable_authentication(&credential)
            .map_err(|_| AuthError::PasskeyRefused)?;
        let Some(user_id) = core
            .store
            .user_of_passkey_handle(&handle.hyphenated().to_string())
            .await?
        else {
            return Err(AuthError::PasskeyRefused);
        };
        let row = core
            .store
            .passkey_by_credential(&URL_SAFE_NO_PAD.encode(credential_id))
            .await?
            .filter(|row| row.user_id == user_id)
            .ok_or(AuthError::PasskeyRefused)?;
        let user = core
            .store
            .find_user_by_id(user_id)
            .await?
            .ok_or(AuthError::PasskeyRefused)?;
        // Counted under the account's name, like its password guesses.
        let (slot, attempt) = PasswordAttempt::begin(&self.core, &user.username, client).await?;
        drop(slot);
        let failed = |why: &str| {
            AuditEvent::new(AuditKind::LoginFailed, core.now())
                .user(user.id)
                .username(&user.username)
                .seen_from(client)
                .detail(why.to_owned())
        };
        if !user.is_active {
            attempt.failed(failed("inactive account")).await?;
            return Err(AuthError::BadCredentials);
        }
        let mut passkey: Credential = from_json(&row.credential)
            .ok_or_else(|| AuthError::Internal(format!("passkey {} does not read", row.id)))?;
        let key = DiscoverableKey::from(&passkey);
        let checked = match rp.finish_discoverable_authentication(&credential, state, &[key]) {
            Ok(checked) => checked,
            Err(error) => {
                let why = if matches!(error, WebauthnError::CredentialPossibleCompromise) {
                    tracing::warn!(
                        user_id,
                        passkey = %row.id,
                        "a passkey's sign count went backwards: a cloned authenticator? \
                         The sign-in was refused"
                    );
                    "passkey sign count went backwards (a cloned authenticator?)"
                } else {
                    tracing::info!(user_id, %error, "a passkey sign-in was refused");
                    "passkey not accepted"
                };
                attempt.failed(failed(why)).await?;
                return Err(AuthError::PasskeyRefused);
            }
        };
        passkey.update_credential(&checked);
        let record = serde_json::to_string(&passkey)
            .map_err(|error| AuthError::Internal(format!("passkey record: {error}")))?;
        let count = i64::from(checked.counter());
        let now = core.now();
        if !core
            .store
            .record_passkey_use(&row.id, row.sign_count, count, &record, now)
            .await?
        {
            // Another sign-in with this passkey counted the same number (or
            // a higher one) meanwhile: two copies of one authenticator.
            tracing::warn!(
                user_id,
                passkey = %row.id,
                "a passkey's sign count was used twice: a cloned authenticator? \
                 The sign-in was refused"
            );
            attempt
                .failed(failed(
                    "passkey sign count went backwards (a cloned authenticator?)",
                ))
                .await?;
            return Err(AuthError::PasskeyRefused);
        }
        let known_device = attempt.succeeded(&user.username).await?;
        let tokens = crate::sessions::start_proven(
            core,
            &user,
            &user.username,
            None,
            known_device,
            client,
            Some("passkey"),
        )
        .await?;
        Ok(PasskeySignIn {
            tokens,
            username: user.username,
        })
    }
}
