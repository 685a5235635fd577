//! Certificates for TLS tests: a certificate authority of the test's own,
//! the certificates it signs for 127.0.0.1, and clients that trust it.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

/// A certificate authority of the test's own.
pub struct TestCa {
    key: rcgen::KeyPair,
    params: rcgen::CertificateParams,
    /// The authority's own certificate, PEM.
    pub pem: String,
}

impl TestCa {
    pub fn new() -> Self {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Tessera test CA");
        let pem = params.self_signed(&key).unwrap().pem();
        Self { key, params, pem }
    }

    /// Writes a new certificate for 127.0.0.1 and its key into `dir` (as
    /// `cert.pem` and `key.pem`) and returns the certificate's DER.
    pub fn issue(&self, dir: &Path) -> Vec<u8> {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .unwrap()
            .signed_by(&key, &rcgen::Issuer::from_params(&self.params, &self.key))
            .unwrap();
        // Written next to the files and renamed over them, as certbot does:
        // the watcher never reads a half-written file.
        for (name, text) in [("key.pem", key.serialize_pem()), ("cert.pem", cert.pem())] {
            let staged = dir.join(format!("{name}.new"));
            std::fs::write(&staged, text).unwrap();
            std::fs::rename(&staged, dir.join(name)).unwrap();
        }
        cert.der().to_vec()
    }

    /// A TLS client trusting only this authority, offering `alpn`.
    pub fn client(&self, alpn: &[&[u8]]) -> tokio_rustls::TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(self.pem.as_bytes()).unwrap())
            .unwrap();
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        tokio_rustls::TlsConnector::from(Arc::new(config))
    }
}
