//! The process's keys: the keyring the token codec reads, loaded from the
//! store, and what it takes to reload and rotate it.

use std::sync::Arc;

use serde_json::Value;

use super::sealing::{self, KeyBinding, Sealer};
use super::{
    keyring, material, KeyError, KeyListing, Keyring, LoadedKey, MaterialError, SharedKeyring,
    SigningAlgorithm, UnknownAlgorithm,
};
use crate::audit::{AuditEvent, AuditKind};
use crate::store::{KeyRow, Store};

/// How keys are chosen and rotated, in Unix seconds.
#[derive(Clone, Debug)]
pub struct KeyPolicy {
    /// The algorithm new keys use.
    pub algorithm: SigningAlgorithm,
    /// How long a new key is published before it signs.
    pub publication_delay: i64,
    /// Rotate automatically when the newest key is this old.
    pub rotation_interval: Option<i64>,
    /// See `Settings::adopt_signing_key`.
    pub adopt_on_start: bool,
    /// How long a replaced key keeps verifying (see [`Keyring`]).
    pub verify_after_retirement: i64,
}

/// The process's keys: the shared keyring the codec reads, and what it
/// takes to reload and rotate it.
pub struct Keys {
    policy: KeyPolicy,
    secret: Vec<u8>,
    previous_secrets: Vec<Vec<u8>>,
    sealer: Sealer,
    ring: Arc<SharedKeyring>,
    /// One reload or rotation at a time in this process.
    changing: tokio::sync::Mutex<()>,
}

impl Keys {
    /// Loads the stored keys, first adding a key of the configured algorithm
    /// if the newest one is of another (a change of `--algorithm` is a
    /// rotation, not a lock-out) or, for HMAC, of another secret.
    pub async fn start(
        policy: KeyPolicy,
        secret: Vec<u8>,
        previous_secrets: Vec<Vec<u8>>,
        store: &Store,
        now: i64,
    ) -> Result<Self, KeyError> {
        let wanted = policy.algorithm.min_secret_bytes();
        if secret.len() < wanted {
            // RFC 8725 §3.5: an HMAC key as long as the hash at least.
            return Err(KeyError::Unusable(format!(
                "{} needs a secret key of at least {wanted} bytes; this one has {}",
                policy.algorithm,
                secret.len()
            )));
        }
        let sealer = Sealer::new(&secret, previous_secrets.iter().map(Vec::as_slice));
        let empty = Keyring::new(Vec::new(), 0, policy.verify_after_retirement);
        let keys = Self {
            policy,
            secret,
            previous_secrets,
            sealer,
            ring: Arc::new(SharedKeyring::new(empty)),
            changing: tokio::sync::Mutex::new(()),
        };
        if keys.policy.adopt_on_start {
            keys.ensure_configured_key(store, now).await?;
        }
        keys.reload(store).await?;
        if keys.policy.adopt_on_start && keys.ring.current().signer(now).is_none() {
            return Err(KeyError::Unusable(
                "none of the stored keys opens with the configured secret".into(),
            ));
        }
        Ok(keys)
    }

    /// The keyring the token codec reads.
    pub fn ring(&self) -> Arc<SharedKeyring> {
        Arc::clone(&self.ring)
    }

    pub fn policy(&self) -> &KeyPolicy {
        &self.policy
    }

    /// The published JWK set at `now`.
    pub fn jwks(&self, now: i64) -> Value {
        self.ring.current().published(now)
    }

    /// Picks up keys other processes added; rotates when the newest key is
    /// older than the rotation interval. Returns whether the keys changed.
    pub async fn sync(&self, store: &Store, now: i64) -> Result<bool, KeyError> {
        let mut changed = false;
        if store.latest_key_generation().await? != self.ring.current().latest_generation {
            self.reload(store).await?;
            changed = true;
        }
        if let Some(interval) = self.policy.rotation_interval {
            let ring = self.ring.current();
            let newest = ring.keys().iter().rev().find(|key| key.generation > 0);
            if newest.is_some_and(|key| key.created_at.saturating_add(interval) <= now) {
                // Every instance may find the rotation due at once: all of
                // them ask for the same next generation, one gets it.
                let rotated = self
                    .add_key(
                        store,
                        self.policy.algorithm,
                        now,
                        self.policy.publication_delay,
                        Some(ring.latest_generation + 1),
                        None,
                    )
                    .await?;
                changed |= rotated.is_some();
            }
        }
        Ok(changed)
    }

    /// Adds a key of `algorithm` that signs from `now + delay` on and retires
    /// the others from then. `None`: another process rotated at the same
    /// moment (its key stands; nothing was added).
    pub async fn rotate(
        &self,
        store: &Store,
        algorithm: SigningAlgorithm,
        now: i64,
        delay: i64,
        actor: Option<i64>,
    ) -> Result<Option<KeyRow>, KeyError> {
        self.add_key(store, algorithm, now, delay, None, actor)
            .await
    }

