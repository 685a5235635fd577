//! What tests use in place of a person: the code an authenticator app
//! shows, a passkey authenticator in software, a DPoP client, and rows arranged below the
//! API.

mod dpop_client;
mod soft_passkey;

pub use crate::store::Rotation;
pub use dpop_client::{DpopClient, ProofAlgorithm, ProofClaims};
pub use soft_passkey::SoftPasskeys;

/// The code an authenticator app shows at `unix_seconds` for the
/// base32 `secret` (what a test types in place of a person).
pub fn totp_code(secret: &str, unix_seconds: i64) -> String {
    use crate::two_step::totp::{step_of, TotpSecret};
    let bytes = data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .expect("a base32 secret");
    let code = TotpSecret::from_bytes(bytes).code_at_step(step_of(unix_seconds));
    format!("{code:06}")
}
