//! A change to an account that ends its other sessions (two-step sign-in
//! turned on or off, a recovery code used, a passkey added or removed): the
//! change, the sessions' end, its audit event and notice in one transaction;
//! then the log line, the ended sessions refused here at once, the notice
//! sent.

use crate::audit::AuditEvent;
use crate::core::Core;
use crate::error::AuthError;
use crate::store::{EndedWith, RevocationReason};

/// Makes the change `with` and ends the user's sessions but `keep`;
/// `false` when the change's precondition no longer holds (a code used
/// meanwhile, a passkey registered already): nothing changed then.
pub(crate) async fn change_ending_sessions(
    core: &Core,
    user_id: i64,
    keep: Option<&str>,
    because: RevocationReason,
    with: EndedWith<'_>,
    event: &AuditEvent,
    now: i64,
) -> Result<bool, AuthError> {
    let ended = core
        .store
        .end_other_sessions(user_id, keep, now, because, Some(with), Some(event.clone()))
        .await?;
    let Some(ended) = ended else {
        return Ok(false);
    };
    crate::audit::emitted(&[event
        .clone()
        .detail(crate::audit::sessions_ended(ended.len()))]);
    crate::core::metrics::sessions_revoked(because, ended.len());
    core.registry.revoke_sessions(ended);
    core.reload_user(user_id).await?;
    if !with.notices().is_empty() {
        core.postman.wake();
    }
    Ok(true)
}
