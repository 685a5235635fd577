//! The sealing of authenticator-app secrets, which the core holds.

use super::totp::TotpSecret;
use crate::keys::sealing::Sealer;

/// Names the sealing of TOTP secrets: keys derived for it seal nothing else.
const SEALING_PURPOSE: &[u8] = b"tessera totp secret sealing v1";

/// Seals TOTP secrets in the database, each bound to its user: a copy of
/// the database alone computes no code, and a sealed secret moved to
/// another user's row does not open.
pub(crate) struct TotpSealer(Sealer);

impl TotpSealer {
    pub fn new<'a>(current: &'a [u8], previous: impl IntoIterator<Item = &'a [u8]>) -> Self {
        Self(Sealer::for_purpose(SEALING_PURPOSE, current, previous))
    }

    pub(super) fn seal(&self, user_id: i64, secret: &TotpSecret) -> Vec<u8> {
        self.0.seal_bound(&user_id.to_be_bytes(), secret.as_bytes())
    }

    pub(super) fn open(&self, user_id: i64, sealed: &[u8]) -> Option<TotpSecret> {
        self.0
            .open_bound(&user_id.to_be_bytes(), sealed)
            .map(|(bytes, _)| TotpSecret::from_bytes(bytes))
    }
}
