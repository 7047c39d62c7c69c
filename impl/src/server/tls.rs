//! TLS on the secure client port and between peers, on rustls with the ring provider: the
//! server's key and certificate chain from a key store, the certificate verifiers from a
//! trust store (`config::tls`). Built once at start; a file that is missing or holds no
//! usable PEM is a configuration error (exit code 2).

use crate::config::tls::{ClientAuth, ClientTls, QuorumTls};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector};

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

/// How long a TLS handshake may take, on the secure client port and between peers: a
/// connection that stalls in it gives its place back.
pub const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The accepting side of a handshake on `stream`, within `HANDSHAKE_TIMEOUT`; the error
/// says why it failed, for the log.
pub async fn accept(
    acceptor: &TlsAcceptor,
    stream: TcpStream,
) -> Result<tokio_rustls::server::TlsStream<TcpStream>, String> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(format!("TLS handshake refused: {e}")),
        Err(_) => Err("TLS handshake not done in time".into()),
    }
}

/// The acceptor of the secure client port.
pub fn acceptor(tls: &ClientTls) -> Result<TlsAcceptor, TlsError> {
    let Some(store) = &tls.key_store else {
        return Err(TlsError::Rustls("no ssl.keyStore.location".into()));
    };
    let trust = match tls.client_auth {
        ClientAuth::None => None,
        auth => tls.trust_store.as_deref().map(|t| (t, auth)),
    };
    Ok(TlsAcceptor::from(Arc::new(server_config(store, trust)?)))
}

/// Both ends of TLS between peers (`sslQuorum`): every peer connection is TLS, each side
/// presenting its certificate from `ssl.quorum.keyStore.location` and checking the other's
/// against `ssl.quorum.trustStore.location`; the connecting side also checks that the
/// certificate names the host of the peer's `server.N` line.
pub struct PeerTls {
    /// For the quorum and election ports.
    pub acceptor: TlsAcceptor,
    /// For links to the peers.
    pub connector: TlsConnector,
}

impl std::fmt::Debug for PeerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PeerTls")
    }
}

impl PeerTls {
    /// The connecting side of a handshake with the peer at `addr` (`host:port`), within
    /// `HANDSHAKE_TIMEOUT`: its certificate must name the host.
    pub async fn connect(
        &self,
        addr: &str,
        stream: TcpStream,
    ) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
        let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = rustls::pki_types::ServerName::try_from(host.to_string())
            .map_err(|e| std::io::Error::other(format!("TLS: peer host {host}: {e}")))?;
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, self.connector.connect(name, stream)).await {
            Ok(Ok(s)) => Ok(s),
            Ok(Err(e)) => Err(std::io::Error::other(format!("TLS: {e}"))),
            Err(_) => Err(std::io::Error::other("TLS handshake not done in time")),
        }
    }

    /// From the `ssl.quorum.*` keys.
    pub fn new(q: &QuorumTls) -> Result<PeerTls, TlsError> {
        let (Some(store), Some(trust)) = (&q.key_store, &q.trust_store) else {
            return Err(TlsError::Rustls("sslQuorum needs both stores".into()));
        };
        let acceptor = server_config(store, Some((trust, ClientAuth::Need)))?;
        let (chain, key) = identity(store)?;
        let client = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(rustls_error)?
            .with_root_certificates(roots(trust)?)
            .with_client_auth_cert(chain, key)
            .map_err(rustls_error)?;
        Ok(PeerTls {
            acceptor: TlsAcceptor::from(Arc::new(acceptor)),
            connector: TlsConnector::from(Arc::new(client)),
        })
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn rustls_error(e: rustls::Error) -> TlsError {
    TlsError::Rustls(e.to_string())
}

/// A server side with the key store's identity, asking clients for certificates the trust
/// store vouches for when `trust` says so.
fn server_config(
    store: &Path,
    trust: Option<(&Path, ClientAuth)>,
) -> Result<rustls::ServerConfig, TlsError> {
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(rustls_error)?;
    let builder = match trust {
        None => builder.with_no_client_auth(),
        Some((path, auth)) => {
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots(path)?), provider());
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
    let (chain, key) = identity(store)?;
    builder.with_single_cert(chain, key).map_err(rustls_error)
}

/// The CAs of a trust store.
fn roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for ca in certificates(path)? {
        roots.add(ca).map_err(|e| TlsError::BadCa {
            path: path.to_path_buf(),
            msg: e.to_string(),
        })?;
    }
    Ok(roots)
}

/// A key store's certificate chain and private key.
fn identity(
    store: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let chain = certificates(store)?;
    let key = PrivateKeyDer::from_pem_slice(&read(store)?)
        .map_err(|_| TlsError::NoKey(store.to_path_buf()))?;
    Ok((chain, key))
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
