//! Group commit for refresh-token rotations.
//!
//! A rotation is a write, and each write is a round trip to the database
//! and, on commit, a flush of its log: under load the server spent its time
//! switching threads (SQLite) or the database its time committing
//! (PostgreSQL, 177 µs of its CPU per rotation), not rotating. Here batcher
//! tasks own rotating: each takes every rotation that is waiting, runs them
//! as one statement (`Store::rotate_refresh_tokens`) and answers each.
//! Alone, a rotation goes at once; under load the batches grow by themselves
//! while the previous ones are in the database, so nobody waits for a timer.
//!
//! SQLite has one writer, so one batcher. PostgreSQL writes on several
//! connections in parallel, so several batchers share the queue: a single
//! one would leave the database idle during each round trip (it did half as
//! many refreshes a second as a statement per rotation on 16 connections).
//! Their number is `--postgres-rotation-writers`.

use std::collections::{HashMap, HashSet};

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Mutex};

use crate::store::{RotateOutcome, Rotated, Rotation, Store, StoreError};

/// Rotations per statement at most: bounds the statement's parameters when
/// thousands are waiting.
const MAX_BATCH: usize = 256;

type Answer = oneshot::Sender<Result<RotateOutcome, StoreError>>;

struct Request {
    rotation: Rotation,
    /// The instant of the refresh that asked for it.
    now: i64,
    answer: Answer,
}

/// Cheap to clone; the batchers stop when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct RotationQueue(mpsc::UnboundedSender<Request>);

impl RotationQueue {
    /// Starts the batchers on the current tokio runtime: one for SQLite,
    /// `postgres_writers` (at least one) for PostgreSQL.
    pub fn start(store: Store, refresh_lifetime: i64, postgres_writers: usize) -> Self {
        let batchers = match store {
            Store::Sqlite { .. } => 1,
            Store::Postgres(_) => postgres_writers.max(1),
        };
        let (requests, queue) = mpsc::unbounded_channel();
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..batchers {
            tokio::spawn(run(store.clone(), refresh_lifetime, Arc::clone(&queue)));
        }
        Self(requests)
    }

    /// Retires `jti` in favour of `successor` if, and only if, it is the
    /// current, unexpired token of a live session. Concurrent calls end as
    /// if they had run one after the other.
    /// `now` is the refresh's instant: the successor is issued then.
    pub async fn rotate(
        &self,
        jti: &str,
        successor: &str,
        now: i64,
    ) -> Result<RotateOutcome, StoreError> {
        let (answer, outcome) = oneshot::channel();
        let rotation = Rotation {
            jti: jti.to_owned(),
            successor: successor.to_owned(),
        };
        self.0
            .send(Request {
                rotation,
                now,
                answer,
            })
            .map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Database(sqlx::Error::PoolClosed)
}

/// What became of `rotation`, given the rotations that took place.
fn outcome_of(rotation: &Rotation, rotated: &mut HashMap<String, Rotated>) -> RotateOutcome {
    match rotated.remove(&rotation.jti) {
        Some(rotated) => RotateOutcome::Rotated(rotated),
        None => RotateOutcome::NotCurrent,
    }
}

type SharedQueue = Arc<Mutex<mpsc::UnboundedReceiver<Request>>>;

/// One batcher. It holds the queue only while gathering, so another batcher
/// gathers the next batch while this one's is in the database.
async fn run(store: Store, refresh_lifetime: i64, queue: SharedQueue) {
    // A second request for a jti already in the batch waits for this
    // batcher's next batch, so it sees the first one committed and loses, as
    // it would have one after the other. (Batches of two batchers may share a
    // jti: PostgreSQL's row lock orders them.)
    let mut deferred: Vec<Request> = Vec::new();
    loop {
        let mut waiting = std::mem::take(&mut deferred);
        // With deferred requests in hand, never wait for the queue: another
        // batcher may hold it while it waits for requests that never come.
        let gathering = if waiting.is_empty() {
            Some(queue.lock().await)
        } else {
            queue.try_lock().ok()
        };
        if let Some(mut queue) = gathering {
            if waiting.is_empty() {
                match queue.recv().await {
                    Some(request) => waiting.push(request),
                    None => return,
                }
            }
            while waiting.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(request) => waiting.push(request),
                    Err(_) => break,
                }
            }
        }
        let mut seen = HashSet::with_capacity(waiting.len());
        let (batch, later): (Vec<Request>, Vec<Request>) = waiting
            .into_iter()
            .partition(|request| seen.insert(request.rotation.jti.clone()));
        deferred = later;
        run_batch(&store, refresh_lifetime, batch).await;
    }
}

async fn run_batch(store: &Store, refresh_lifetime: i64, batch: Vec<Request>) {
    // One statement, one instant: the latest of the batch's refreshes,
    // which all arrived within the previous batch's round trip.
    let now = batch.iter().map(|request| request.now).max().unwrap_or(0);
    let (rotations, answers): (Vec<Rotation>, Vec<Answer>) = batch
        .into_iter()
        .map(|request| (request.rotation, request.answer))
        .unzip();
    let result = store
        .rotate_refresh_tokens(&rotations, now, refresh_lifetime)
        .await;
    match result {
        Ok(rotated) => {
            let mut rotated = rotated
                .into_iter()
                .map(|rotated| (rotated.parent.clone(), rotated))
                .collect();
            for (rotation, answer) in rotations.iter().zip(answers) {
                // A caller that went away (client disconnected) needs no answer.
                let _ = answer.send(Ok(outcome_of(rotation, &mut rotated)));
            }
        }
        Err(error) => {
            tracing::error!(%error, rotations = rotations.len(), "rotating refresh tokens failed");
            let text = error.to_string();
            for answer in answers {
                let _ = answer.send(Err(StoreError::Batch(text.clone())));
            }
        }
    }
}
