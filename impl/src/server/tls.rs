//! TLS on the secure client port, on rustls with the ring provider: the server's key and
//! certificate chain from the key store, the client certificate verifier from the trust
//! store (`config::tls`). Built once at start; a file that is missing or holds no usable PEM
//! is a configuration error (exit code 2).

use crate::config::tls::{ClientAuth, ClientTls};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;

/// Why the TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A PEM file holds no certificate.
    #[error("{0} holds no PEM certificate")]
    NoCertificate(PathBuf),
    /// The key store holds no private key.
    #[error("{0} holds no unencrypted PEM private key")]
    NoKey(PathBuf),
    /// A certificate in the trust store is not a usable CA.
    #[error("{path}: {msg}")]
    BadCa {
        /// The trust store.
        path: PathBuf,
        /// What rustls said.
        msg: String,
    },
    /// rustls refused the key, the chain or the verifier.
    #[error("{0}")]
    Rustls(String),
}

/// The acceptor of the secure client port.
pub fn acceptor(tls: &ClientTls) -> Result<TlsAcceptor, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let rustls_error = |e: rustls::Error| TlsError::Rustls(e.to_string());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(rustls_error)?;
    let builder = match (tls.client_auth, &tls.trust_store) {
        (ClientAuth::None, _) | (_, None) => builder.with_no_client_auth(),
        (auth, Some(path)) => {
            let mut roots = RootCertStore::empty();
            for ca in certificates(path)? {
                roots.add(ca).map_err(|e| TlsError::BadCa {
                    path: path.clone(),
                    msg: e.to_string(),
                })?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = match auth {
                ClientAuth::Want => verifier.allow_unauthenticated(),
                _ => verifier,
            };
            let verifier = verifier
                .build()
                .map_err(|e| TlsError::Rustls(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let Some(store) = &tls.key_store else {
        return Err(TlsError::Rustls("no ssl.keyStore.location".into()));
    };
    let chain = certificates(store)?;
    let key =
        PrivateKeyDer::from_pem_slice(&read(store)?).map_err(|_| TlsError::NoKey(store.clone()))?;
    let config = builder.with_single_cert(chain, key).map_err(rustls_error)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Every certificate in a PEM file, in order; at least one.
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(path)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|_| TlsError::NoCertificate(path.to_path_buf()))?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(path.to_path_buf()));
    }
    Ok(certs)
}