    /// `generation`: the one to take, or `None` for the stored latest plus one.
    async fn add_key(
        &self,
        store: &Store,
        algorithm: SigningAlgorithm,
        now: i64,
        delay: i64,
        generation: Option<i64>,
        actor: Option<i64>,
    ) -> Result<Option<KeyRow>, KeyError> {
        let _changing = self.changing.lock().await;
        let generation = match generation {
            Some(generation) => generation,
            None => store.latest_key_generation().await? + 1,
        };
        let signs_from = if algorithm.is_asymmetric() {
            now.saturating_add(delay)
        } else {
            now
        };
        let (kid, public_jwk, sealed) = if algorithm.is_asymmetric() {
            // RSA key generation takes a good part of a second.
            let generated = tokio::task::spawn_blocking(move || material::generate(algorithm))
                .await
                .map_err(|error| MaterialError::Generate(error.to_string()))??;
            let kid = material::thumbprint(&generated.public);
            let jwk = material::public_jwk(&kid, algorithm, &generated.public);
            let binding = KeyBinding {
                kid: &kid,
                algorithm: algorithm.name(),
                created_at: now,
                signs_from,
            };
            let sealed = self.sealer.seal(&binding, &generated.private_der);
            (kid, Some(jwk.to_string()), Some(sealed))
        } else {
            // A secret is not published: it can sign at once.
            let kid = sealing::hmac_key_id(algorithm.name(), &self.secret);
            (kid, None, None)
        };
        let row = KeyRow {
            kid,
            generation,
            algorithm: algorithm.name().to_owned(),
            public_jwk,
            sealed_private_key: sealed,
            created_at: now,
            signs_from,
            retired_at: None,
        };
        let event = AuditEvent {
            actor_id: actor,
            ..AuditEvent::new(AuditKind::SigningKeyAdded, now)
        }
        .detail(format!(
            "{} key {}, signs from {}",
            row.algorithm,
            row.kid,
            crate::format_utc(signs_from)
        ));
        let added = store
            .add_signing_key(&row, std::slice::from_ref(&event))
            .await?;
        self.reload_locked(store).await?;
        if added {
            crate::audit::emitted(&[event]);
            tracing::info!(kid = %row.kid, algorithm = %row.algorithm, signs_from, "added a signing key");
        }
        Ok(added.then_some(row))
    }

    /// Every stored key with its state at `now`, oldest first.
    pub async fn list(&self, store: &Store, now: i64) -> Result<Vec<KeyListing>, KeyError> {
        let after = self.policy.verify_after_retirement;
        Ok(store
            .signing_keys()
            .await?
            .into_iter()
            .map(|row| KeyListing {
                state: keyring::state_of(row.signs_from, row.retired_at, now, after),
                verifies_until: row.retired_at.map(|retired| retired.saturating_add(after)),
                kid: row.kid,
                algorithm: row.algorithm,
                created_at: row.created_at,
                signs_from: row.signs_from,
                retired_at: row.retired_at,
            })
            .collect())
    }

    async fn ensure_configured_key(&self, store: &Store, now: i64) -> Result<(), KeyError> {
        let algorithm = self.policy.algorithm;
        let rows = store.signing_keys().await?;
        let Some(newest) = rows.last() else {
            // Tokens signed before keys were stored (an upgraded database
            // with sessions live) were signed with the secret: record it, so
            // a first start with another algorithm retires it instead of
            // refusing them. Without a live session nobody holds a token
            // (users made by `tessera user add` have never logged in): the
            // configured algorithm signs at once. Instances starting
            // together all ask for the same generations: one adds each key.
            if algorithm != SigningAlgorithm::HS256 && store.count_live_sessions(now).await? > 0 {
                self.add_key(store, SigningAlgorithm::HS256, 0, 0, Some(1), None)
                    .await?;
                let delay = self.policy.publication_delay;
                self.add_key(store, algorithm, now, delay, Some(2), None)
                    .await?;
            } else {
                self.add_key(store, algorithm, now, 0, Some(1), None)
                    .await?;
            }
            return Ok(());
        };
        let matches = newest.algorithm == algorithm.name()
            && if algorithm.is_asymmetric() {
                newest
                    .sealed_private_key
                    .as_deref()
                    .is_some_and(|sealed| self.sealer.open(&binding_of(newest), sealed).is_some())
            } else {
                newest.kid == sealing::hmac_key_id(algorithm.name(), &self.secret)
            };
        if !matches {
            let delay = self.policy.publication_delay;
            let next = Some(newest.generation + 1);
            self.add_key(store, algorithm, now, delay, next, None)
                .await?;
        }
        Ok(())
    }

    async fn reload(&self, store: &Store) -> Result<(), KeyError> {
        let _changing = self.changing.lock().await;
        self.reload_locked(store).await
    }

