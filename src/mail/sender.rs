//! The delivery loop: claim the due mails, try each, delete or reschedule.

use std::time::Duration;

use super::transport::TransportError;
use super::{compose, Mail, FAILED, SENT};
use crate::core::Core;
use crate::store::{QueuedMail, StoreError};

/// Mails claimed at once: a pass takes at most this many SMTP exchanges.
const BATCH: i64 = 10;
/// How long a claim holds a mail: far beyond one pass of [`BATCH`] mails
/// with the transport's timeout, so no other sender takes a mail this one
/// is still trying. A sender that died mid-pass releases its mails after it.
const LEASE_SECS: i64 = 10 * 60;
/// How often the outbox is looked at without being woken: mails queued by
/// another instance, and retries that came due.
const POLL_EVERY: Duration = Duration::from_secs(5);
/// The wait after the first failed attempt; it doubles with each failure.
const FIRST_RETRY_SECS: i64 = 10;
/// The longest wait between two attempts, and the pace of retrying a mail
/// the server refused for good.
const MAX_RETRY_SECS: i64 = 60 * 60;

/// The running sender; it stops when this is dropped.
pub struct MailSender {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MailSender {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(super) fn spawn(mail: Mail) -> MailSender {
    MailSender {
        task: tokio::spawn(run(mail)),
    }
}

async fn run(mail: Mail) {
    loop {
        match send_due(&mail.core).await {
            // A full batch: more may be due.
            Ok(tried) if tried as i64 == BATCH => continue,
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "could not read the mail outbox"),
        }
        tokio::select! {
            () = tokio::time::sleep(POLL_EVERY) => {}
            () = mail.core.postman.woken() => {}
        }
    }
}

/// One pass over the due mails; returns how many were tried.
pub(super) async fn send_due(core: &Core) -> Result<usize, StoreError> {
    let now = core.now();
    let claimed = core
        .store
        .claim_due_mail(now, now + LEASE_SECS, BATCH)
        .await?;
    for mail in &claimed {
        let outcome = match compose::message(&core.postman.from, mail) {
            Ok(message) => {
                let name = format!("{}-{}", mail.created_at, mail.id);
                core.postman.deliver(message, &name).await
            }
            Err(reason) => Err(TransportError::Refused(reason)),
        };
        settle(core, mail, outcome).await?;
    }
    Ok(claimed.len())
}

async fn settle(
    core: &Core,
    mail: &QueuedMail,
    outcome: Result<(), TransportError>,
) -> Result<(), StoreError> {
    match outcome {
        Ok(()) => {
            core.store.mail_delivered(mail.id).await?;
            ::metrics::counter!(SENT).increment(1);
            if core.postman.uses_smtp() {
                tracing::info!(id = mail.id, attempts = mail.attempts, "mail sent");
            } else {
                // Like Django's console backend: the text, link included,
                // for whoever runs the server without a mail server.
                tracing::info!(
                    to = %mail.recipient,
                    subject = %mail.subject,
                    "mail written to a file (no --smtp-url):\n{}",
                    mail.body_text
                );
            }
        }
        Err(error) => {
            let (kind, reason, refused) = match error {
                TransportError::Transient(reason) => ("transient", reason, false),
                TransportError::Refused(reason) => ("refused", reason, true),
            };
            let wait = if refused {
                MAX_RETRY_SECS
            } else {
                retry_wait(mail.attempts)
            };
            // The reason is the server's answer or a connection error: it
            // names no secret (the URL's password is never in it).
            tracing::warn!(
                id = mail.id,
                attempts = mail.attempts,
                retry_in_secs = wait,
                %reason,
                "mail not delivered; kept for another attempt"
            );
            ::metrics::counter!(FAILED, "kind" => kind).increment(1);
            core.store
                .mail_deferred(mail.id, core.now() + wait, &reason, refused)
                .await?;
        }
    }
    Ok(())
}

/// The wait after `attempts` failed attempts: 10 s, 20 s, 40 s, … up to
/// an hour.
pub(super) fn retry_wait(attempts: i64) -> i64 {
    let doublings = attempts.saturating_sub(1).clamp(0, 16) as u32;
    FIRST_RETRY_SECS
        .saturating_mul(1 << doublings)
        .min(MAX_RETRY_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_an_hour() {
        let waits: Vec<i64> = (1..=10).map(retry_wait).collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]);
        assert_eq!(retry_wait(i64::MAX), MAX_RETRY_SECS);
        assert_eq!(retry_wait(0), FIRST_RETRY_SECS);
    }
}
