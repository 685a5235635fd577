//! HTTPS from the binary (`--tls-cert`, `--tls-key`): rustls with ring, no
//! OpenSSL. ALPN offers `h2` and `http/1.1`; [`crate::serve`] speaks
//! whichever the client picks.
//!
//! The certificate is read again on SIGHUP and whenever either file changes
//! (checked every `--tls-watch-interval`), as certbot and cert-manager
//! replace them. Only new handshakes see the new one: connections already
//! open keep theirs, so nothing is dropped. A pair that does not load (a
//! half-written file, a key of another certificate) is refused with a
//! warning and the one in use stays.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{InconsistentKeys, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// The protocols offered in ALPN, preferred first.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Why a certificate and key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("{0} holds no PEM certificate")]
    NoCertificate(PathBuf),
    #[error("the key in {path} cannot sign: {source}")]
    Key {
        path: PathBuf,
        source: rustls::Error,
    },
    #[error("the certificate in {path} cannot be used: {source}")]
    Certificate {
        path: PathBuf,
        source: rustls::Error,
    },
    #[error("the key in {key} is not the key of the certificate in {cert}")]
    Mismatch { cert: PathBuf, key: PathBuf },
    #[error("TLS configuration: {0}")]
    Config(rustls::Error),
}

/// Where the certificate chain (leaf first) and its private key are.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The certificate every new handshake presents, replaceable while serving.
#[derive(Debug)]
pub struct Certificates {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
}

impl Certificates {
    /// Loads the pair; an error here stops the server from starting.
    pub fn load(files: TlsFiles) -> Result<Arc<Self>, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let current = read_pair(&files, &provider)?;
        Ok(Arc::new(Self {
            files,
            provider,
            current: RwLock::new(Arc::new(current)),
        }))
    }

    /// The acceptor for the listener: TLS 1.2 and 1.3, ALPN `h2` and
    /// `http/1.1`, this certificate (as it is at each handshake).
    pub fn acceptor(self: &Arc<Self>) -> Result<TlsAcceptor, TlsError> {
        let mut config = ServerConfig::builder_with_provider(Arc::clone(&self.provider))
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Config)?
            .with_no_client_auth()
            .with_cert_resolver(Arc::clone(self) as Arc<dyn ResolvesServerCert>);
        config.alpn_protocols = ALPN.iter().map(|protocol| protocol.to_vec()).collect();
        Ok(TlsAcceptor::from(Arc::new(config)))
    }

    /// Reads the files again; on success new handshakes present them.
    pub fn reload(&self) -> Result<(), TlsError> {
        let fresh = read_pair(&self.files, &self.provider)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(fresh);
        Ok(())
    }

    /// Reloads on SIGHUP and when the files change (checked every
    /// `interval`; zero: SIGHUP only), until the server stops. SIGHUP is
    /// taken over before this returns: from then on it cannot end the
    /// process.
    pub fn keep_fresh(self: &Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        #[cfg(unix)]
        let hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .map_err(|error| tracing::warn!(%error, "SIGHUP cannot reload the certificate"))
            .ok();
        #[cfg(not(unix))]
        let hangups: Option<()> = None;
        let certificates = Arc::clone(self);
        tokio::spawn(async move { certificates.watch(hangups, interval).await })
    }

    async fn watch(
        &self,
        #[cfg(unix)] mut hangups: Option<tokio::signal::unix::Signal>,
        #[cfg(not(unix))] _hangups: Option<()>,
        interval: Duration,
    ) {
        let mut seen = self.stamps();
        loop {
            let hangup = async {
                #[cfg(unix)]
                if let Some(signal) = hangups.as_mut() {
                    if signal.recv().await.is_some() {
                        return;
                    }
                }
                std::future::pending::<()>().await
            };
            let tick = async {
                if interval.is_zero() {
                    std::future::pending::<()>().await;
                }
                tokio::time::sleep(interval).await;
            };
            let why = tokio::select! {
                () = hangup => "SIGHUP",
                () = tick => {
                    let now = self.stamps();
                    if now == seen {
                        continue;
                    }
                    seen = now;
                    "the files changed"
                }
            };
            match self.reload() {
                Ok(()) => tracing::info!(
                    cert = %self.files.cert.display(),
                    because = why,
                    "TLS certificate reloaded"
                ),
                Err(error) => tracing::warn!(
                    %error,
                    because = why,
                    "TLS certificate not reloaded: the one in use stays"
                ),
            }
        }
    }

    /// What a change of either file changes: length and modification time.
    fn stamps(&self) -> [Option<(u64, SystemTime)>; 2] {
        [&self.files.cert, &self.files.key].map(|path| {
            let meta = std::fs::metadata(path).ok()?;
            Some((meta.len(), meta.modified().ok()?))
        })
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(
            &self.current.read().unwrap_or_else(|e| e.into_inner()),
        ))
    }
}

fn read_pair(files: &TlsFiles, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    let read_error = |path: &Path| {
        let path = path.to_owned();
        move |source| TlsError::Read { path, source }
    };
    let chain = CertificateDer::pem_file_iter(&files.cert)
        .map_err(read_error(&files.cert))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_error(&files.cert))?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(files.cert.clone()));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(read_error(&files.key))?;
    let signing_key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|source| TlsError::Key {
            path: files.key.clone(),
            source,
        })?;
    let pair = CertifiedKey::new(chain, signing_key);
    match pair.keys_match() {
        // A key type whose public half rustls cannot derive: the client's
        // check of the handshake's signature is the only test then.
        Ok(()) | Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => Ok(pair),
        Err(rustls::Error::InconsistentKeys(_)) => Err(TlsError::Mismatch {
            cert: files.cert.clone(),
            key: files.key.clone(),
        }),
        Err(source) => Err(TlsError::Certificate {
            path: files.cert.clone(),
            source,
        }),
    }
}
