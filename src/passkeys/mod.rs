//! Passkeys (WebAuthn): a key pair kept by the person's device or password
//! manager, unlocked with a fingerprint, face or PIN, that signs in
//! without a password. Checking the browser's answers is `webauthn-rs`'s
//! (kanidm's audited library); this module keeps the ceremonies in the
//! database, so that one begun on an instance finishes on any other and
//! only once, and ties passkeys to accounts. Adding or removing one ends
//! every other session, like a password change. Signing in is in
//! [`sign_in`].

mod relying_party;
mod sign_in;

pub(crate) use relying_party::relying_party;
pub use sign_in::PasskeySignIn;

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use webauthn_rs::prelude::{
    Passkey as Credential, PasskeyRegistration, RegisterPublicKeyCredential, Uuid, Webauthn,
};

use crate::audit::{AuditEvent, AuditKind};
use crate::core::caller::address_block;
use crate::core::{Client, Core};
use crate::error::AuthError;
use crate::mail::notices::{self, PasskeyEvent, Recipient};
use crate::sessions::ending::change_ending_sessions;
use crate::sessions::AuthenticatedUser;
use crate::store::{
    CeremonyKind, EndedWith, NewCeremony, NewPasskey, PasskeyChange, PasskeyRow, RevocationReason,
};
use relying_party::CEREMONY_SECS;

/// The longest name a passkey may have, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Ceremonies one client address may hold open at once: enough for every
/// tab of an office behind one address, too few to fill the table.
const OPEN_CEREMONIES_PER_CLIENT: i64 = 50;

/// A registered passkey, as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Passkey {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl From<&PasskeyRow> for Passkey {
    fn from(row: &PasskeyRow) -> Self {
        Self {
            id: row.id.clone(),
            name: row.name.clone(),
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        }
    }
}

/// A ceremony begun: its id, to send back with the browser's answer, and
/// the options for `navigator.credentials.create()` or `.get()` (in the
/// JSON form `PublicKeyCredential.parseCreationOptionsFromJSON()` and
/// `parseRequestOptionsFromJSON()` read).
#[derive(Clone, Debug, PartialEq)]
pub struct PasskeyCeremony {
    pub id: String,
    pub public_key: Value,
}

/// The passkeys side of the core. Cheap to clone.
#[derive(Clone)]
pub struct Passkeys {
    core: Arc<Core>,
}

impl Passkeys {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// The origin passkeys work at (`https://auth.example.com`), if this
    /// server offers them: pages opened at another address (an IP) cannot
    /// use them.
    pub fn origin(&self) -> Option<String> {
        let rp = self.core.webauthn.as_ref()?;
        let origin = rp.get_allowed_origins().first()?;
        Some(origin.as_str().trim_end_matches('/').to_owned())
    }

    /// The caller's passkeys, the oldest first.
    pub async fn list(&self, user: &AuthenticatedUser) -> Result<Vec<Passkey>, AuthError> {
        let rows = self.core.store.passkeys_of(user.user_id).await?;
        Ok(rows.iter().map(Passkey::from).collect())
    }

    /// Begins adding a passkey to the caller's account: the options for
    /// the browser, which answer [`Passkeys::finish_registration`].
    pub async fn begin_registration(
        &self,
        user: &AuthenticatedUser,
        client: Client<'_>,
    ) -> Result<PasskeyCeremony, AuthError> {
        let core = &*self.core;
        let rp = relying_party_of(core)?;
        let account = core
            .store
            .password_account(user.user_id)
            .await?
            .ok_or(AuthError::UserNotFound)?;
        let handle = self.handle_of(user.user_id).await?;
        // The browser refuses to make a second passkey for the account on
        // an authenticator that holds one already.
        let registered: Vec<_> = core
            .store
            .passkeys_of(user.user_id)
            .await?
            .iter()
            .filter_map(|row| from_json::<Credential>(&row.credential))
            .map(|credential| credential.cred_id().clone())
            .collect();
        let (challenge, state) = rp
            .start_passkey_registration(
                handle,
                &account.username,
                &account.username,
                Some(registered),
            )
            .map_err(|error| AuthError::Internal(format!("passkey registration: {error}")))?;
        let public_key = relying_party::discoverable(relying_party::browser_options(&challenge));
        let id = keep_ceremony(
            core,
            CeremonyKind::Register,
            Some(user.user_id),
            &state,
            client,
        )
        .await?;
        Ok(PasskeyCeremony { id, public_key })
    }

