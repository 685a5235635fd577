//! Group commit for refresh-token rotations.
//!
//! A rotation is a write, and each write through sqlx is a round trip to the
//! database connection (a worker thread, for SQLite): under load the server
//! spent its time switching threads, not rotating (a `perf` profile). Here one
//! task owns rotating: it takes every rotation that is waiting, runs them as
//! one statement (`Store::rotate_refresh_tokens`) and answers each. Alone, a
//! rotation goes at once; under load the batches grow by themselves while the
//! previous one is in the database, so nobody waits for a timer.
//!
//! Only SQLite, which has one writer anyway, goes through the task.
//! PostgreSQL rotates on its pool of connections in parallel, one statement
//! per rotation: funnelled through one task it did about half as many
//! refreshes a second (README, Benchmarks).

use std::collections::{HashMap, HashSet};

use tokio::sync::{mpsc, oneshot};

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

/// Cheap to clone; the SQLite task stops when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct RotationQueue(Route);

#[derive(Clone, Debug)]
enum Route {
    /// SQLite: rotations go to the grouping task.
    Grouped(mpsc::UnboundedSender<Request>),
    /// PostgreSQL: each rotation runs on a connection of its own.
    Direct { store: Store, refresh_lifetime: i64 },
}

impl RotationQueue {
    /// Starts the grouping task (SQLite) on the current tokio runtime.
    pub fn start(store: Store, refresh_lifetime: i64) -> Self {
        Self(match store {
            Store::Sqlite { .. } => {
                let (requests, queue) = mpsc::unbounded_channel();
                tokio::spawn(run(store, refresh_lifetime, queue));
                Route::Grouped(requests)
            }
            Store::Postgres(_) => Route::Direct {
                store,
                refresh_lifetime,
            },
        })
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
        let rotation = Rotation {
            jti: jti.to_owned(),
            successor: successor.to_owned(),
        };
        match &self.0 {
            Route::Grouped(requests) => {
                let (answer, outcome) = oneshot::channel();
                requests
                    .send(Request {
                        rotation,
                        now,
                        answer,
                    })
                    .map_err(|_| stopped())?;
                outcome.await.map_err(|_| stopped())?
            }
            Route::Direct {
                store,
                refresh_lifetime,
            } => {
                let mut rotated = store
                    .rotate_refresh_tokens(std::slice::from_ref(&rotation), now, *refresh_lifetime)
                    .await?;
                Ok(match rotated.pop() {
                    Some(rotated) => RotateOutcome::Rotated(rotated),
                    None => RotateOutcome::NotCurrent,
                })
            }
        }
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

async fn run(store: Store, refresh_lifetime: i64, mut queue: mpsc::UnboundedReceiver<Request>) {
    // A second request for a jti already in the batch waits for the next
    // batch, so it sees the first one committed and loses, as it would have
    // one after the other.
    let mut deferred: Vec<Request> = Vec::new();
    loop {
        let mut waiting = std::mem::take(&mut deferred);
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
