//! What the core counts, through the `metrics` facade (as `tracing` is for
//! logs): nothing is recorded unless the server installed a recorder
//! (`--metrics-addr`), and then each count is an atomic add on a handle
//! looked up by name and labels. README (Metrics) lists every series.

/// Logins (password or passkey) by outcome: `succeeded`, `failed` (wrong
/// name, password, code or passkey, or inactive), `second step` (the app's
/// code asked), `refused` (a passkey answer without an open ceremony, or
/// not a credential), `throttled`, `busy` (hasher queue full), `error`.
pub const LOGINS: &str = "tessera_logins_total";
/// Refreshes by outcome: `rotated` (a new pair), `refreshed` (rotation
/// off), `overlap_replay` (a retired token replayed within the overlap
/// window), `refused`.
pub const REFRESHES: &str = "tessera_refreshes_total";
/// Retired refresh tokens presented again: each revoked its session.
pub const REUSE_DETECTED: &str = "tessera_refresh_reuse_detected_total";
/// Sessions revoked, by reason: `logout`, `reuse`, `password changed`,
/// `deactivated`, `activated`, `ended by owner`, `ended by admin`, `two-step changed`,
/// `passkeys changed`.
pub const SESSIONS_REVOKED: &str = "tessera_sessions_revoked_total";
/// How long a password hash waited for a hasher thread.
pub const HASHER_WAIT: &str = "tessera_hasher_wait_seconds";

pub(crate) fn login(outcome: &'static str) {
    ::metrics::counter!(LOGINS, "outcome" => outcome).increment(1);
}

pub(crate) fn refresh(outcome: &'static str) {
    ::metrics::counter!(REFRESHES, "outcome" => outcome).increment(1);
}

pub(crate) fn reuse_detected() {
    ::metrics::counter!(REUSE_DETECTED).increment(1);
}

pub(crate) fn sessions_revoked(reason: crate::store::RevocationReason, count: usize) {
    if count > 0 {
        ::metrics::counter!(SESSIONS_REVOKED, "reason" => reason.as_str()).increment(count as u64);
    }
}

pub(crate) fn hasher_wait(waited: std::time::Duration) {
    ::metrics::histogram!(HASHER_WAIT).record(waited.as_secs_f64());
}
