//! Links between servers. Each server listens on two ports, the election port (Fast Leader
//! Election notifications) and the quorum port (Zab packets); each writes to a peer over one
//! outbound connection per port, fed by a bounded FIFO queue (a queue per follower, as
//! `specs/broadcast.md` has it: FIFO per link), and reads what the peer writes on the peer's own outbound connection.
//!
//! Zab needs more than FIFO: once a quorum connection breaks, nothing the replica sent
//! before it heard of the break may arrive on a later connection (a PROPOSAL of an old
//! relationship would reach a learner that has not synced again). So a broken quorum link
//! reports the break, drops everything queued until the core answers with `Reset` (sent
//! after the replica has been told), and only then connects again.

mod inbound;
mod outbound;
pub mod peer_auth;
pub mod snap_stream;

pub(super) use inbound::inbound;
pub use outbound::{Link, Target};
pub use peer_auth::{PeerAuth, QuorumSecret};
pub use snap_stream::{Restorer, SnapPace, SnapSend, SNAP_CHUNK};

use super::core::{Event, EventTx};
use super::trace::MsgId;
pub use crate::replica::Plane;
use crate::replica::{PeerMsg, ServerId};
use crate::zxid::Zxid;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};

/// What travels on a link: the replica's messages, and the session touches a learner sends
/// its leader (`LearnerSessionTracker` → `Leader` in ZooKeeper's PINGs), which are the
/// server's business, not the protocol core's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Envelope {
    /// A message of the replica: an election notification or a Zab packet, with its
    /// identity (`trace::MsgId`), which the receiver records with the step that reads it.
    Replica(PeerMsg, MsgId),
    /// Sessions with activity on the sender since its last touch.
    Touch(Vec<i64>),
    /// A learner's `sync` marker: answer with `SyncReply` once everything committed at the leader
    /// up to now is sent (the leader's zxid travels back, the learner waits to apply it).
    SyncRequest {
        /// The learner's handle on the waiting `sync`, echoed in the reply.
        token: u64,
    },
    /// A client resumed this session on the sender: the leader takes the sender as the
    /// session's owner, and a write of the session from any other server fails with
    /// `SessionMoved` (ZooKeeper's REVALIDATE and `setOwner`).
    SetOwner {
        /// The resumed session.
        session: i64,
    },
    /// The leader's answer to a `SyncRequest`.
    SyncReply {
        /// The request's token.
        token: u64,
        /// The last zxid the leader had proposed (logged) when the request arrived; the
        /// learner answers the `sync` once it has applied it.
        zxid: Zxid,
    },
    /// A SNAP packet of the replica, streamed (`snap_stream.rs`): its zxid and identity;
    /// the snapshot's bytes follow in raw frames, up to an empty one.
    SnapBegin {
        /// The last zxid the snapshot covers.
        zxid: Zxid,
        /// The packet's identity, as `Replica`'s.
        id: MsgId,
    },
}

/// Frames on the quorum plane carry whole snapshots (SNAP), so their bound is generous;
/// election frames are tiny.
pub fn max_frame(plane: Plane) -> usize {
    match plane {
        Plane::Election => 64 * 1024,
        Plane::Quorum => 1 << 30,
    }
}

/// How long a peer connection may be idle before TCP probes the peer, how often it probes,
/// and how many probes go unanswered before the connection fails: a peer that vanished
/// without a FIN (its host down, a partition) ends its connections within about 50 s
/// instead of leaving them open, unread, for ever. ZooKeeper's `tcpKeepAlive` (off by
/// default) keeps the system's two hours.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(5);
const KEEPALIVE_PROBES: u32 = 4;

/// Turns TCP keepalive on for a peer connection (a failure is logged: the connection works,
/// only a vanished peer goes unnoticed longer).
pub(super) fn keepalive(stream: &tokio::net::TcpStream) {
    let probes = socket2::TcpKeepalive::new()
        .with_time(KEEPALIVE_IDLE)
        .with_interval(KEEPALIVE_INTERVAL)
        .with_retries(KEEPALIVE_PROBES);
    if let Err(e) = socket2::SockRef::from(stream).set_tcp_keepalive(&probes) {
        tracing::warn!("cannot turn TCP keepalive on for a peer connection: {e}");
    }
}

/// A command for an outbound link task.
#[derive(Debug)]
pub enum LinkCmd {
    /// Write these bytes: one or more framed envelopes, back to back.
    Send(Vec<u8>),
    /// Stream a SNAP, serializing its state on the way.
    Snap(Box<SnapSend>),
    /// Close the connection now (the replica gave up on the peer); the next send opens a new
    /// one.
    Close,
    /// The core has told the replica about a break: messages after this one are new.
    Reset,
}

