//! Handing a mail over: to the SMTP server of `--smtp-url` (lettre, over
//! rustls for `smtps://` and STARTTLS), or, without one, to an `.eml` file
//! and the log.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::Notify;

use super::settings::MailSettings;

/// Longest one SMTP exchange may take before the attempt counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a configured transport cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    /// The URL with its password masked.
    #[error("invalid --smtp-url {url}: {reason}")]
    SmtpUrl { url: String, reason: String },
    #[error("invalid --email-from {0:?}: expected an address, or a name and <address>")]
    From(String),
    #[error("--smtp-ca-file {path}: {reason}")]
    CaFile { path: String, reason: String },
}

/// Why one attempt failed.
#[derive(Debug)]
pub(crate) enum TransportError {
    /// Try again later: the server is down, busy, or answered 4xx.
    Transient(String),
    /// The server refused the mail for good (5xx), or it cannot be sent.
    Refused(String),
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

/// The configured transport, the `From` mailbox, and the bell that wakes
/// the sender when mail is queued.
pub(crate) struct Postman {
    transport: Transport,
    pub from: Mailbox,
    bell: Notify,
}

impl Postman {
    pub fn new(settings: &MailSettings) -> Result<Self, MailSetupError> {
        let from = settings
            .from
            .parse::<Mailbox>()
            .map_err(|_| MailSetupError::From(settings.from.clone()))?;
        let transport = match &settings.smtp_url {
            Some(url) => {
                let invalid = |reason: String| MailSetupError::SmtpUrl {
                    url: crate::store::redacted_url(url),
                    reason,
                };
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|error| invalid(error.to_string()))?;
                if let Some(ca_file) = &settings.smtp_ca_file {
                    builder = trusting(builder, url, ca_file)?;
                }
                Transport::Smtp(builder.timeout(Some(SMTP_TIMEOUT)).build())
            }
            None => Transport::Files(settings.file_dir.clone()),
        };
        Ok(Self {
            transport,
            from,
            bell: Notify::new(),
        })
    }

    pub fn uses_smtp(&self) -> bool {
        matches!(self.transport, Transport::Smtp(_))
    }

    pub fn wake(&self) {
        self.bell.notify_one();
    }

    pub async fn woken(&self) {
        self.bell.notified().await;
    }

    /// One attempt to hand `message` over; `name` names its file when
    /// there is no SMTP server.
    pub async fn deliver(&self, message: Message, name: &str) -> Result<(), TransportError> {
        match &self.transport {
            Transport::Smtp(smtp) => match smtp.send(message).await {
                Ok(_) => Ok(()),
                Err(error) if error.is_permanent() => {
                    Err(TransportError::Refused(error.to_string()))
                }
                Err(error) => Err(TransportError::Transient(error.to_string())),
            },
            Transport::Files(dir) => {
                write_file(dir, name, &message.formatted())
                    .await
                    .map_err(|error| {
                        TransportError::Transient(format!(
                            "could not write the mail under {}: {error}",
                            dir.display()
                        ))
                    })
            }
        }
    }
}

/// `builder` with the certificate authorities of `ca_file` trusted beside
/// the system's, for the TLS the URL asks for (`smtps://`, or
/// `?tls=required` / `?tls=opportunistic`).
fn trusting(
    builder: AsyncSmtpTransportBuilder,
    url: &str,
    ca_file: &std::path::Path,
) -> Result<AsyncSmtpTransportBuilder, MailSetupError> {
    let refused = |reason: String| MailSetupError::CaFile {
        path: ca_file.display().to_string(),
        reason,
    };
    let pem = std::fs::read(ca_file).map_err(|error| refused(error.to_string()))?;
    if !pem
        .windows(b"BEGIN CERTIFICATE".len())
        .any(|window| window == b"BEGIN CERTIFICATE")
    {
        return Err(refused("no PEM certificate in it".to_owned()));
    }
    let certificate = Certificate::from_pem(&pem).map_err(|error| refused(error.to_string()))?;
    let parsed = url::Url::parse(url).map_err(|error| refused(error.to_string()))?;
    let host = parsed.host_str().unwrap_or_default().to_owned();
    let parameters = TlsParameters::builder(host)
        .add_root_certificate(certificate)
        .build_rustls()
        .map_err(|error| refused(error.to_string()))?;
    let mode = parsed
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, value)| value.into_owned());
    let tls = match (parsed.scheme(), mode.as_deref()) {
        ("smtps", _) => Tls::Wrapper(parameters),
        ("smtp", Some("required")) => Tls::Required(parameters),
        ("smtp", Some("opportunistic")) => Tls::Opportunistic(parameters),
        _ => {
            return Err(refused(
                "it applies to TLS: use smtps://, or smtp://…?tls=required".to_owned(),
            ))
        }
    };
    Ok(builder.tls(tls))
}

/// Writes the mail as `<dir>/<name>.eml`, readable by its owner only: it
/// may hold a password-reset link. Written under a temporary name first,
/// so a reader never sees half a mail.
async fn write_file(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    tokio::fs::create_dir_all(dir).await?;
    let partial = dir.join(format!(".{name}.eml.partial"));
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(&partial).await?;
    file.write_all(bytes).await?;
    file.sync_all().await?;
    tokio::fs::rename(&partial, dir.join(format!("{name}.eml"))).await
}