    /// Adds the passkey `credential` (what the browser's
    /// `navigator.credentials.create()` returned, as JSON) made for the
    /// ceremony `ceremony`, named `name`. Every other session of the
    /// caller ends. The ceremony is used up whatever the outcome.
    pub async fn finish_registration(
        &self,
        user: &AuthenticatedUser,
        ceremony: &str,
        credential: &Value,
        name: &str,
        client: Client<'_>,
    ) -> Result<Passkey, AuthError> {
        let core = &*self.core;
        let rp = relying_party_of(core)?;
        let name = passkey_name(name)?;
        let credential: RegisterPublicKeyCredential =
            serde_json::from_value(credential.clone()).map_err(|_| AuthError::PasskeyMalformed)?;
        let now = core.now();
        let state: PasskeyRegistration = core
            .store
            .take_ceremony(ceremony, CeremonyKind::Register, Some(user.user_id), now)
            .await?
            .and_then(|state| from_json(&state))
            .ok_or(AuthError::CeremonyInvalid)?;
        let passkey = rp
            .finish_passkey_registration(&credential, &state)
            .map_err(|error| {
                tracing::info!(user_id = user.user_id, %error, "a passkey registration was refused");
                AuthError::PasskeyRejected
            })?;
        let record = serde_json::to_string(&passkey)
            .map_err(|error| AuthError::Internal(format!("passkey record: {error}")))?;
        let id = crate::core::hex::random_id();
        let new = NewPasskey {
            id: &id,
            credential_id: &URL_SAFE_NO_PAD.encode(passkey.cred_id()),
            name: &name,
            credential: &record,
            sign_count: sign_count_of(&record),
        };
        let changed = self
            .change(
                user,
                PasskeyChange::Add(new),
                (AuditKind::PasskeyAdded, PasskeyEvent::Added, &name),
                client,
                now,
            )
            .await?;
        if !changed {
            return Err(AuthError::PasskeyExists);
        }
        Ok(Passkey {
            id,
            name,
            created_at: now,
            last_used_at: None,
        })
    }

    /// Removes the caller's passkey `id`; another user's id is not found.
    /// Every other session of the caller ends.
    pub async fn remove(
        &self,
        user: &AuthenticatedUser,
        id: &str,
        client: Client<'_>,
    ) -> Result<(), AuthError> {
        let core = &*self.core;
        let rows = core.store.passkeys_of(user.user_id).await?;
        let row = rows
            .iter()
            .find(|row| row.id == id)
            .ok_or(AuthError::PasskeyNotFound)?;
        let changed = self
            .change(
                user,
                PasskeyChange::Remove { id },
                (AuditKind::PasskeyRemoved, PasskeyEvent::Removed, &row.name),
                client,
                core.now(),
            )
            .await?;
        if !changed {
            return Err(AuthError::PasskeyNotFound);
        }
        Ok(())
    }

    /// The user's passkey handle: random, made at their first passkey.
    async fn handle_of(&self, user_id: i64) -> Result<Uuid, AuthError> {
        let mut fresh = [0u8; 16];
        getrandom::fill(&mut fresh).expect("the system random number generator failed");
        let fresh = Uuid::from_bytes(fresh).hyphenated().to_string();
        let handle = self.core.store.passkey_handle(user_id, &fresh).await?;
        Uuid::parse_str(&handle)
            .map_err(|error| AuthError::Internal(format!("passkey handle {handle:?}: {error}")))
    }

