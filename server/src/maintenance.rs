//! A serving process's background upkeep (the core's [`tessera::Upkeep`]:
//! reading the change log, flushing expired rows), started at the pace a
//! server uses.

use std::time::Duration;

use tessera::{Tessera, UpkeepTasks};

/// How often a server reads the change log without being woken: the CLI's
/// `deactivate` reaches a running SQLite server within two seconds.
pub const SYNC_EVERY: Duration = Duration::from_secs(1);

/// Starts the upkeep on the current tokio runtime; it stops when the
/// returned handle is dropped.
pub fn spawn(tessera: &Tessera, sync_every: Duration) -> UpkeepTasks {
    tessera.upkeep.spawn(sync_every)
}
