//! Background upkeep of a serving process: read the change log when
//! PostgreSQL says it grew (LISTEN/NOTIFY) and in any case every
//! `sync_every` (the fallback, and SQLite's only way: the CLI's `deactivate`
//! reaches a running server within two seconds at the default of one), and
//! delete expired tokens hourly.

use std::sync::Arc;
use std::time::Duration;

use tessera::store::Wake;
use tessera::Tessera;
use tokio::sync::Notify;

/// How often a server reads the change log without being woken.
pub const SYNC_EVERY: Duration = Duration::from_secs(1);
const FLUSH_EVERY: Duration = Duration::from_secs(3600);
/// How long to wait before listening again after the database refused.
const LISTEN_RETRY: Duration = Duration::from_secs(1);

/// The running upkeep tasks; they stop when this is dropped.
pub struct Maintenance {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Maintenance {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts the upkeep on the current tokio runtime.
pub fn spawn(tessera: Tessera, sync_every: Duration) -> Maintenance {
    let wake = Arc::new(Notify::new());
    let syncing = tessera.clone();
    let woken = Arc::clone(&wake);
    let sync = tokio::spawn(async move {
        let mut tick = tokio::time::interval(sync_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = woken.notified() => {}
            }
            if let Err(error) = syncing.sync().await {
                tracing::warn!(%error, "could not read the change log");
            }
        }
    });
    let listen = tokio::spawn(listen(tessera.clone(), wake));
    let flush = tokio::spawn(async move {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        loop {
            tick.tick().await;
            match tessera.flush_expired().await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "flushed expired refresh tokens"),
                Err(error) => tracing::warn!(%error, "could not flush expired tokens"),
            }
        }
    });
    Maintenance {
        tasks: vec![sync, listen, flush],
    }
}

/// Wakes the sync task on every NOTIFY, and once more each time LISTEN is
/// (re)established: notifications sent while the connection was down are
/// lost, the rows are not. Returns at once on SQLite.
async fn listen(tessera: Tessera, wake: Arc<Notify>) {
    loop {
        match tessera.listen_for_changes().await {
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
