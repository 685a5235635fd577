//! Mail, never lost: each mail is written to the outbox table in the
//! transaction of the change that causes it (a reset request, later a
//! verification or a security notice), then delivered by a sender task that
//! any instance may run. A sender claims a few due rows at a time (their
//! next attempt moves past a lease, so no other sender takes them), hands
//! them to the SMTP server, deletes each one the server accepted and
//! reschedules the others with a growing wait. A mail is kept until it is
//! accepted: a server down for an hour, or a process restarted in between,
//! delays it and loses nothing.
//!
//! Without `--smtp-url` (the embedded default, like Django's console
//! backend) each mail is written as an `.eml` file under `--email-file-dir`
//! and its text logged, so a development server needs no mail server.

pub(crate) mod compose;
pub(crate) mod notices;
mod sender;
pub(crate) mod settings;
pub(crate) mod transport;

use std::sync::Arc;

use crate::core::Core;
use crate::store::StoreError;

pub use sender::MailSender;
pub use settings::MailSettings;
pub use transport::MailSetupError;
pub(crate) use transport::Postman;

/// A mail on its way to the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingMail {
    /// `<random@host>`: the same on every attempt, so a receiving server
    /// that got a mail twice (a crash between its acceptance and the
    /// outbox's delete) can tell.
    pub message_id: String,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// How many mails wait, by state (every instance sees the same table).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Not tried yet, or being tried for the first time.
    pub queued: i64,
    /// Tried and not accepted (the server down or refusing for now).
    pub retrying: i64,
    /// Refused for good by the server (5xx): kept, retried hourly, for an
    /// operator to look at.
    pub refused: i64,
}

/// The mail side of the core: the sender task and the outbox's state.
#[derive(Clone)]
pub struct Mail {
    core: Arc<Core>,
}

impl Mail {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// Starts delivering on the current tokio runtime; delivery stops when
    /// the handle is dropped.
    pub fn spawn_sender(&self) -> MailSender {
        sender::spawn(self.clone())
    }

    /// One pass: claims the mails due now and tries each once. Returns
    /// how many were tried.
    pub async fn send_due(&self) -> Result<usize, StoreError> {
        sender::send_due(&self.core).await
    }

    /// Tells the sender to look at the outbox now (mail was queued, or
    /// the clock was moved).
    pub fn wake(&self) {
        self.core.postman.wake();
    }

    pub async fn outbox(&self) -> Result<OutboxCounts, StoreError> {
        self.core.store.outbox_counts().await
    }

    /// Whether mail goes to an SMTP server (rather than to files).
    pub fn uses_smtp(&self) -> bool {
        self.core.postman.uses_smtp()
    }
}

/// Mail metrics (Prometheus): accepted by the server, and attempts that
/// failed by kind (`transient`: retried soon; `refused`: a 5xx).
pub const SENT: &str = "tessera_mail_sent_total";
pub const FAILED: &str = "tessera_mail_failed_attempts_total";