    async fn reload_locked(&self, store: &Store) -> Result<(), KeyError> {
        let rows = store.signing_keys().await?;
        let latest_generation = rows.last().map_or(0, |row| row.generation);
        let mut keys = Vec::with_capacity(rows.len());
        for row in &rows {
            match self.load(row) {
                Ok(Some((key, reseal))) => {
                    if let Some(sealed) = reseal {
                        store.reseal_signing_key(row.generation, &sealed).await?;
                    }
                    keys.push(key);
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(kid = %row.kid, %error, "skipping a stored signing key");
                }
            }
        }
        keys.extend(self.previous_hmac_keys(&rows));
        if rows.is_empty() {
            // An admin command on a database no server has started on yet:
            // it signs nothing, but the codec needs a key to hold.
            keys.extend(self.unstored_hmac_key(SigningAlgorithm::HS256, &self.secret, true));
        }
        self.ring.replace(Keyring::new(
            keys,
            latest_generation,
            self.policy.verify_after_retirement,
        ));
        Ok(())
    }

    /// A stored key as this process can use it, and its private part sealed
    /// anew if a previous secret opened it. `None`: an HMAC key whose secret
    /// this process does not hold.
    #[allow(clippy::type_complexity)]
    fn load(&self, row: &KeyRow) -> Result<Option<(LoadedKey, Option<Vec<u8>>)>, KeyError> {
        let algorithm: SigningAlgorithm = row
            .algorithm
            .parse()
            .map_err(|error: UnknownAlgorithm| KeyError::Unusable(error.to_string()))?;
        let times = (row.created_at, row.signs_from, row.retired_at);
        if !algorithm.is_asymmetric() {
            let Some(secret) = self
                .secrets()
                .find(|secret| sealing::hmac_key_id(algorithm.name(), secret) == row.kid)
            else {
                return Ok(None);
            };
            let (signer, verifier) = material::hmac_keys(algorithm, secret)?;
            let key = LoadedKey::new(
                row.generation,
                row.kid.clone(),
                algorithm,
                times,
                Some(signer),
                verifier,
                None,
            );
            return Ok(Some((key, None)));
        }
        let public: Value = row
            .public_jwk
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .ok_or_else(|| MaterialError::PublicKey("missing or not JSON".into()))?;
        // The kid is the public key's thumbprint: recomputed, it binds the
        // public key to the sealed private one (whose seal binds the kid).
        let described = public
            .as_object()
            .filter(|jwk| material::thumbprint(jwk) == row.kid)
            .filter(|jwk| jwk.get("alg").and_then(Value::as_str) == Some(algorithm.name()));
        if described.is_none() {
            return Err(KeyError::Unusable(
                "its public key does not match its kid and algorithm".into(),
            ));
        }
        let verifier = material::decoding_key(&public)?;
        // A key whose row does not open with a secret of this process is not
        // used at all: anyone who can write the table could otherwise add a
        // public key of their own and have their tokens accepted.
        let binding = binding_of(row);
        let Some((der, outdated)) = row
            .sealed_private_key
            .as_deref()
            .and_then(|sealed| self.sealer.open(&binding, sealed))
        else {
            return Err(KeyError::Unusable(
                "its private key does not open with the configured secrets for this row \
                 (another secret, or the row was changed): it neither signs nor verifies"
                    .into(),
            ));
        };
        let reseal = outdated.then(|| self.sealer.seal(&binding, &der));
        let signer = Some(material::signing_key(algorithm, &der)?);
        let key = LoadedKey::new(
            row.generation,
            row.kid.clone(),
            algorithm,
            times,
            signer,
            verifier,
            Some(public),
        );
        Ok(Some((key, reseal)))
    }

    /// Previous secrets no stored key describes (say, the secret of a
    /// simplejwt deployment being replaced) verify, as the configured HMAC
    /// algorithm (HS256 when it is asymmetric), for as long as they are configured.
    fn previous_hmac_keys(&self, rows: &[KeyRow]) -> Vec<LoadedKey> {
        let algorithm = if self.policy.algorithm.is_asymmetric() {
            SigningAlgorithm::HS256
        } else {
            self.policy.algorithm
        };
        self.previous_secrets
            .iter()
            .filter(|secret| {
                let kid = sealing::hmac_key_id(algorithm.name(), secret);
                !rows.iter().any(|row| row.kid == kid)
            })
            .filter_map(|secret| self.unstored_hmac_key(algorithm, secret, false))
            .collect()
    }

    /// An HMAC key no row describes: it verifies while configured.
    fn unstored_hmac_key(
        &self,
        algorithm: SigningAlgorithm,
        secret: &[u8],
        signs: bool,
    ) -> Option<LoadedKey> {
        // Secrets were checked for length at start: this cannot fail.
        let (signer, verifier) = material::hmac_keys(algorithm, secret).ok()?;
        let mut key = LoadedKey::new(
            0,
            sealing::hmac_key_id(algorithm.name(), secret),
            algorithm,
            (0, 0, None),
            signs.then_some(signer),
            verifier,
            None,
        );
        key.unbounded = true;
        Some(key)
    }

    fn secrets(&self) -> impl Iterator<Item = &[u8]> {
        std::iter::once(self.secret.as_slice())
            .chain(self.previous_secrets.iter().map(Vec::as_slice))
    }
}

/// What a stored row says about its key, as its seal binds it.
fn binding_of(row: &KeyRow) -> KeyBinding<'_> {
    KeyBinding {
        kid: &row.kid,
        algorithm: &row.algorithm,
        created_at: row.created_at,
        signs_from: row.signs_from,
    }
}
