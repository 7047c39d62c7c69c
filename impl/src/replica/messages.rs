//! What replicas say to each other: Fast Leader Election notifications on the election plane,
//! Zab packets on the quorum plane. The names follow ZooKeeper's (`Leader.java` packet types)
//! and the model's (`zab-model`'s `Msg`), one for one.

use crate::txn::TxnEntry;
use crate::zxid::Zxid;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A server's id (`myid`).
pub type ServerId = u64;

/// The highest epoch a replica ever takes. A leader proposes an epoch above every
/// acceptedEpoch of a quorum, so an epoch of `u32::MAX` could never be followed: a
/// FOLLOWERINFO, LEADERINFO or NEWLEADER that would take a replica past this is refused,
/// never wrapped (a peer's values are checked, not trusted).
pub const MAX_EPOCH: u32 = u32::MAX - 1;

/// `QuorumPeer.ServerState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ServerState {
    /// LOOKING: electing a leader.
    Looking,
    /// FOLLOWING: a voter that learns from a leader.
    Following,
    /// LEADING: the elected leader (from discovery on, established or not).
    Leading,
    /// OBSERVING: a non-voter that learns from a leader.
    Observing,
}

/// A Fast Leader Election vote: the proposed leader (`None`: an observer's empty vote, which
/// every real vote beats), its last zxid and its epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Vote {
    /// The proposed leader's id (`None`: an observer's empty vote).
    pub leader: Option<ServerId>,
    /// The proposed leader's last zxid (`lastProcessedZxid`).
    pub zxid: Zxid,
    /// The proposed leader's currentEpoch (`peerEpoch`).
    pub epoch: u32,
}

/// A Fast Leader Election notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Notification {
    /// The sender's state: LOOKING, or the role it decided on.
    pub state: ServerState,
    /// The sender's logical clock (`electionEpoch`).
    pub round: u64,
    /// The sender's current vote.
    pub vote: Vote,
}

/// Zab 1.0's quorum packets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Packet {
    /// FOLLOWERINFO / OBSERVERINFO: the learner's acceptedEpoch.
    FollowerInfo {
        /// The learner's acceptedEpoch.
        accepted_epoch: u32,
    },
    /// LEADERINFO: the epoch the leader proposes.
    LeaderInfo {
        /// The new epoch: above every acceptedEpoch of a quorum.
        epoch: u32,
    },
    /// ACKEPOCH: currentEpoch (`None` = −1, the epoch was already accepted) and last zxid.
    AckEpoch {
        /// The learner's currentEpoch before it accepted the new one (`None`: it had
        /// accepted it already, so the ACKEPOCH does not count towards the epoch quorum).
        current_epoch: Option<u32>,
        /// The learner's last zxid (`lastProcessedZxid`), which the leader syncs from.
        last_zxid: Zxid,
    },
    /// DIFF: the leader's last committed zxid; proposals follow.
    Diff {
        /// The leader's last committed zxid.
        zxid: Zxid,
    },
    /// TRUNC: cut the log after this zxid.
    Trunc {
        /// The last zxid the learner keeps: the last one its history shares with the
        /// leader's.
        zxid: Zxid,
    },
    /// SNAP: the leader's state at `zxid`, serialized.
    Snap {
        /// The last zxid the snapshot covers.
        zxid: Zxid,
        /// The leader's committed state: a copy, serialized where it is sent (a server's
        /// peer link streams it in chunks; the learner's link restores it as it arrives).
        snapshot: super::SnapshotData,
    },
    /// PROPOSAL: a transaction of the leader's history. In synchronization, to a learner after
    /// the DIFF, TRUNC or SNAP (committed ones each followed by COMMIT, outstanding ones to
    /// followers only); in broadcast, a new write to the followers, which log it and ACK it.
    Proposal(TxnEntry),
    /// COMMIT: leader to learner, the proposal at `zxid` is committed: history sent during
    /// synchronization, or, in broadcast, a proposal a quorum ACKed (to followers only;
    /// observers get INFORM).
    Commit {
        /// The committed proposal's zxid; commits come in zxid order.
        zxid: Zxid,
    },
    /// NEWLEADER: the new epoch (zxid epoch.0).
    NewLeader {
        /// The leader's epoch, now the learner's currentEpoch.
        epoch: u32,
    },
    /// ACK of a proposal, or of NEWLEADER when the counter is 0.
    Ack {
        /// The zxid acknowledged: a logged proposal's, or epoch.0 for NEWLEADER.
        zxid: Zxid,
    },
    /// UPTODATE: leader to learner, once a quorum ACKed NEWLEADER: synchronization is over,
    /// serve clients and take part in broadcast.
    UpToDate,
    /// INFORM: a committed transaction for an observer.
    Inform(TxnEntry),
    /// REQUEST: a client write forwarded by a learner (an opaque, already prepared body is not
    /// possible: the leader prepares it against its own state).
    Request(ForwardedRequest),
    /// PING: liveness within syncLimit, both ways.
    Ping,
    /// READINDEX: a learner asks its leader for the read index of its client's linearizable
    /// read (`zab.reads=linearizable`; not a ZooKeeper packet, `specs/reads.md`).
    ReadIndex {
        /// The learner's number for the read; the reply carries it back.
        token: u64,
    },
    /// CONFIRM: the leader asks a follower whether it still follows it (a read-index round).
    Confirm {
        /// The leader's round number.
        round: u64,
    },
    /// CONFIRMACK: the follower still follows the leader that sent CONFIRM.
    ConfirmAck {
        /// The round it answers.
        round: u64,
    },
    /// READINDEXREPLY: a quorum confirmed the leader; the read waits until the learner has
    /// applied `zxid`.
    ReadIndexReply {
        /// The READINDEX's token.
        token: u64,
        /// The leader's last committed zxid when the confirming round began.
        zxid: Zxid,
    },
}

/// A client write forwarded to the leader: who asked, and the request in the form the
/// leader's state machine prepares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardedRequest {
    /// The server the client is connected to (it gets the reply once the write commits).
    pub origin: ServerId,
    /// The client's session.
    pub session_id: i64,
    /// The client's request id within its session (ZooKeeper's `cxid`).
    pub cxid: i32,
    /// The request, encoded by the state machine.
    pub body: Arc<Vec<u8>>,
}

/// Which of a server's two connections to a peer a message travels on; zabd gives each its
/// own port (`server.N=host:quorumPort:electionPort`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Plane {
    /// The election port (`electionPort` of `server.N`): Fast Leader Election notifications.
    Election,
    /// The quorum port (`quorumPort` of `server.N`): Zab packets between a learner and its
    /// leader, and the server's own touches and `sync` markers.
    Quorum,
}

/// A message between two replicas.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeerMsg {
    /// A Fast Leader Election notification, on the election plane.
    Election(Notification),
    /// A Zab packet, on the quorum plane (a learner and its leader).
    Quorum(Packet),
}

impl PeerMsg {
    /// The plane the message travels on.
    pub fn plane(&self) -> Plane {
        match self {
            PeerMsg::Election(_) => Plane::Election,
            PeerMsg::Quorum(_) => Plane::Quorum,
        }
    }
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
            Packet::ReadIndex { .. } => "READINDEX",
            Packet::Confirm { .. } => "CONFIRM",
            Packet::ConfirmAck { .. } => "CONFIRMACK",
            Packet::ReadIndexReply { .. } => "READINDEXREPLY",
        }
    }
}
