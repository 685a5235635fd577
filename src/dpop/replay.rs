//! Proofs seen: each proof is accepted once, on any instance.
//!
//! PostgreSQL (several instances): the database is the record, written by
//! an insert that fails on a proof seen before, wherever; memory in front
//! of it turns a replay on this instance away without a round trip. The
//! proofs that wait together go in one statement (one task writes them, the
//! next batch gathering while one is in the database), as on SQLite.
//!
//! SQLite (one server per database): the server's memory is the record,
//! and the database a copy of it, written behind in batches by one task
//! (a commit per proof was the whole cost of a bound request, and a commit
//! per waiting group still a fifth of it: bench/dpop-load.sh). At start
//! the server reads the copy back, so a restart forgets no proof but those
//! of the last batch not yet written (at most [`GATHER`]) when the process
//! died. Should memory ever hold [`SQLITE_CAPACITY`] live proofs, it starts
//! afresh and asks the database, as PostgreSQL's instances do, about any
//! proof old enough to have been forgotten.
//!
//! An entry is kept until the proof's `iat` is out of the window, after
//! which the proof is refused for its age anyway.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine as _;
use sha2::Digest as _;
use tokio::sync::{mpsc, oneshot};

use super::proof::DpopKey;
use crate::store::{Store, StoreError};

/// Live proofs a PostgreSQL instance keeps in front of the database.
const FRONT_CAPACITY: usize = 65_536;

/// Live proofs a SQLite server keeps: about 100 MB, two minutes of 17 000
/// bound requests a second with the default window.
const SQLITE_CAPACITY: usize = 1 << 21;

/// Proofs per statement at most.
const MAX_BATCH: usize = 4096;

/// How long proofs nobody waits for gather before they are written.
const GATHER: Duration = Duration::from_millis(50);

type Id = [u8; 32];
type Answer = oneshot::Sender<Result<bool, StoreError>>;

struct Pending {
    id: String,
    expires_at: i64,
    /// `None`: written behind, nobody waits.
    answer: Option<Answer>,
}

#[derive(Default)]
struct Memory {
    seen: HashMap<Id, i64>,
    /// Proofs whose first use the database is being asked about: a copy
    /// arriving meanwhile asks it too (and the database, or the batch's
    /// order, says which came first).
    asking: HashSet<Id>,
    /// SQLite: every proof accepted since this time is in `seen`; `None`
    /// while the database's copy is read in at start.
    complete_since: Option<i64>,
}

impl Memory {
    /// Whether a proof that expires at `expires_at` and is not in `seen`
    /// is new for certain: it cannot predate `complete_since`, since a
    /// proof's `iat` is within `window` of when it was used and it expires
    /// `window` after its `iat`.
    fn knows_all_before(&self, expires_at: i64, window: i64) -> bool {
        self.complete_since
            .is_some_and(|since| expires_at >= since.saturating_add(window.saturating_mul(2)))
    }

    /// Makes room for one more entry: expired ones go; if that is not
    /// enough, everything goes, and memory is complete only from now.
    fn make_room(&mut self, capacity: usize, now: i64) {
        if self.seen.len() < capacity {
            return;
        }
        self.seen.retain(|_, expires| *expires >= now);
        if self.seen.len() >= capacity {
            self.seen.clear();
            if self.complete_since.is_some() {
                self.complete_since = Some(now);
            }
        }
    }
}

/// What memory says of a proof.
enum Known {
    Seen,
    /// New, remembered, and to be written behind.
    New,
    /// The database is to be asked (and the id is in `asking`).
    AskDatabase,
}

pub(super) struct SeenProofs {
    memory: Arc<Mutex<Memory>>,
    window: i64,
    capacity: usize,
    /// The task that writes proofs (and answers those asked about).
    recorder: mpsc::UnboundedSender<Pending>,
}

