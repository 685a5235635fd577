//! `#[server]` functions of passkeys, mirroring `/api/passkeys/`: the
//! caller's passkeys, adding one (begin, then the browser's answer),
//! removing one, and signing in with one. The browser's part of each
//! ceremony is `browser::create_passkey` / `browser::use_passkey`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::Tokens;
use crate::client::{AuthClient, ProofClient};
use crate::failure::AuthFailure;
#[cfg(feature = "ssr")]
use crate::ssr;

/// A registered passkey.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyInfo {
    pub id: String,
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A ceremony begun: its id and the options for the browser, as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ceremony {
    pub id: String,
    pub options: String,
}

#[cfg(feature = "ssr")]
fn ceremony_of(ceremony: tessera::PasskeyCeremony) -> Ceremony {
    Ceremony {
        id: ceremony.id,
        options: ceremony.public_key.to_string(),
    }
}

#[cfg(feature = "ssr")]
fn info_of(passkey: tessera::Passkey) -> PasskeyInfo {
    PasskeyInfo {
        id: passkey.id,
        name: passkey.name,
        created_at: passkey.created_at,
        last_used_at: passkey.last_used_at,
    }
}

/// The browser's answer, as the JSON text it was sent as.
#[cfg(feature = "ssr")]
fn credential_of(text: &str) -> Result<serde_json::Value, AuthFailure> {
    serde_json::from_str(text).map_err(|_| ssr::reject(tessera::AuthError::PasskeyMalformed))
}

/// The `<body>` attribute that carries [`offered_origin`] to the browser.
pub const ORIGIN_ATTRIBUTE: &str = "data-passkeys-origin";

/// The origin passkeys work at, if this server offers them. Fixed for the
/// life of the server process, so known without a round trip: the server
/// writes it on `<body>` (see [`crate::shell`]), where the browser reads it.
pub fn offered_origin() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        use_context::<tessera::Tessera>().and_then(|core| core.passkeys.origin())
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        leptos::tachys::dom::body().get_attribute(ORIGIN_ATTRIBUTE)
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        None
    }
}

#[server(client = AuthClient)]
pub async fn my_passkeys() -> Result<Vec<PasskeyInfo>, AuthFailure> {
    let user = ssr::authenticated().await?;
    let list = ssr::core()?
        .passkeys
        .list(&user)
        .await
        .map_err(ssr::reject)?;
    Ok(list.into_iter().map(info_of).collect())
}

#[server(client = AuthClient)]
pub async fn begin_adding_passkey() -> Result<Ceremony, AuthFailure> {
    let user = ssr::authenticated().await?;
    let caller = ssr::caller();
    ssr::core()?
        .passkeys
        .begin_registration(&user, caller.client())
        .await
        .map(ceremony_of)
        .map_err(ssr::reject)
}

/// Adds the passkey the browser made; every other session ends.
#[server(client = AuthClient)]
pub async fn add_passkey(
    ceremony: String,
    credential: String,
    name: String,
) -> Result<PasskeyInfo, AuthFailure> {
    let user = ssr::authenticated().await?;
    let caller = ssr::caller();
    let credential = credential_of(&credential)?;
    ssr::core()?
        .passkeys
        .finish_registration(&user, &ceremony, &credential, &name, caller.client())
        .await
        .map(info_of)
        .map_err(ssr::reject)
}

/// Removes one of the caller's passkeys; every other session ends.
#[server(client = AuthClient)]
pub async fn remove_passkey(id: String) -> Result<(), AuthFailure> {
    let user = ssr::authenticated().await?;
    let caller = ssr::caller();
    ssr::core()?
        .passkeys
        .remove(&user, &id, caller.client())
        .await
        .map_err(ssr::reject)
}

#[server]
pub async fn begin_passkey_sign_in() -> Result<Ceremony, AuthFailure> {
    let caller = ssr::caller();
    ssr::core()?
        .passkeys
        .begin_sign_in(caller.client())
        .await
        .map(ceremony_of)
        .map_err(ssr::reject)
}

/// A passkey sign-in: the tokens, and whose they are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    pub tokens: Tokens,
    pub username: String,
}

/// A whole passkey sign-in: the server's challenge, the browser's ceremony
/// ([`crate::browser::use_passkey`]), the server's check. Failures are the
/// words to show.
pub async fn sign_in_ceremony() -> Result<SignedIn, String> {
    let ceremony = begin_passkey_sign_in()
        .await
        .map_err(|failure| failure.to_string())?;
    let credential = crate::browser::use_passkey(&ceremony.options).await?;
    sign_in_with_passkey(ceremony.id, credential)
        .await
        .map_err(|failure| failure.to_string())
}

/// Signs in with the browser's answer: a session, as a password login.
#[server(client = ProofClient)]
pub async fn sign_in_with_passkey(
    ceremony: String,
    credential: String,
) -> Result<SignedIn, AuthFailure> {
    let caller = ssr::caller();
    let key = ssr::proven_key().await?;
    let credential = credential_of(&credential)?;
    let signed_in = ssr::core()?
        .passkeys
        .sign_in(
            &ceremony,
            &credential,
            caller.client().bound_to(key.as_ref()),
        )
        .await
        .map_err(ssr::reject)?;
    Ok(SignedIn {
        tokens: ssr::login_tokens_of(signed_in.tokens).await?,
        username: signed_in.username,
    })
}