    /// Makes `change` and ends the caller's other sessions, with its audit
    /// event and notice; `false` if its precondition no longer held.
    async fn change(
        &self,
        user: &AuthenticatedUser,
        change: PasskeyChange<'_>,
        (kind, what, name): (AuditKind, PasskeyEvent, &str),
        client: Client<'_>,
        now: i64,
    ) -> Result<bool, AuthError> {
        let core = &*self.core;
        let account = core
            .store
            .password_account(user.user_id)
            .await?
            .ok_or(AuthError::UserNotFound)?;
        let mut event = AuditEvent::new(kind, now)
            .user(user.user_id)
            .username(&account.username)
            .seen_from(client)
            .detail(format!("\u{201c}{name}\u{201d}"));
        if let Some(session_id) = user.session_id() {
            event = event.session(session_id);
        }
        let recipient = Recipient {
            username: &account.username,
            email: &account.email,
            verified: account.email_verified,
        };
        let notice = notices::passkeys_changed(core, recipient, what, name, client, now);
        let with = EndedWith::Passkey {
            change,
            notices: notice.as_slice(),
        };
        change_ending_sessions(
            core,
            user.user_id,
            user.session_id(),
            RevocationReason::PasskeysChanged,
            with,
            &event,
            now,
        )
        .await
    }
}

fn relying_party_of(core: &Core) -> Result<&Webauthn, AuthError> {
    core.webauthn.as_ref().ok_or(AuthError::PasskeysUnavailable)
}

/// Keeps a ceremony's state until the browser answers; returns its id.
async fn keep_ceremony(
    core: &Core,
    kind: CeremonyKind,
    user_id: Option<i64>,
    state: &impl Serialize,
    client: Client<'_>,
) -> Result<String, AuthError> {
    let state = serde_json::to_string(state)
        .map_err(|error| AuthError::Internal(format!("passkey ceremony: {error}")))?;
    let id = crate::core::hex::random_id();
    let client_key = client
        .address
        .map(|address| address_block(address, core.ipv6_prefix));
    let now = core.now();
    let ceremony = NewCeremony {
        id: &id,
        kind,
        user_id,
        state: &state,
        client_key: client_key.as_deref(),
        expires_at: now + CEREMONY_SECS,
    };
    if !core
        .store
        .open_ceremony(ceremony, OPEN_CEREMONIES_PER_CLIENT, now)
        .await?
    {
        return Err(AuthError::Throttled {
            retry_after: CEREMONY_SECS,
        });
    }
    Ok(id)
}

/// A passkey's name: trimmed, not blank, at most [`MAX_NAME_CHARS`], no
/// control characters (it is shown in pages and mails).
fn passkey_name(name: &str) -> Result<String, AuthError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AuthError::BlankField { field: "name" });
    }
    if name.contains('\0') {
        return Err(AuthError::NullCharacters { field: "name" });
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AuthError::FieldTooLong {
            field: "name",
            max: MAX_NAME_CHARS,
        });
    }
    Ok(name.chars().filter(|c| !c.is_control()).collect())
}

fn from_json<T: DeserializeOwned>(json: &str) -> Option<T> {
    serde_json::from_str(json).ok()
}

/// The signature counter in the library's record of a passkey (it keeps
/// no accessor for it): stored beside it for the conditional update.
fn sign_count_of(record: &str) -> i64 {
    from_json::<Value>(record)
        .and_then(|value| value.pointer("/cred/counter").and_then(Value::as_i64))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(passkey_name("  Laptop  ").unwrap(), "Laptop");
        assert!(matches!(
            passkey_name("   "),
            Err(AuthError::BlankField { field: "name" })
        ));
        assert!(matches!(
            passkey_name(&"x".repeat(65)),
            Err(AuthError::FieldTooLong { max: 64, .. })
        ));
        assert!(passkey_name(&"é".repeat(64)).is_ok());
        assert!(matches!(
            passkey_name("a\0b"),
            Err(AuthError::NullCharacters { .. })
        ));
        assert_eq!(passkey_name("a\u{7}b").unwrap(), "ab");
    }
}
