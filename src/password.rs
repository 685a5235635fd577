//! Password hashing: argon2id with OWASP's parameters, run on the blocking
//! thread pool with a bounded number of hashes at once.

use std::sync::Arc;

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Version,
};
use tokio::sync::Semaphore;

/// Longer passwords are refused before hashing (argon2 would hash megabytes
/// happily, which makes a cheap denial of service).
pub const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the hashing task was cancelled")]
    Cancelled,
}

/// The outcome of checking a password.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Right password; `rehash` holds a new hash when the stored one used
    /// weaker parameters than today's.
    Valid {
        rehash: Option<String>,
    },
    Invalid,
}

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// A real hash of a random password: checking against it makes an unknown
    /// username cost exactly what a wrong password costs.
    decoy_hash: Arc<str>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// OWASP's baseline for argon2id: 19 MiB, two passes, one lane
    /// (RustCrypto's defaults).
    pub fn owasp(max_concurrent: usize) -> Self {
        Self::with_params(Params::default(), max_concurrent)
    }

    pub fn with_params(params: Params, max_concurrent: usize) -> Self {
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let decoy = crate::hex::random_id();
        let decoy_hash = argon2
            .hash_password(decoy.as_bytes())
            .expect("hashing with valid parameters succeeds")
            .to_string();
        Self {
            params,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            decoy_hash: decoy_hash.into(),
        }
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// A new salted PHC string for `password`.
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let argon2 = self.argon2();
        let password = password.to_owned();
        self.run_bounded(move || {
            argon2
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|error| PasswordError::Hash(error.to_string()))
        })
        .await?
    }

    /// Checks `password` against `stored`, or against the decoy when there is
    /// no such user, so both paths take the same time.
    pub async fn verify(
        &self,
        password: &str,
        stored: Option<&str>,
    ) -> Result<Verdict, PasswordError> {
        let argon2 = self.argon2();
        let password = password.to_owned();
        let is_decoy = stored.is_none();
        let stored = stored.map_or_else(|| self.decoy_hash.to_string(), str::to_owned);
        let params = self.params.clone();
        self.run_bounded(move || {
            let Ok(parsed) = PasswordHash::new(&stored) else {
                return Ok(Verdict::Invalid);
            };
            if argon2
                .verify_password(password.as_bytes(), &parsed)
                .is_err()
                || is_decoy
            {
                return Ok(Verdict::Invalid);
            }
            let rehash = if is_current(&parsed, &params) {
                None
            } else {
                Some(
                    argon2
                        .hash_password(password.as_bytes())
                        .map_err(|error| PasswordError::Hash(error.to_string()))?
                        .to_string(),
                )
            };
            Ok(Verdict::Valid { rehash })
        })
        .await?
    }

    async fn run_bounded<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        // Waiting here, not on the blocking pool, keeps memory bounded
        // (19 MiB per hash) and leaves blocking threads for other work.
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Cancelled)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| PasswordError::Cancelled)
    }
}

/// Whether a stored hash already uses argon2id with today's parameters.
fn is_current(hash: &PasswordHash, params: &Params) -> bool {
    hash.algorithm == argon2::ARGON2ID_IDENT
        && hash.version == Some(Version::V0x13 as u32)
        && Params::try_from(hash).is_ok_and(|stored| {
            stored.m_cost() == params.m_cost()
                && stored.t_cost() == params.t_cost()
                && stored.p_cost() == params.p_cost()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weak() -> Params {
        Params::new(8 * 1024, 1, 1, None).unwrap()
    }

    #[tokio::test]
    async fn hashes_with_argon2id_and_owasp_parameters() {
        let hasher = PasswordHasher::owasp(2);
        let hash = hasher.hash("correct horse").await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert_eq!(
            hasher.verify("correct horse", Some(&hash)).await.unwrap(),
            Verdict::Valid { rehash: None }
        );
        assert_eq!(
            hasher.verify("wrong", Some(&hash)).await.unwrap(),
            Verdict::Invalid
        );
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies_even_with_the_decoy_password() {
        let hasher = PasswordHasher::with_params(weak(), 1);
        assert_eq!(hasher.verify("", None).await.unwrap(), Verdict::Invalid);
        assert_eq!(
            hasher.verify("anything", None).await.unwrap(),
            Verdict::Invalid
        );
    }

    #[tokio::test]
    async fn a_hash_with_outdated_parameters_is_rehashed_on_success() {
        let old = PasswordHasher::with_params(weak(), 1)
            .hash("pw")
            .await
            .unwrap();
        let current = PasswordHasher::owasp(1);
        match current.verify("pw", Some(&old)).await.unwrap() {
            Verdict::Valid { rehash: Some(new) } => {
                assert!(new.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
                assert_eq!(
                    current.verify("pw", Some(&new)).await.unwrap(),
                    Verdict::Valid { rehash: None }
                );
            }
            other => panic!("expected a rehash, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_malformed_stored_hash_is_simply_wrong() {
        let hasher = PasswordHasher::with_params(weak(), 1);
        assert_eq!(
            hasher.verify("pw", Some("not a hash")).await.unwrap(),
            Verdict::Invalid
        );
    }
}
