//! One guess at a password, throttled: counted against the name *before*
//! the hash (for names that exist or not alike, so throttling reveals no
//! account, and parallel guesses are all counted), against the client's
//! address once it has failed; a success resets the name and never counted
//! against the address. A known device (see `known_device`) is counted
//! under its own key instead of both. Logins and password changes both go
//! through here, so neither is a side door for guessing.
//!
//! An attempt that finds the name locked while other attempts of it are in
//! flight waits for them (a bounded time, holding no place with the hasher)
//! instead of being refused: if one of them succeeds the way is free, if
//! they fail the lock stands and the attempt is refused as before.

use std::sync::Arc;
use std::time::Duration;

use crate::audit::{AuditEvent, AuditKind};
use crate::core::caller::address_block;
use crate::core::throttle::{ThrottleKey, Throttled};
use crate::core::{Client, Core};
use crate::error::AuthError;
use crate::password::HashSlot;

/// The longest an attempt waits for those in flight before it is refused.
/// They resolve within a hash each (the hasher's queue is bounded), so
/// this is only reached when they keep failing and locking.
const SETTLE_WAIT: Duration = Duration::from_secs(10);
/// How often a waiting attempt looks again without being woken: attempts
/// in flight on another instance wake nobody here.
const FIRST_LOOK: Duration = Duration::from_millis(20);
const SLOWEST_LOOK: Duration = Duration::from_millis(250);

pub(crate) struct PasswordAttempt {
    core: Arc<Core>,
    /// The name, or the known device standing in for it.
    counted: [ThrottleKey; 1],
    /// The address block a failure counts against (not for a known device).
    address: Option<ThrottleKey>,
    /// The device id a known device showed, to renew its marker.
    device: Option<String>,
    now: i64,
    resolved: bool,
}

impl PasswordAttempt {
    /// A place with the hasher and the attempt counted, or `Busy` /
    /// `Throttled`. The place comes first each time: an attempt refused as
    /// busy must not have counted against anyone's throttle.
    pub async fn begin(
        core: &Arc<Core>,
        username: &str,
        client: Client<'_>,
    ) -> Result<(HashSlot, Self), AuthError> {
        let now = core.now();
        let device = client
            .known_device
            .and_then(|marker| core.known_devices.recognise(marker, username, now));
        let (counted, address) = match device {
            Some(id) => (ThrottleKey::Device(id.to_owned()), None),
            None => (
                ThrottleKey::Username(username.to_owned()),
                client
                    .address
                    .map(|address| ThrottleKey::Address(address_block(address, core.ipv6_prefix))),
            ),
        };
        let keys: Vec<ThrottleKey> = std::iter::once(&counted).chain(&address).cloned().collect();
        let deadline = tokio::time::Instant::now() + SETTLE_WAIT;
        let mut look_again = FIRST_LOOK;
        loop {
            let slot = core.hasher.reserve()?;
            // Taken before counting, so a resolution in between still wakes it.
            let settled = core.attempts_settled.notified();
            let now = core.now();
            match core
                .store
                .count_login_attempt(&keys, &core.throttle, now)
                .await?
            {
                Ok(()) => {
                    let attempt = Self {
                        core: Arc::clone(core),
                        counted: [counted],
                        address,
                        device: device.map(str::to_owned),
                        now,
                        resolved: false,
                    };
                    return Ok((slot, attempt));
                }
                Err(Throttled {
                    settling: true,
                    retry_after,
                }) if tokio::time::Instant::now() < deadline => {
                    drop(slot);
                    let _ = tokio::time::timeout(look_again, settled).await;
                    look_again = (look_again * 2).min(SLOWEST_LOOK);
                    tracing::trace!(retry_after, "a password attempt waits for those in flight");
                }
                Err(Throttled { retry_after, .. }) => {
                    record_throttled(core, client, now).await;
                    return Err(AuthError::Throttled { retry_after });
                }
            }
        }
    }

    /// The password was wrong: the address's failure counts now (the
    /// name's was counted when the attempt began), recorded with `event`.
    pub async fn failed(mut self, event: AuditEvent) -> Result<(), AuthError> {
        self.resolved = true;
        let keys: Vec<ThrottleKey> = self.counted.iter().chain(&self.address).cloned().collect();
        let events = [event];
        let outcome = self
            .core
            .store
            .login_failed(&keys, &self.core.throttle, self.now, &events)
            .await;
        self.core.attempts_settled.notify_waiters();
        outcome?;
        crate::audit::emitted(&events);
        Ok(())
    }

    /// The password was right: the name (or device) starts afresh. Returns
    /// the marker that makes this client a known device of `username`.
    pub async fn succeeded(mut self, username: &str) -> Result<String, AuthError> {
        self.resolved = true;
        let outcome = self
            .core
            .store
            .login_succeeded(&self.counted, &self.core.throttle, self.now)
            .await;
        self.core.attempts_settled.notify_waiters();
        outcome?;
        Ok(self
            .core
            .known_devices
            .issue(self.device.as_deref(), username, self.now))
    }
}

impl PasswordAttempt {
    /// The password was right but the login is not done (two-step sign-in
    /// asks for a code): the name's count stands, as for an attempt
    /// abandoned, and nobody waits for it any longer.
    pub async fn unfinished(mut self) -> Result<(), AuthError> {
        self.resolved = true;
        let outcome = self
            .core
            .store
            .login_failed(&self.counted, &self.core.throttle, self.now, &[])
            .await;
        self.core.attempts_settled.notify_waiters();
        Ok(outcome?)
    }
}

impl Drop for PasswordAttempt {
    /// An attempt abandoned before its verdict (the client went away, the
    /// store failed) stays counted as a failure of the name, but is no
    /// longer in flight: nobody should wait for it.
    fn drop(&mut self) {
        if self.resolved {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let core = Arc::clone(&self.core);
        let counted = self.counted.clone();
        let now = self.now;
        runtime.spawn(async move {
            if let Err(error) = core
                .store
                .login_failed(&counted, &core.throttle, now, &[])
                .await
            {
                tracing::warn!(%error, "could not settle an abandoned password attempt");
            }
            core.attempts_settled.notify_waiters();
        });
    }
}

/// An attempt refused by the throttle, in the audit log's row for its
/// address and minute. A failure to write it must not change the answer
/// (the throttle has spoken), so it is logged and left.
pub(crate) async fn record_throttled(core: &Core, client: Client<'_>, now: i64) {
    let address = client.address.map(|address| address.to_string());
    match core.store.record_throttled(address.as_deref(), now).await {
        Ok(()) => {
            let mut event = AuditEvent::new(AuditKind::LoginThrottled, now);
            event.address = address;
            crate::audit::emitted(&[event]);
        }
        Err(error) => tracing::warn!(%error, "could not record a throttled attempt"),
    }
}
