//! Peer authentication: the handshake that opens every peer connection, before a frame of
//! Zab or of the election is read from it.
//!
//! The connecting server sends a `Hello` (its id, the id it means to reach, the plane, a
//! fresh nonce). The accepting server refuses an id that is not one of its configured peers
//! or a hello meant for another server, then answers with its own nonce. With
//! `zab.quorum.secretFile` (the same secret on every server), each side proves it holds the
//! secret by an HMAC-SHA256 over both ids, the plane and both nonces, each side with its
//! own label, so a proof can be neither replayed (the other side's nonce is fresh) nor
//! reflected (the labels differ). The acceptor proves first, so a connector never proves
//! itself to a server that could not; the acceptor reports the connection to the core only
//! once the connector has proved itself, so a connection without the secret disturbs no
//! live link. Without the secret, peers are taken as ZooKeeper takes them: by configured id.
//!
//! The hello carries a protocol version, so what later needs the handshake (TLS between
//! peers, an incarnation number for traced message identities) can extend it.

use super::Plane;
use crate::replica::ServerId;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The handshake's version; a peer with another is refused. 2: the replica's messages carry
/// their identity (`Envelope::Replica`).
pub const VERSION: u16 = 2;
/// How long either side waits for the other's part of the handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// The shortest secret accepted: 128 bits.
pub const MIN_SECRET_BYTES: usize = 16;
/// A handshake message is never longer than this.
const MAX_MESSAGE: usize = 256;

/// The secret of `zab.quorum.secretFile`. Its `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct QuorumSecret(Vec<u8>);

impl std::fmt::Debug for QuorumSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "QuorumSecret({} bytes)", self.0.len())
    }
}

impl QuorumSecret {
    /// Writes a fresh secret of 256 random bits to `path` (hex, one line, mode 0600): what
    /// a tool that starts an ensemble gives its servers.
    pub fn create(path: &Path) -> std::io::Result<()> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        std::fs::write(path, hex + "\n")?;
        let owner_only = std::os::unix::fs::PermissionsExt::from_mode(0o600);
        std::fs::set_permissions(path, owner_only)
    }

    /// Reads the secret from `path`: its bytes, without trailing whitespace (an editor's
    /// newline), at least `MIN_SECRET_BYTES` of them, from a file only its owner may read.
    pub fn read(path: &Path) -> Result<QuorumSecret, String> {
        // As ssh with a private key: a secret others may read is no secret, so it is refused
        // rather than used.
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .permissions(),
        );
        if mode & 0o077 != 0 {
            return Err(format!(
                "{}: mode {:o} lets others read the secret; make it 600",
                path.display(),
                mode & 0o777
            ));
        }
        let mut bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        while bytes.last().is_some_and(|b| b.is_ascii_whitespace()) {
            bytes.pop();
        }
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "{}: a secret of {} bytes; at least {MIN_SECRET_BYTES} are needed",
                path.display(),
                bytes.len()
            ));
        }
        Ok(QuorumSecret(bytes))
    }
}

/// Why a peer connection's handshake failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The connection failed or closed during the handshake.
    #[error("connection lost during the handshake: {0}")]
    Io(#[from] std::io::Error),
    /// The other side did not finish within `HANDSHAKE_TIMEOUT`.
    #[error("no handshake within {HANDSHAKE_TIMEOUT:?}")]
    Timeout,
    /// A message that does not decode, or is too long.
    #[error("malformed handshake message")]
    Malformed,
    /// Another version of the handshake.
    #[error("handshake version {0}, this server speaks {VERSION}")]
    Version(u16),
    /// A hello from an id that is not a configured peer.
    #[error("server id {0} is not a configured peer")]
    UnknownPeer(ServerId),
    /// A hello meant for another server (or from this one).
    #[error("a hello from {from} meant for server {to}")]
    Misdirected {
        /// The id the hello claims.
        from: ServerId,
        /// The id it was meant for.
        to: ServerId,
    },
    /// The other side's proof is wrong: it does not hold the secret.
    #[error("server {0} failed to prove it holds zab.quorum.secretFile's secret")]
    BadProof(ServerId),
}

