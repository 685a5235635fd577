//! [`SigningKeys`]: the keys capability as the adapters hold it: what a
//! verifier fetches (the JWK set) and what an operator does (list, rotate).

use std::sync::Arc;

use serde_json::Value;

use super::{keyring, KeyError, KeyListing, SigningAlgorithm};
use crate::core::Core;

/// The signing-keys side of the core. Cheap to clone.
#[derive(Clone)]
pub struct SigningKeys {
    core: Arc<Core>,
}

impl SigningKeys {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// The public keys verifiers fetch (`/.well-known/jwks.json`): empty for
    /// HMAC, whose secret is never published.
    pub fn jwks(&self) -> Value {
        self.core.keys.jwks(self.core.now())
    }

    /// How long a new key is published before it signs, in seconds.
    pub fn publication_delay(&self) -> i64 {
        self.core.keys.policy().publication_delay
    }

    /// `tessera keys list`: every stored signing key and its state, oldest first.
    pub async fn list(&self) -> Result<Vec<KeyListing>, KeyError> {
        self.core.keys.list(&self.core.store, self.core.now()).await
    }

    /// `tessera keys rotate`: a new key of `algorithm` (that of the newest
    /// stored key if `None`), published now, signing after the publication
    /// delay. `None`: another process rotated at the same moment and its key
    /// stands.
    pub async fn rotate(
        &self,
        algorithm: Option<SigningAlgorithm>,
    ) -> Result<Option<KeyListing>, KeyError> {
        self.rotate_by(algorithm, None).await
    }

    /// [`Self::rotate`], by `actor` (a staff member's id, for the audit
    /// log) or by the operator (`None`).
    pub(crate) async fn rotate_by(
        &self,
        algorithm: Option<SigningAlgorithm>,
        actor: Option<i64>,
    ) -> Result<Option<KeyListing>, KeyError> {
        let core = &*self.core;
        let keys = &core.keys;
        let newest = core.store.signing_keys().await?.pop();
        let newest_algorithm = newest.and_then(|row| row.algorithm.parse().ok());
        let algorithm = algorithm
            .or(newest_algorithm)
            .unwrap_or(keys.policy().algorithm);
        // An HMAC key's id comes from the secret: the same secret again
        // would be the same key, not a new one.
        if !algorithm.is_asymmetric() && newest_algorithm == Some(algorithm) {
            return Err(KeyError::SecretNotRotatable(algorithm.name().to_owned()));
        }
        let now = core.now();
        let added = keys
            .rotate(
                &core.store,
                algorithm,
                now,
                keys.policy().publication_delay,
                actor,
            )
            .await?;
        Ok(added.map(|row| KeyListing {
            state: keyring::state_of(row.signs_from, row.retired_at, now, 0),
            verifies_until: None,
            kid: row.kid,
            algorithm: row.algorithm,
            created_at: row.created_at,
            signs_from: row.signs_from,
            retired_at: row.retired_at,
        }))
    }
}
