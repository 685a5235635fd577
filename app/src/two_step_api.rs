//! `#[server]` functions of two-step login, mirroring `/api/totp/`: the
//! caller's state, a new secret for an authenticator app, turning it on
//! with a first code (the answer is the recovery codes), turning it off.
//! Only the account page calls them, so their client code is in its wasm
//! file.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::client::AuthClient;
use crate::failure::AuthFailure;
#[cfg(feature = "ssr")]
use crate::ssr;

/// Whether the caller logs in in two steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoStepInfo {
    pub on: bool,
    pub recovery_codes_left: i64,
}

/// What the authenticator app needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSetup {
    /// The secret in base32, grouped by four for typing.
    pub secret: String,
    /// The QR code of the `otpauth://` address, as inline SVG.
    pub qr_svg: String,
}

#[server(client = AuthClient)]
pub async fn my_two_step() -> Result<TwoStepInfo, AuthFailure> {
    let user = ssr::authenticated().await?;
    let status = ssr::core()?
        .two_step
        .status(&user)
        .await
        .map_err(ssr::reject)?;
    Ok(TwoStepInfo {
        on: status.totp,
        recovery_codes_left: status.recovery_codes_left,
    })
}

#[server(client = AuthClient)]
pub async fn set_up_app() -> Result<AppSetup, AuthFailure> {
    let user = ssr::authenticated().await?;
    let setup = ssr::core()?
        .two_step
        .begin(&user)
        .await
        .map_err(ssr::reject)?;
    let grouped = setup
        .secret
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(AppSetup {
        secret: grouped,
        qr_svg: setup.qr_svg,
    })
}

/// Turns two-step login on; the recovery codes, shown once.
#[server(client = AuthClient)]
pub async fn turn_on(code: String) -> Result<Vec<String>, AuthFailure> {
    let user = ssr::authenticated().await?;
    let caller = ssr::caller();
    ssr::core()?
        .two_step
        .turn_on(&user, &code, caller.client())
        .await
        .map_err(ssr::reject)
}

#[server(client = AuthClient)]
pub async fn turn_off(code: String) -> Result<(), AuthFailure> {
    let user = ssr::authenticated().await?;
    let caller = ssr::caller();
    ssr::core()?
        .two_step
        .turn_off(&user, &code, caller.client())
        .await
        .map_err(ssr::reject)
}