#[derive(Serialize, Deserialize)]
struct Hello {
    version: u16,
    from: ServerId,
    to: ServerId,
    plane: Plane,
    nonce: [u8; 16],
}

#[derive(Serialize, Deserialize)]
struct Challenge {
    nonce: [u8; 16],
    proof: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Proof {
    proof: Vec<u8>,
}

/// Who this server is, who its peers are and the secret they share; and the bounds on
/// connections still in their handshake.
#[derive(Debug)]
pub struct PeerAuth {
    me: ServerId,
    peers: BTreeSet<ServerId>,
    secret: Option<QuorumSecret>,
    /// Inbound handshakes in progress, at most `MAX_HANDSHAKES`: a flood of connections to
    /// a peer port is closed unread past it.
    handshakes: Arc<Semaphore>,
    /// Refusals not logged yet, and when one last was: at most one line a second.
    refusals: Mutex<(u64, Option<Instant>)>,
    /// TLS on every peer connection (`sslQuorum`), under the handshake.
    tls: Option<crate::server::tls::PeerTls>,
}

/// Inbound peer connections that may be in their handshake at once (a configured ensemble
/// needs two per peer, one per plane).
pub const MAX_HANDSHAKES: usize = 32;

/// Which side of the handshake a proof is made by.
#[derive(Clone, Copy)]
enum Side {
    Acceptor,
    Connector,
}

impl PeerAuth {
    /// This server (`me`), the other configured servers, and the secret if there is one.
    pub fn new(
        me: ServerId,
        peers: impl IntoIterator<Item = ServerId>,
        secret: Option<QuorumSecret>,
    ) -> PeerAuth {
        PeerAuth {
            me,
            peers: peers.into_iter().filter(|&p| p != me).collect(),
            secret,
            handshakes: Arc::new(Semaphore::new(MAX_HANDSHAKES)),
            refusals: Mutex::new((0, None)),
            tls: None,
        }
    }

    /// The same, with TLS on every peer connection.
    pub fn with_tls(self, tls: Option<crate::server::tls::PeerTls>) -> PeerAuth {
        PeerAuth { tls, ..self }
    }

    /// TLS between peers, if `sslQuorum` is on.
    pub fn tls(&self) -> Option<&crate::server::tls::PeerTls> {
        self.tls.as_ref()
    }

    /// This server's id.
    pub fn me(&self) -> ServerId {
        self.me
    }

    /// A place for one more inbound handshake, if there is one.
    pub fn handshake_slot(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.handshakes).try_acquire_owned().ok()
    }

    /// Logs a refused peer connection, at most once a second (with how many there were), so
    /// a flood of them cannot flood the log.
    pub fn log_refusal(&self, addr: Option<std::net::SocketAddr>, why: &dyn std::fmt::Display) {
        let mut r = self.refusals.lock().unwrap_or_else(|p| p.into_inner());
        r.0 += 1;
        let now = Instant::now();
        if r.1
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
        {
            return;
        }
        let count = std::mem::take(&mut r.0);
        r.1 = Some(now);
        let from = addr.map(|a| a.to_string()).unwrap_or_default();
        tracing::warn!(from, refused = count, "peer connection refused: {why}");
    }

    /// Whether peers must prove the secret.
    pub fn authenticates(&self) -> bool {
        self.secret.is_some()
    }

