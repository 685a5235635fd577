//! Proofs seen: each proof is accepted once, on any instance. The database
//! is the record (`dpop_proofs`, written by an insert that fails on a
//! proof seen before, wherever); memory in front of it turns a replay on
//! this instance away without a round trip. An entry is kept until the
//! proof's `iat` is out of the window, after which the proof is refused
//! for its age anyway.
//!
//! On SQLite every proof would be a commit of its own on the one writing
//! connection, and those commits were the whole cost of a bound request
//! (about 2 300 a second, whatever the signature algorithm: bench/
//! dpop-load.sh). There one task records them, as many per statement as
//! are waiting, like the rotation queue; PostgreSQL records each on its
//! pool, in parallel.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use base64::Engine as _;
use sha2::Digest as _;
use tokio::sync::{mpsc, oneshot};

use crate::dpop::DpopKey;
use crate::store::{Store, StoreError};

/// Entries kept in memory at most; past that, expired ones are dropped,
/// and if that is not enough the memory starts afresh (the database still
/// knows every proof).
const CAPACITY: usize = 65_536;

/// Proofs per statement at most.
const MAX_BATCH: usize = 512;

type Answer = oneshot::Sender<Result<bool, StoreError>>;

struct Pending {
    id: String,
    expires_at: i64,
    answer: Answer,
}

pub(super) struct SeenProofs {
    recent: Mutex<HashMap<[u8; 32], i64>>,
    /// SQLite: the task that records proofs in batches.
    grouped: Option<mpsc::UnboundedSender<Pending>>,
}

impl SeenProofs {
    /// Starts the recording task for SQLite on the current tokio runtime.
    pub fn new(store: &Store) -> Self {
        let grouped = match store {
            Store::Sqlite { .. } => {
                let (pending, queue) = mpsc::unbounded_channel();
                tokio::spawn(record_in_batches(store.clone(), queue));
                Some(pending)
            }
            Store::Postgres(_) => None,
        };
        Self {
            recent: Mutex::default(),
            grouped,
        }
    }

    /// Records the proof `jti` of `key`, good until `expires_at`; `false`
    /// if it was recorded before, here or on another instance.
    pub async fn first_use(
        &self,
        store: &Store,
        key: &DpopKey,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        // The key's thumbprint and the jti, hashed: a fixed-size id that
        // reveals neither, and two clients' equal jtis do not collide.
        let mut hasher = sha2::Sha256::new();
        hasher.update(key.thumbprint().as_bytes());
        hasher.update([0]);
        hasher.update(jti.as_bytes());
        let id: [u8; 32] = hasher.finalize().into();
        if self.lock().get(&id).is_some_and(|&expires| expires >= now) {
            return Ok(false);
        }
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id);
        let first = match &self.grouped {
            Some(grouped) => {
                let (answer, answered) = oneshot::channel();
                let pending = Pending {
                    id: encoded,
                    expires_at,
                    answer,
                };
                if grouped.send(pending).is_err() {
                    return Err(StoreError::Database(sqlx::Error::PoolClosed));
                }
                answered
                    .await
                    .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))??
            }
            None => store.record_dpop_proof(&encoded, expires_at).await?,
        };
        if !first {
            return Ok(false);
        }
        let mut recent = self.lock();
        if recent.len() >= CAPACITY {
            recent.retain(|_, expires| *expires >= now);
            if recent.len() >= CAPACITY {
                recent.clear();
            }
        }
        recent.insert(id, expires_at);
        Ok(true)
    }

    pub fn forget_expired(&self, now: i64) {
        self.lock().retain(|_, expires| *expires >= now);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], i64>> {
        self.recent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Takes every proof waiting (alone, one goes at once; under load the
/// batch grows while the previous one is in the database), records them in
/// one statement and answers each. A proof sent twice in one batch is new
/// only the first time.
async fn record_in_batches(store: Store, mut queue: mpsc::UnboundedReceiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut seen = HashSet::with_capacity(batch.len());
        let (fresh, repeated): (Vec<Pending>, Vec<Pending>) = batch
            .drain(..)
            .partition(|pending| seen.insert(pending.id.clone()));
        for pending in repeated {
            let _ = pending.answer.send(Ok(false));
        }
        let rows: Vec<(String, i64)> = fresh
            .iter()
            .map(|pending| (pending.id.clone(), pending.expires_at))
            .collect();
        match store.record_dpop_proofs(&rows).await {
            Ok(recorded) => {
                let recorded: HashSet<String> = recorded.into_iter().collect();
                for pending in fresh {
                    let first = recorded.contains(&pending.id);
                    let _ = pending.answer.send(Ok(first));
                }
            }
            Err(error) => {
                let message = error.to_string();
                for pending in fresh {
                    let _ = pending
                        .answer
                        .send(Err(StoreError::Database(sqlx::Error::Protocol(
                            message.clone(),
                        ))));
                }
            }
        }
    }
}
