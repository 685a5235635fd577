//! Where mail goes: the settings the process is given, which the core's
//! settings hold.

use std::path::PathBuf;

/// Where mail goes, as configured.
#[derive(Clone)]
pub struct MailSettings {
    /// `smtp://host:25`, `smtp://user:password@host:587?tls=required`
    /// (STARTTLS), `smtps://user:password@host:465`; `None`: files and log.
    pub smtp_url: Option<String>,
    /// The `From` of every mail: `Tessera <noreply@example.com>`.
    pub from: String,
    /// Where mails go without `smtp_url`.
    pub file_dir: PathBuf,
    /// Certificate authorities (PEM) to trust for the SMTP server's TLS
    /// certificate, beside the system's: a company's own CA.
    pub smtp_ca_file: Option<PathBuf>,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "Tessera <noreply@localhost>".to_owned(),
            file_dir: PathBuf::from("data/outbox"),
            smtp_ca_file: None,
        }
    }
}

/// Never prints the SMTP password.
impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field(
                "smtp_url",
                &self.smtp_url.as_deref().map(crate::store::redacted_url),
            )
            .field("from", &self.from)
            .field("file_dir", &self.file_dir)
            .field("smtp_ca_file", &self.smtp_ca_file)
            .finish()
    }
}
