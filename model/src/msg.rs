//! Messages, and the links they travel on: two planes (election and quorum), as ZooKeeper
//! runs Fast Leader Election and Zab over separate TCP connections (`net.rs` holds what is
//! in flight).

use crate::types::{sid_name, Hist, ServerState, Sid, Txn, Zxid};
use std::fmt;

/// A Fast Leader Election vote: the proposed leader and that leader's last zxid and epoch.
/// `leader == None` is an observer's empty initial vote (ZooKeeper proposes `Long.MIN_VALUE`),
/// which every real vote beats.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Vote {
    /// The proposed leader; `None` only in an observer's initial vote.
    pub leader: Option<Sid>,
    /// The proposed leader's last zxid (its `lastProcessedZxid` when it proposed itself).
    pub zxid: Zxid,
    /// The proposed leader's epoch (`currentEpoch`; after sync, the epoch it leads).
    pub epoch: u8,
}

impl fmt::Debug for Vote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.leader {
            Some(l) => write!(f, "{}@({},{:?})", sid_name(l), self.epoch, self.zxid),
            None => write!(f, "none"),
        }
    }
}

/// A Fast Leader Election notification.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Notification {
    /// The sender's state when it sent this.
    pub state: ServerState,
    /// The sender's logical clock (`electionEpoch`).
    pub round: u8,
    /// The vote the sender currently proposes (or, once decided, the leader it follows or is).
    pub vote: Vote,
}

impl fmt::Debug for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "NOTIFICATION({} r{} {:?})",
            &self.state.name()[..4],
            self.round,
            self.vote
        )
    }
}

/// The quorum packets of Zab 1.0 as ZooKeeper sends them (`Leader.java` packet types).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Msg {
    /// FOLLOWERINFO / OBSERVERINFO: the learner's acceptedEpoch.
    FollowerInfo {
        /// The learner's durable acceptedEpoch; the leader proposes at least one more than it.
        accepted_epoch: u8,
    },
    /// LEADERINFO: the epoch the leader proposes.
    LeaderInfo {
        /// The epoch the leader proposes; the learner writes it as acceptedEpoch before acking.
        epoch: u8,
    },
    /// ACKEPOCH: the learner's currentEpoch (`None` = -1: it had already accepted this epoch)
    /// and its last zxid.
    AckEpoch {
        /// The learner's currentEpoch, or `None` (-1) when it had already accepted this epoch.
        current_epoch: Option<u8>,
        /// The learner's last processed zxid, which the leader uses to choose DIFF, TRUNC or SNAP.
        last: Zxid,
    },
    /// DIFF: the learner's history up to the zxid it reported is committed; the missing entries
    /// follow as PROPOSAL + COMMIT.
    Diff {
        /// The leader's last committed zxid (the learner does not use it).
        zxid: Zxid,
    },
    /// TRUNC: the learner must cut its durable log after `zxid` and reload its database from it.
    Trunc {
        /// The last zxid the learner keeps; it must be in the learner's log.
        zxid: Zxid,
    },
    /// SNAP: the leader's committed history up to `zxid` is the snapshot.
    Snap {
        /// The leader's last processed zxid, which becomes the learner's.
        zxid: Zxid,
        /// The transactions the snapshot holds; the learner's in-memory database becomes this.
        snapshot: Hist,
    },
    /// PROPOSAL: a transaction the leader asks its followers to log and ACK.
    Proposal {
        /// The proposed transaction, with its zxid.
        txn: Txn,
    },
    /// COMMIT: the proposal with this zxid was acked by a quorum; the follower applies it.
    Commit {
        /// Zxid of the committed proposal, which must be the follower's next pending one.
        zxid: Zxid,
    },
    /// NEWLEADER: sync is over; the learner logs what it got, writes currentEpoch and ACKs.
    NewLeader {
        /// The leader's new epoch, which the learner writes as its currentEpoch.
        epoch: u8,
    },
    /// ACK of a proposal, or of NEWLEADER when the counter is 0.
    Ack {
        /// The acked proposal's zxid; `e.0` acks NEWLEADER of epoch `e`.
        zxid: Zxid,
    },
    /// UPTODATE: the leader is established; the learner starts serving.
    UpToDate,
    /// INFORM: a committed transaction for an observer.
    Inform {
        /// The committed transaction; the observer logs and applies it.
        txn: Txn,
    },
    /// REQUEST: a client write forwarded by a learner to the leader.
    Request {
        /// Number of the client request, kept when the leader turns it into a transaction.
        value: u8,
    },
    /// READINDEX: a learner asks its leader for the read index of a linearizable read
    /// (zabd's `zab.reads=linearizable`; ZooKeeper has no such packet).
    ReadIndex,
    /// CONFIRM: the leader asks a follower whether it still follows it (a read-index round).
    Confirm {
        /// The leader's round number.
        round: u8,
    },
    /// CONFIRMACK: the follower still follows the leader that sent CONFIRM.
    ConfirmAck {
        /// The round it answers.
        round: u8,
    },
    /// READINDEXREPLY: a quorum confirmed the leader; the learner's read waits until it has
    /// applied `zxid`.
    ReadIndexReply {
        /// The leader's last committed zxid when the confirming round began.
        zxid: Zxid,
    },
}