impl SeenProofs {
    /// Starts the recording task on the current tokio runtime; on SQLite it
    /// reads the database's proofs into memory first.
    pub fn new(store: &Store, window: i64) -> Self {
        let memory = Arc::new(Mutex::new(Memory::default()));
        let (pending, queue) = mpsc::unbounded_channel();
        let capacity = match store {
            Store::Sqlite { .. } => {
                let (store, memory) = (store.clone(), memory.clone());
                tokio::spawn(async move {
                    read_back(&store, &memory).await;
                    record_in_batches(store, queue).await;
                });
                SQLITE_CAPACITY
            }
            // Memory never answers alone here (it is never complete: other
            // instances write too), so every new proof waits for the
            // database; those waiting together go in one statement.
            Store::Postgres(_) => {
                tokio::spawn(record_in_batches(store.clone(), queue));
                FRONT_CAPACITY
            }
        };
        let recorder = pending;
        Self {
            memory,
            window,
            capacity,
            recorder,
        }
    }

    /// Records the proof `jti` of `key`, good until `expires_at`; `false`
    /// if it was recorded before, here or on another instance.
    pub async fn first_use(
        &self,
        key: &DpopKey,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let id = proof_id(key, jti);
        // The database's form of the id, made only once memory has not
        // refused the proof.
        let encoded = || base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id);
        match self.look_up(id, expires_at, now) {
            Known::Seen => return Ok(false),
            Known::New => {
                let behind = Pending {
                    id: encoded(),
                    expires_at,
                    answer: None,
                };
                if self.recorder.send(behind).is_err() {
                    tracing::warn!(
                        "the DPoP proof recorder has stopped: a proof is kept in memory only"
                    );
                }
                return Ok(true);
            }
            Known::AskDatabase => {}
        }
        let _asking = Asking { proofs: self, id };
        let first = self.ask_database(encoded(), expires_at).await;
        if matches!(first, Ok(true)) {
            let mut memory = self.lock();
            memory.make_room(self.capacity, now);
            memory.seen.insert(id, expires_at);
        }
        first
    }

    fn look_up(&self, id: Id, expires_at: i64, now: i64) -> Known {
        let mut memory = self.lock();
        if memory.seen.get(&id).is_some_and(|&expires| expires >= now) {
            return Known::Seen;
        }
        let alone = |memory: &Memory| {
            !memory.asking.contains(&id) && memory.knows_all_before(expires_at, self.window)
        };
        if alone(&memory) {
            memory.make_room(self.capacity, now);
            if alone(&memory) {
                memory.seen.insert(id, expires_at);
                return Known::New;
            }
        }
        memory.asking.insert(id);
        Known::AskDatabase
    }

    async fn ask_database(&self, id: String, expires_at: i64) -> Result<bool, StoreError> {
        let (answer, answered) = oneshot::channel();
        let pending = Pending {
            id,
            expires_at,
            answer: Some(answer),
        };
        if self.recorder.send(pending).is_err() {
            return Err(StoreError::Database(sqlx::Error::PoolClosed));
        }
        answered
            .await
            .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?
    }

    pub fn forget_expired(&self, now: i64) {
        self.lock().seen.retain(|_, expires| *expires >= now);
    }

    fn lock(&self) -> MutexGuard<'_, Memory> {
        lock(&self.memory)
    }
}

fn lock(memory: &Mutex<Memory>) -> MutexGuard<'_, Memory> {
    memory
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A proof the database is being asked about, until the answer comes or
/// the request is dropped.
struct Asking<'a> {
    proofs: &'a SeenProofs,
    id: Id,
}

impl Drop for Asking<'_> {
    fn drop(&mut self) {
        self.proofs.lock().asking.remove(&self.id);
    }
}

/// The key's thumbprint and the jti, hashed: a fixed-size id that reveals
/// neither, and two clients' equal jtis do not collide.
fn proof_id(key: &DpopKey, jti: &str) -> Id {
    let mut hasher = sha2::Sha256::new();
    hasher.update(key.thumbprint().as_bytes());
    hasher.update([0]);
    hasher.update(jti.as_bytes());
    hasher.finalize().into()
}

