//! Messages, and the links they travel on: two planes (election and quorum), as ZooKeeper
//! runs Fast Leader Election and Zab over separate TCP connections (`net.rs` holds what is
//! in flight).

use crate::types::{sid_name, Hist, Role, Sid, Txn, Zxid};
use std::fmt;

/// A Fast Leader Election vote: the proposed leader and that leader's last zxid and epoch.
/// `leader == None` is an observer's empty initial vote (ZooKeeper proposes `Long.MIN_VALUE`),
/// which every real vote beats.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Vote {
    pub leader: Option<Sid>,
    pub zxid: Zxid,
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
    pub state: Role,
    /// The sender's logical clock (`electionEpoch`).
    pub round: u8,
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
        accepted_epoch: u8,
    },
    /// LEADERINFO: the epoch the leader proposes.
    LeaderInfo {
        epoch: u8,
    },
    /// ACKEPOCH: the learner's currentEpoch (`None` = -1: it had already accepted this epoch)
    /// and its last zxid.
    AckEpoch {
        current_epoch: Option<u8>,
        last: Zxid,
    },
    Diff {
        zxid: Zxid,
    },
    Trunc {
        zxid: Zxid,
    },
    /// SNAP: the leader's committed history up to `zxid` is the snapshot.
    Snap {
        zxid: Zxid,
        snapshot: Hist,
    },
    Proposal {
        txn: Txn,
    },
    Commit {
        zxid: Zxid,
    },
    NewLeader {
        epoch: u8,
    },
    /// ACK of a proposal, or of NEWLEADER when the counter is 0.
    Ack {
        zxid: Zxid,
    },
    UpToDate,
    /// INFORM: a committed transaction for an observer.
    Inform {
        txn: Txn,
    },
    /// REQUEST: a client write forwarded by a learner to the leader.
    Request {
        value: u8,
    },
}

impl Msg {
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
        }
    }
}

/// What travels on a link: a notification on the election plane or a packet on the quorum
/// plane.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Packet {
    Election(Notification),
    Quorum(Msg),
}

impl Packet {
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
    Election,
    Quorum,
}

/// A directed link on one plane.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    pub from: Sid,
    pub to: Sid,
    pub plane: Plane,
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}→{}", sid_name(self.from), sid_name(self.to))
    }
}