/// What a link reports to the core.
#[derive(Debug)]
pub enum LinkEvent {
    /// An envelope arrived on an inbound connection.
    Message {
        /// The peer that sent it (as its hello said).
        from: ServerId,
        /// The port it came on.
        plane: Plane,
        /// The connection's number among those its port accepted (`Opened`'s, on the
        /// quorum port).
        generation: u64,
        /// What it carried.
        envelope: Envelope,
    },
    /// An inbound connection from `peer` opened (`generation` tells it from later ones).
    Opened {
        /// The peer that connected.
        peer: ServerId,
        /// The connection's number among those the quorum port accepted, from 1.
        generation: u64,
    },
    /// An inbound quorum connection ended; the replica hears of a disconnect only if it is
    /// the peer's latest connection.
    Closed {
        /// The peer whose connection ended.
        peer: ServerId,
        /// The `generation` its `Opened` carried.
        generation: u64,
    },
    /// A chunk of a SNAP from `from` arrived on an inbound quorum connection: the packet is
    /// still coming.
    Streaming {
        /// The peer sending it.
        from: ServerId,
        /// The connection's `generation`.
        generation: u64,
    },
    /// Our outbound quorum link to `peer` broke; it drops messages until `Reset`.
    Broken {
        /// The peer the link went to.
        peer: ServerId,
    },
}

/// Commands each outbound link's queue holds. A full quorum queue is a peer that cannot keep
/// up: the core replaces the link and tells the replica of a disconnect; a full election queue
/// drops the notification.
pub const QUEUE: usize = 4096;

/// An envelope framed as the client protocol frames packets (4-byte length, then bytes).
pub fn encode(envelope: &Envelope) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(&mut out, envelope);
    out
}

/// Appends an envelope, framed, to `out`, serializing it in place.
pub fn encode_into(out: &mut Vec<u8>, envelope: &Envelope) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    if crate::encoding::encode_into(envelope, out).is_err() {
        // Cannot happen for zab's messages; drop the frame rather than send a bad one.
        out.truncate(start);
        return;
    }
    let len = (out.len() - start - 4) as u32;
    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
}

async fn read_frame<R: AsyncRead + Unpin>(stream: &mut R, max: usize) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("peer frame of {len} bytes is over {max}"),
        ));
    }
    let mut body = vec![0; len];
    stream.read_exact(&mut body).await?;
    Ok(body)
}

/// A peer connection, plain or TLS (`sslQuorum`).
pub type PeerStream = Box<dyn PeerIo>;

/// What a peer connection is read and written through.
pub trait PeerIo: AsyncRead + AsyncWrite + Unpin + Send {}
impl<S: AsyncRead + AsyncWrite + Unpin + Send> PeerIo for S {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replica::{Notification, Packet, ServerState, Vote};
    use proptest::prelude::*;

    /// One envelope of each kind, the largest with a snapshot's bytes inside.
    fn envelopes() -> Vec<Envelope> {
        let vote = Vote {
            leader: Some(3),
            zxid: Zxid::new(2, 7),
            epoch: 2,
        };
        let note = Notification {
            state: ServerState::Looking,
            round: 4,
            vote,
        };
        let snap = Packet::Snap {
            zxid: Zxid::new(2, 7),
            snapshot: crate::replica::SnapshotData::from_bytes(vec![9; 40]),
        };
        vec![
            Envelope::Replica(PeerMsg::Election(note), MsgId { life: 1, seq: 1 }),
            Envelope::Replica(PeerMsg::Quorum(snap), MsgId { life: 1, seq: 2 }),
            Envelope::Touch(vec![1, -1, i64::MAX]),
            Envelope::SyncRequest { token: 5 },
            Envelope::SetOwner { session: -3 },
            Envelope::SyncReply {
                token: 5,
                zxid: Zxid::new(1, 1),
            },
        ]
    }

    proptest! {
        /// Whatever bytes a peer sends as a frame, decoding them as an envelope returns a
        /// value or an error; it never panics (`peer_auth`'s tests feed its handshake).
        #[test]
        fn any_bytes_decode_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = crate::encoding::decode::<Envelope>(&bytes);
        }

        /// A valid envelope with one byte changed, or cut short, decodes to some envelope or
        /// is refused; untouched, it decodes to itself.
        #[test]
        fn damaged_envelopes_decode_or_are_refused(
            which in 0usize..6,
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
            cut in any::<bool>(),
        ) {
            let envelope = envelopes().swap_remove(which);
            let mut bytes = crate::encoding::encode(&envelope).unwrap();
            prop_assert_eq!(&crate::encoding::decode::<Envelope>(&bytes).unwrap(), &envelope);
            let i = at.index(bytes.len());
            if cut {
                bytes.truncate(i);
                prop_assert!(crate::encoding::decode::<Envelope>(&bytes).is_err());
            } else {
                bytes[i] = byte;
                let _ = crate::encoding::decode::<Envelope>(&bytes);
            }
        }
    }

    /// A peer connection probes a silent peer after 30 s, every 5 s, and fails after 4
    /// unanswered probes (the system's default would wait two hours).
    #[test]
    fn peer_connections_probe_a_silent_peer() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let sock = socket2::SockRef::from(&stream);
            assert!(!sock.keepalive().unwrap());
            keepalive(&stream);
            assert!(sock.keepalive().unwrap());
            assert_eq!(sock.tcp_keepalive_time().unwrap(), KEEPALIVE_IDLE);
            assert_eq!(sock.tcp_keepalive_interval().unwrap(), KEEPALIVE_INTERVAL);
            assert_eq!(sock.tcp_keepalive_retries().unwrap(), KEEPALIVE_PROBES);
        });
    }
}