/// Reads the database's proofs into memory (SQLite, at start): from then
/// on memory answers alone. If they cannot be read, the database is asked
/// about every proof instead.
async fn read_back(store: &Store, memory: &Mutex<Memory>) {
    match store.recorded_dpop_proofs().await {
        Ok(rows) => {
            let mut memory = lock(memory);
            for (id, expires_at) in rows {
                let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&id);
                if let Ok(id) = Id::try_from(decoded.unwrap_or_default()) {
                    memory.seen.insert(id, expires_at);
                }
            }
            memory.complete_since = Some(i64::MIN);
        }
        Err(error) => {
            tracing::error!(%error, "could not read the DPoP proofs recorded: asking the database about each")
        }
    }
}

/// Writes what comes: every proof waiting at once (alone, one goes at
/// once; under load the batch grows while the previous one is in the
/// database: a group commit), and proofs nobody waits for gathered for up
/// to [`GATHER`] first. A proof sent twice in one batch is new only the
/// first time.
async fn record_in_batches(store: Store, mut queue: mpsc::UnboundedReceiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let until = tokio::time::Instant::now() + GATHER;
        let mut awaited = batch.iter().any(|pending| pending.answer.is_some());
        while !awaited && batch.len() < MAX_BATCH {
            let before = batch.len();
            let room = MAX_BATCH - before;
            match tokio::time::timeout_at(until, queue.recv_many(&mut batch, room)).await {
                Ok(0) | Err(_) => break,
                Ok(_) => awaited = batch[before..].iter().any(|p| p.answer.is_some()),
            }
        }
        write(&store, &mut batch).await;
    }
}

async fn write(store: &Store, batch: &mut Vec<Pending>) {
    let mut seen = HashSet::with_capacity(batch.len());
    let (fresh, repeated): (Vec<Pending>, Vec<Pending>) = batch
        .drain(..)
        .partition(|pending| seen.insert(pending.id.clone()));
    for pending in repeated {
        if let Some(answer) = pending.answer {
            let _ = answer.send(Ok(false));
        }
    }
    let rows: Vec<(String, i64)> = fresh
        .iter()
        .map(|pending| (pending.id.clone(), pending.expires_at))
        .collect();
    match store.record_dpop_proofs(&rows).await {
        Ok(recorded) => {
            let recorded: HashSet<String> = recorded.into_iter().collect();
            for pending in fresh {
                if let Some(answer) = pending.answer {
                    let _ = answer.send(Ok(recorded.contains(&pending.id)));
                }
            }
        }
        Err(error) => {
            tracing::error!(%error, rows = rows.len(), "could not record DPoP proofs");
            let message = error.to_string();
            for pending in fresh {
                if let Some(answer) = pending.answer {
                    let _ = answer.send(Err(StoreError::Database(sqlx::Error::Protocol(
                        message.clone(),
                    ))));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Memory;

    const WINDOW: i64 = 60;

    #[test]
    fn memory_answers_alone_once_complete_and_until_it_overflows() {
        let mut memory = Memory::default();
        // Reading the database back: nothing is certain yet.
        assert!(!memory.knows_all_before(1_000 + WINDOW, WINDOW));
        memory.complete_since = Some(i64::MIN);
        assert!(memory.knows_all_before(1_000 + WINDOW, WINDOW));

        for id in 0..4u8 {
            memory.seen.insert([id; 32], 1_000 + WINDOW);
        }
        // Full of live proofs at 1 000: forgotten, and only proofs that
        // cannot predate 1 000 are certain from memory alone.
        memory.make_room(4, 1_000);
        assert!(memory.seen.is_empty());
        assert_eq!(memory.complete_since, Some(1_000));
        assert!(!memory.knows_all_before(1_000 + WINDOW, WINDOW));
        assert!(!memory.knows_all_before(1_000 + 2 * WINDOW - 1, WINDOW));
        assert!(memory.knows_all_before(1_000 + 2 * WINDOW, WINDOW));
    }

    #[test]
    fn expired_proofs_make_room_first() {
        let mut memory = Memory {
            complete_since: Some(i64::MIN),
            ..Memory::default()
        };
        memory.seen.insert([1; 32], 10);
        memory.seen.insert([2; 32], 500);
        memory.make_room(2, 100);
        assert_eq!(memory.seen.len(), 1);
        assert_eq!(memory.complete_since, Some(i64::MIN));
    }
}
