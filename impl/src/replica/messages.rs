//! What replicas say to each other: Fast Leader Election notifications on the election plane,
//! Zab packets on the quorum plane. The names follow ZooKeeper's (`Leader.java` packet types)
//! and the model's (`zab-model`'s `Msg`), one for one.

use crate::txn::TxnEntry;
use crate::zxid::Zxid;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A server's id (`myid`).
pub type ServerId = u64;

/// `QuorumPeer.ServerState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ServerState {
    Looking,
    Following,
    Leading,
    Observing,
}

/// A Fast Leader Election vote: the proposed leader (`None`: an observer's empty vote, which
/// every real vote beats), its last zxid and its epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Vote {
    pub leader: Option<ServerId>,
    pub zxid: Zxid,
    pub epoch: u32,
}

/// A Fast Leader Election notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Notification {
    pub state: ServerState,
    /// The sender's logical clock (`electionEpoch`).
    pub round: u64,
    pub vote: Vote,
}

/// Zab 1.0's quorum packets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Packet {
    /// FOLLOWERINFO / OBSERVERINFO: the learner's acceptedEpoch.
    FollowerInfo {
        accepted_epoch: u32,
    },
    /// LEADERINFO: the epoch the leader proposes.
    LeaderInfo {
        epoch: u32,
    },
    /// ACKEPOCH: currentEpoch (`None` = −1, the epoch was already accepted) and last zxid.
    AckEpoch {
        current_epoch: Option<u32>,
        last_zxid: Zxid,
    },
    /// DIFF: the leader's last committed zxid; proposals follow.
    Diff {
        zxid: Zxid,
    },
    /// TRUNC: cut the log after this zxid.
    Trunc {
        zxid: Zxid,
    },
    /// SNAP: the leader's state at `zxid`, serialized.
    Snap {
        zxid: Zxid,
        snapshot: Arc<Vec<u8>>,
    },
    Proposal(TxnEntry),
    Commit {
        zxid: Zxid,
    },
    /// NEWLEADER: the new epoch (zxid epoch.0).
    NewLeader {
        epoch: u32,
    },
    /// ACK of a proposal, or of NEWLEADER when the counter is 0.
    Ack {
        zxid: Zxid,
    },
    UpToDate,
    /// INFORM: a committed transaction for an observer.
    Inform(TxnEntry),
    /// REQUEST: a client write forwarded by a learner (an opaque, already prepared body is not
    /// possible: the leader prepares it against its own state).
    Request(ForwardedRequest),
    /// PING: liveness within syncLimit, both ways.
    Ping,
}

/// A client write forwarded to the leader: who asked, and the request in the form the
/// leader's state machine prepares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardedRequest {
    /// The server the client is connected to (it gets the reply once the write commits).
    pub origin: ServerId,
    pub session_id: i64,
    pub cxid: i32,
    /// The request, encoded by the state machine.
    pub body: Arc<Vec<u8>>,
}

/// A message between two replicas.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeerMsg {
    Election(Notification),
    Quorum(Packet),
}

impl Packet {
    /// The packet's kind, for logs and traces.
    pub fn kind(&self) -> &'static str {
        match self {
            Packet::FollowerInfo { .. } => "FOLLOWERINFO",
            Packet::LeaderInfo { .. } => "LEADERINFO",
            Packet::AckEpoch { .. } => "ACKEPOCH",
            Packet::Diff { .. } => "DIFF",
            Packet::Trunc { .. } => "TRUNC",
            Packet::Snap { .. } => "SNAP",
            Packet::Proposal(_) => "PROPOSAL",
            Packet::Commit { .. } => "COMMIT",
            Packet::NewLeader { .. } => "NEWLEADER",
            Packet::Ack { zxid } if zxid.counter() == 0 => "ACK(NEWLEADER)",
            Packet::Ack { .. } => "ACK",
            Packet::UpToDate => "UPTODATE",
            Packet::Inform(_) => "INFORM",
            Packet::Request(_) => "REQUEST",
            Packet::Ping => "PING",
        }
    }
}
