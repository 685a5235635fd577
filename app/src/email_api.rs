//! `#[server]` functions of verified addresses: confirm one with the key
//! of a mailed link, ask for another link, see and change one's own
//! address. Only the pages that show them call them, so their client code
//! is in those pages' wasm files.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::client::AuthClient;
use crate::failure::AuthFailure;
#[cfg(feature = "ssr")]
use crate::ssr;

/// An account's address as its owner sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailInfo {
    /// `""`: none.
    pub email: String,
    pub verified: bool,
    /// A new address waiting for its link to be opened (`""`: none).
    pub pending: String,
    /// Whether this server verifies addresses at all.
    pub verification: bool,
}

/// The `<body>` attribute present when sign-up needs an address (the
/// server signs accounts in only once their address is confirmed).
pub const ADDRESS_REQUIRED_ATTRIBUTE: &str = "data-email-required";

/// Whether sign-up needs an address: the server's setting, read from its
/// configuration or, in the browser, from `<body>` (see [`crate::shell`]).
pub fn address_required() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<tessera::Tessera>()
            .is_some_and(|core| core.email_verification() == tessera::EmailVerification::Mandatory)
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        leptos::tachys::dom::body().has_attribute(ADDRESS_REQUIRED_ATTRIBUTE)
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        false
    }
}

#[cfg(feature = "ssr")]
fn info_of(status: tessera::EmailStatus, core: &tessera::Tessera) -> EmailInfo {
    EmailInfo {
        email: status.email,
        verified: status.verified,
        pending: status.pending,
        verification: core.email_verification() != tessera::EmailVerification::None,
    }
}

/// Confirms the address a link was mailed to.
#[server]
pub async fn verify_email(key: String) -> Result<(), AuthFailure> {
    let caller = ssr::caller();
    ssr::core()?
        .accounts
        .verify_email(&key, caller.client())
        .await
        .map_err(ssr::reject)
}

/// Sends a new link to every account waiting for `email` to be confirmed.
/// Succeeds whether or not one does: the page says so in those words.
#[server]
pub async fn resend_verification(email: String) -> Result<(), AuthFailure> {
    let caller = ssr::caller();
    ssr::core()?
        .accounts
        .resend_verification(email.trim(), caller.client())
        .await
        .map_err(ssr::reject)
}

/// The caller's address.
#[server(client = AuthClient)]
pub async fn my_email() -> Result<EmailInfo, AuthFailure> {
    let user = ssr::authenticated().await?;
    let core = ssr::core()?;
    let status = core
        .accounts
        .email_status(user.user_id)
        .await
        .map_err(ssr::reject)?;
    Ok(info_of(status, &core))
}

/// Gives the caller's account a new address (`""`: none): see
/// `Accounts::change_email`.
#[server(client = AuthClient)]
pub async fn change_email(email: String) -> Result<EmailInfo, AuthFailure> {
    let user = ssr::authenticated().await?;
    let caller = ssr::caller();
    let core = ssr::core()?;
    let status = core
        .accounts
        .change_email(user.user_id, email.trim(), caller.client())
        .await
        .map_err(ssr::reject)?;
    Ok(info_of(status, &core))
}
