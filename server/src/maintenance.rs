//! Background upkeep of a serving process: pick up other processes' changes
//! every `sync_every` (the CLI's `deactivate` reaches a running server within
//! two seconds at the default of one), and delete expired tokens hourly.

use std::time::Duration;

use tessera::Tessera;

/// How often a server reads the change log.
pub const SYNC_EVERY: Duration = Duration::from_secs(1);
const FLUSH_EVERY: Duration = Duration::from_secs(3600);

/// The running upkeep tasks; they stop when this is dropped.
pub struct Maintenance {
    tasks: [tokio::task::JoinHandle<()>; 2],
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
    let syncing = tessera.clone();
    let sync = tokio::spawn(async move {
        let mut tick = tokio::time::interval(sync_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(error) = syncing.sync().await {
                tracing::warn!(%error, "could not read the change log");
            }
        }
    });
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
        tasks: [sync, flush],
    }
}
