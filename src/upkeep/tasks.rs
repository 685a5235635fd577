//! The background tasks of a serving process: read the change log when
//! PostgreSQL says it grew (LISTEN/NOTIFY) and in any case every
//! `sync_every` (the fallback, and SQLite's only way: the CLI's `deactivate`
//! reaches a running server within two seconds at the default of one), and
//! delete expired tokens hourly.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::Upkeep;
use crate::store::Wake;

const FLUSH_EVERY: Duration = Duration::from_secs(3600);
/// How often the password hashes are counted by shape (`Upkeep::weigh_decoys`).
pub(super) const CENSUS_EVERY: Duration = Duration::from_secs(600);
/// How long to wait before listening again after the database refused.
const LISTEN_RETRY: Duration = Duration::from_secs(1);

/// The running upkeep tasks; they stop when this is dropped.
pub struct UpkeepTasks {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for UpkeepTasks {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

pub(super) fn spawn(upkeep: Upkeep, sync_every: Duration) -> UpkeepTasks {
    let wake = Arc::new(Notify::new());
    let sync = tokio::spawn(sync_loop(upkeep.clone(), sync_every, Arc::clone(&wake)));
    let listen = tokio::spawn(listen(upkeep.clone(), wake));
    let flush = tokio::spawn(flush_loop(upkeep.clone()));
    let census = tokio::spawn(census_loop(upkeep));
    UpkeepTasks {
        tasks: vec![sync, listen, flush, census],
    }
}

async fn sync_loop(upkeep: Upkeep, every: Duration, woken: Arc<Notify>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = woken.notified() => {}
        }
        if let Err(error) = upkeep.sync().await {
            tracing::warn!(%error, "could not read the change log");
        }
    }
}

async fn flush_loop(upkeep: Upkeep) {
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    loop {
        tick.tick().await;
        match upkeep.flush_expired().await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "flushed expired refresh tokens"),
            Err(error) => tracing::warn!(%error, "could not flush expired tokens"),
        }
    }
}

async fn census_loop(upkeep: Upkeep) {
    let mut tick = tokio::time::interval(CENSUS_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(error) = upkeep.weigh_decoys().await {
            tracing::warn!(%error, "could not count the password hashes by shape");
        }
    }
}

/// Wakes the sync task on every NOTIFY, and once more each time LISTEN is
/// (re)established: notifications sent while the connection was down are
/// lost, the rows are not. Returns at once on SQLite.
async fn listen(upkeep: Upkeep, wake: Arc<Notify>) {
    loop {
        match upkeep.core.store.listen_for_events().await {
            Ok(None) => return,
            Ok(Some(mut listener)) => {
                // Listening from here on: a read now misses nothing.
                wake.notify_one();
                loop {
                    match listener.next().await {
                        Ok(Wake::Appended) => wake.notify_one(),
                        Ok(Wake::Reconnected) => {
                            tracing::warn!("lost the change log's notifications; listening again");
                            break;
                        }
                        Err(error) => {
                            tracing::warn!(%error, "change log notifications failed");
                            break;
                        }
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, "could not listen to the change log");
                tokio::time::sleep(LISTEN_RETRY).await;
            }
        }
    }
}