    /// The connecting side: says who it is and whom it calls, checks the acceptor's proof,
    /// proves itself.
    pub async fn connect<S>(&self, s: &mut S, peer: ServerId, plane: Plane) -> Result<(), AuthError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        timed(async {
            let hello = Hello {
                version: VERSION,
                from: self.me,
                to: peer,
                plane,
                nonce: nonce()?,
            };
            write_message(s, &hello).await?;
            let challenge: Challenge = read_message(s).await?;
            let acceptor = self.proof(Side::Acceptor, &hello, &challenge.nonce);
            if !acceptor.verify(&challenge.proof) {
                return Err(AuthError::BadProof(peer));
            }
            let proof = self
                .proof(Side::Connector, &hello, &challenge.nonce)
                .bytes();
            write_message(s, &Proof { proof }).await
        })
        .await
    }

    /// The accepting side: takes a hello from a configured peer meant for this server,
    /// proves itself, checks the connector's proof. Returns who connected, on which plane.
    pub async fn accept<S>(&self, s: &mut S) -> Result<(ServerId, Plane), AuthError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        timed(async {
            let hello: Hello = read_message(s).await?;
            if hello.version != VERSION {
                return Err(AuthError::Version(hello.version));
            }
            if !self.peers.contains(&hello.from) {
                return Err(AuthError::UnknownPeer(hello.from));
            }
            if hello.to != self.me {
                return Err(AuthError::Misdirected {
                    from: hello.from,
                    to: hello.to,
                });
            }
            let ours = nonce()?;
            let proof = self.proof(Side::Acceptor, &hello, &ours).bytes();
            write_message(s, &Challenge { nonce: ours, proof }).await?;
            let Proof { proof } = read_message(s).await?;
            if !self.proof(Side::Connector, &hello, &ours).verify(&proof) {
                return Err(AuthError::BadProof(hello.from));
            }
            Ok((hello.from, hello.plane))
        })
        .await
    }

    /// The MAC `side` sends for this handshake; `None` without a secret.
    fn proof(&self, side: Side, hello: &Hello, acceptor_nonce: &[u8; 16]) -> Mac256 {
        let Some(secret) = &self.secret else {
            return Mac256(None);
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&secret.0).expect("HMAC takes any key");
        let label: &[u8] = match side {
            Side::Acceptor => b"zab-peer-acceptor",
            Side::Connector => b"zab-peer-connector",
        };
        mac.update(label);
        mac.update(&VERSION.to_be_bytes());
        mac.update(&hello.from.to_be_bytes());
        mac.update(&hello.to.to_be_bytes());
        mac.update(&[hello.plane as u8]);
        mac.update(&hello.nonce);
        mac.update(acceptor_nonce);
        Mac256(Some(mac))
    }
}

/// A proof to send or to check; without a secret it is empty and any proof passes.
struct Mac256(Option<Hmac<Sha256>>);

impl Mac256 {
    fn bytes(self) -> Vec<u8> {
        self.0
            .map(|m| m.finalize().into_bytes().to_vec())
            .unwrap_or_default()
    }

    /// Checks `proof` in constant time.
    fn verify(self, proof: &[u8]) -> bool {
        match self.0 {
            Some(m) => m.verify_slice(proof).is_ok(),
            None => true,
        }
    }
}

fn nonce() -> Result<[u8; 16], AuthError> {
    let mut n = [0u8; 16];
    getrandom::fill(&mut n).map_err(|e| AuthError::Io(std::io::Error::other(e.to_string())))?;
    Ok(n)
}

async fn timed<T>(
    f: impl std::future::Future<Output = Result<T, AuthError>>,
) -> Result<T, AuthError> {
    tokio::time::timeout(HANDSHAKE_TIMEOUT, f)
        .await
        .map_err(|_| AuthError::Timeout)?
}

async fn write_message<S: AsyncWrite + Unpin, M: Serialize>(
    s: &mut S,
    m: &M,
) -> Result<(), AuthError> {
    let body = crate::encoding::encode(m).map_err(|_| AuthError::Malformed)?;
    s.write_all(&crate::wire::frame::frame(&body)).await?;
    Ok(())
}

async fn read_message<S: AsyncRead + Unpin, M: for<'de> Deserialize<'de>>(
    s: &mut S,
) -> Result<M, AuthError> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_MESSAGE {
        return Err(AuthError::Malformed);
    }
    let mut body = vec![0; len];
    s.read_exact(&mut body).await?;
    crate::encoding::decode(&body).map_err(|_| AuthError::Malformed)
}

#[cfg(test)]
mod tests;