impl Msg {
    /// The packet type's name as in `Leader.java` (`ACK(NEWLEADER)` for an ACK of `e.0`).
    pub fn kind(&self) -> &'static str {
        match self {
            Msg::FollowerInfo { .. } => "FOLLOWERINFO",
            Msg::LeaderInfo { .. } => "LEADERINFO",
            Msg::AckEpoch { .. } => "ACKEPOCH",
            Msg::Diff { .. } => "DIFF",
            Msg::Trunc { .. } => "TRUNC",
            Msg::Snap { .. } => "SNAP",
            Msg::Proposal { .. } => "PROPOSAL",
            Msg::Commit { .. } => "COMMIT",
            Msg::NewLeader { .. } => "NEWLEADER",
            Msg::Ack { zxid } if zxid.counter == 0 => "ACK(NEWLEADER)",
            Msg::Ack { .. } => "ACK",
            Msg::UpToDate => "UPTODATE",
            Msg::Inform { .. } => "INFORM",
            Msg::Request { .. } => "REQUEST",
            Msg::ReadIndex => "READINDEX",
            Msg::Confirm { .. } => "CONFIRM",
            Msg::ConfirmAck { .. } => "CONFIRMACK",
            Msg::ReadIndexReply { .. } => "READINDEXREPLY",
        }
    }
}

impl fmt::Debug for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::FollowerInfo { accepted_epoch } => write!(f, "FOLLOWERINFO(acc={accepted_epoch})"),
            Msg::LeaderInfo { epoch } => write!(f, "LEADERINFO(e={epoch})"),
            Msg::AckEpoch {
                current_epoch,
                last,
            } => match current_epoch {
                Some(e) => write!(f, "ACKEPOCH(cur={e} last={last:?})"),
                None => write!(f, "ACKEPOCH(cur=-1 last={last:?})"),
            },
            Msg::Diff { zxid } => write!(f, "DIFF({zxid:?})"),
            Msg::Trunc { zxid } => write!(f, "TRUNC({zxid:?})"),
            Msg::Snap { zxid, snapshot } => write!(f, "SNAP({zxid:?} {snapshot:?})"),
            Msg::Proposal { txn } => write!(f, "PROPOSAL({txn:?})"),
            Msg::Commit { zxid } => write!(f, "COMMIT({zxid:?})"),
            Msg::NewLeader { epoch } => write!(f, "NEWLEADER(e={epoch})"),
            Msg::Ack { zxid } if zxid.counter == 0 => write!(f, "ACK(NEWLEADER e={})", zxid.epoch),
            Msg::Ack { zxid } => write!(f, "ACK({zxid:?})"),
            Msg::UpToDate => write!(f, "UPTODATE"),
            Msg::Inform { txn } => write!(f, "INFORM({txn:?})"),
            Msg::Request { value } => write!(f, "REQUEST(v{value})"),
            Msg::ReadIndex => write!(f, "READINDEX"),
            Msg::Confirm { round } => write!(f, "CONFIRM(r{round})"),
            Msg::ConfirmAck { round } => write!(f, "CONFIRMACK(r{round})"),
            Msg::ReadIndexReply { zxid } => write!(f, "READINDEXREPLY({zxid:?})"),
        }
    }
}

/// What travels on a link: a notification on the election plane or a packet on the quorum
/// plane.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Packet {
    /// A Fast Leader Election notification.
    Election(Notification),
    /// A Zab packet on the learner's connection to its leader.
    Quorum(Msg),
}

impl Packet {
    /// The plane this packet travels on.
    pub fn plane(&self) -> Plane {
        match self {
            Packet::Election(_) => Plane::Election,
            Packet::Quorum(_) => Plane::Quorum,
        }
    }
}

impl fmt::Debug for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Packet::Election(n) => write!(f, "{n:?}"),
            Packet::Quorum(m) => write!(f, "{m:?}"),
        }
    }
}

/// The two connection planes between a pair of servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Plane {
    /// Fast Leader Election's connections (`QuorumCnxManager`): a newer notification replaces
    /// the one waiting to be sent.
    Election,
    /// The learner's TCP connection to its leader: FIFO, broken as a whole by a loss.
    Quorum,
}

/// A directed link on one plane.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    /// The sending server.
    pub from: Sid,
    /// The receiving server.
    pub to: Sid,
    /// Which connection the link belongs to.
    pub plane: Plane,
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}→{}", sid_name(self.from), sid_name(self.to))
    }
}
