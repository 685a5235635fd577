//! `#[server]` functions of "Forgot password?": ask for a link, see whether
//! one still works, set a new password with it. No token needed: the link
//! (or nothing at all) is the credential. Only the password-reset pages
//! call them, so their client code is in those pages' wasm file.

use leptos::prelude::*;

use crate::failure::AuthFailure;
#[cfg(feature = "ssr")]
use crate::ssr;

/// Sends a reset link to every account at `email`. Succeeds whether or not
/// any account uses the address: the page says so in those words.
#[server]
pub async fn request_password_reset(email: String) -> Result<(), AuthFailure> {
    let caller = ssr::caller();
    ssr::core()?
        .accounts
        .request_password_reset(email.trim(), caller.client())
        .await
        .map_err(ssr::reject)
}

/// Whether a reset link still works (unused, unexpired, for the password
/// as it is now).
#[server]
pub async fn reset_link_works(uid: String, token: String) -> Result<bool, AuthFailure> {
    ssr::core()?
        .accounts
        .reset_link_is_valid(&uid, &token)
        .await
        .map_err(ssr::reject)
}

/// Sets a new password with a reset link; every session of the account
/// ends. Returns the account's username: a browser logged in as it forgets
/// its tokens, which died with the reset.
#[server]
pub async fn reset_password(
    uid: String,
    token: String,
    new_password: String,
    confirmation: String,
) -> Result<String, AuthFailure> {
    let caller = ssr::caller();
    let new = tessera::NewPassword {
        password: &new_password,
        confirmation: &confirmation,
    };
    ssr::core()?
        .accounts
        .confirm_password_reset(&uid, &token, new, caller.client())
        .await
        .map_err(ssr::reject)
}
