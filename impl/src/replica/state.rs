//! The replica's variables, grouped as the model groups them (`zab-model`'s `state.rs`): the
//! election's, a leader's (`Leader` + its `LearnerHandler`s), a learner's.

use super::messages::{ServerId, ServerState, Vote};
use crate::txn::TxnEntry;
use crate::zxid::Zxid;
use std::collections::{BTreeMap, BTreeSet};

/// Zab phase (`ZabState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// LOOKING: Fast Leader Election runs.
    Election,
    /// The leader proposes a new epoch: FOLLOWERINFO, LEADERINFO, ACKEPOCH.
    Discovery,
    /// The leader brings its learners to its history: DIFF, TRUNC or SNAP, then NEWLEADER
    /// and its ACKs, until UPTODATE.
    Synchronization,
    /// The established leader proposes and commits writes (PROPOSAL, ACK, COMMIT, INFORM).
    Broadcast,
}

/// A vote as recorded in a vote box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ballot {
    /// The vote the sender proposes.
    pub vote: Vote,
    /// The sender's round (logical clock) when LOOKING, else the round it decided in.
    pub round: u64,
    /// The sender's state: LOOKING, or FOLLOWING/LEADING once it decided.
    pub state: ServerState,
}

/// Fast Leader Election (`FastLeaderElection.lookForLeader`).
#[derive(Clone, Debug, Default)]
pub struct Fle {
    /// `logicalclock`.
    pub round: u64,
    /// The current vote: our own until a better one is adopted, then the decided one after
    /// the election (`None` only before the first election starts).
    pub vote: Option<Vote>,
    /// The round in which the current vote was decided.
    pub vote_round: u64,
    /// `recvset`: the vote box of this round, the latest ballot of each voter (our own
    /// included).
    pub recv: BTreeMap<ServerId, Ballot>,
    /// `outofelection`: ballots of servers already FOLLOWING or LEADING, in any round.
    pub ooe: BTreeMap<ServerId, Ballot>,
    /// In the finalizeWait drain since this tick (`None`: not draining).
    pub draining_since: Option<u64>,
    /// Ticks of silence after which the vote is sent again (doubles up to a maximum).
    pub not_timeout: u64,
    /// The tick when something was last received.
    pub last_heard: u64,
}

/// How far a learner's handler got (`LearnerHandler.run`), as in the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handler {
    /// Connected, its FOLLOWERINFO not read yet. The model's first stage; the replica
    /// creates a handler only when FOLLOWERINFO arrives, so it never records this one.
    Connected,
    /// FOLLOWERINFO read; waits for a quorum to fix the epoch before sending LEADERINFO.
    AwaitEpoch,
    /// LEADERINFO sent; waits for the learner's ACKEPOCH.
    AwaitAckEpoch,
    /// ACKEPOCH read; waits to run `syncFollower` (DIFF, TRUNC or SNAP).
    AwaitSync,
    /// Sync packets and NEWLEADER sent; waits for the learner's ACK of NEWLEADER.
    AwaitNewLeaderAck,
    /// NEWLEADER ACKed; waits for a quorum of such ACKs to send UPTODATE.
    AwaitQuorum,
    /// UPTODATE sent: the learner is in broadcast.
    Broadcast,
}

impl Handler {
    /// Whether the leader forwards new proposals, COMMITs and INFORMs to this learner: from
    /// `syncFollower` on (`startForwarding`), so that nothing falls between the sync and
    /// broadcast.
    pub fn is_forwarding(self) -> bool {
        matches!(
            self,
            Handler::AwaitNewLeaderAck | Handler::AwaitQuorum | Handler::Broadcast
        )
    }
}

/// A learner as its leader sees it.
#[derive(Clone, Debug)]
pub struct LearnerInfo {
    /// How far its `LearnerHandler` got.
    pub stage: Handler,
    /// The last zxid it reported in ACKEPOCH.
    pub peer_last: Zxid,
    /// The last tick it was heard from (syncLimit).
    pub last_heard: u64,
}

/// A leader's bookkeeping.
#[derive(Clone, Debug, Default)]
pub struct LeaderState {
    /// The epoch it will propose.
    pub epoch: u32,
    /// A quorum sent FOLLOWERINFO: `epoch` is final and written as acceptedEpoch, and
    /// LEADERINFO goes out (`waitingForNewEpoch` over).
    pub epoch_fixed: bool,
    /// `connectingFollowers`: the voters whose FOLLOWERINFO was read, the leader included.
    pub connecting: BTreeSet<ServerId>,
    /// `electingFollowers`: the voters whose counted ACKEPOCH was read, the leader included.
    pub electing: BTreeSet<ServerId>,
    /// A quorum ACKed the epoch: discovery is over and `epoch` is written as currentEpoch.
    pub epoch_acked: bool,
    /// The voters that ACKed NEWLEADER, the leader included.
    pub newleader_acks: BTreeSet<ServerId>,
    /// A quorum ACKed NEWLEADER: the leader's history is committed and it broadcasts.
    pub established: bool,
    /// Each connected learner's handler (followers and observers).
    pub learners: BTreeMap<ServerId, LearnerInfo>,
    /// Acks per outstanding proposal.
    pub acks: BTreeMap<Zxid, BTreeSet<ServerId>>,
    /// The tick leadership started (initLimit).
    pub since: u64,
    /// Linearizable reads: the queue and the quorum round in progress.
    pub reads: super::reads::ReadRounds,
}

/// How the leader synchronized a learner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncMode {
    /// No DIFF, TRUNC or SNAP received yet (and again after UPTODATE).
    None,
    /// DIFF: the learner's history is a prefix of the leader's; proposals follow.
    Diff,
    /// TRUNC: the learner cut its divergent log tail; the rest is worked in memory until
    /// NEWLEADER's snapshot.
    Trunc,
    /// SNAP: the learner took the leader's snapshot; kept in memory until NEWLEADER's
    /// snapshot.
    Snap,
}

/// The state of a learner's connection to its leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conn {
    /// The learner has not connected (sent FOLLOWERINFO) yet.
    NotYet,
    /// FOLLOWERINFO sent: the connection is open.
    Open,
}

/// A learner's bookkeeping (`Learner.syncWithLeader`).
#[derive(Clone, Debug)]
pub struct LearnerState {
    /// The leader this server follows or observes.
    pub leader: ServerId,
    /// Whether it connected to the leader.
    pub conn: Conn,
    /// How the leader is synchronizing it (DIFF, TRUNC or SNAP).
    pub sync_mode: SyncMode,
    /// NEWLEADER handled: its epoch.
    pub newleader: Option<u32>,
    /// `packetsNotLogged`.
    pub pnl: Vec<TxnEntry>,
    /// `packetsCommitted`.
    pub pc: Vec<Zxid>,
    /// The tick it was last heard from its leader (initLimit before UPTODATE, syncLimit
    /// after).
    pub last_heard: u64,
    /// The tick it decided to follow (initLimit to connect).
    pub since: u64,
    /// What the disk holds while a TRUNC or SNAP sync works in memory (until NEWLEADER's
    /// snapshot): the base snapshot and the logged records. Going back to LOOKING reloads
    /// the database from it, as ZooKeeper reloads its zkDb from disk.
    pub on_disk: Option<OnDisk>,
    /// Tokens of this server's reads sent to the leader as READINDEX, not yet answered.
    pub reads: BTreeSet<u64>,
}

/// A base snapshot and the log records after it.
#[derive(Clone, Debug)]
pub struct OnDisk {
    /// The snapshot on disk: its zxid and serialized state.
    pub base: (Zxid, super::SnapshotData),
    /// The log records on disk after `base`, in zxid order.
    pub log: Vec<TxnEntry>,
}

impl LearnerState {
    /// A learner that just decided to follow `leader` at tick `now`: not connected, not
    /// synchronized.
    pub fn new(leader: ServerId, now: u64) -> LearnerState {
        LearnerState {
            leader,
            conn: Conn::NotYet,
            sync_mode: SyncMode::None,
            newleader: None,
            pnl: Vec::new(),
            pc: Vec::new(),
            last_heard: now,
            since: now,
            on_disk: None,
            reads: BTreeSet::new(),
        }
    }
}

/// The role-specific part of a replica.
#[derive(Clone, Debug)]
pub enum Role {
    /// LOOKING: in Fast Leader Election.
    Looking,
    /// LEADING, with the leader's bookkeeping.
    Leading(LeaderState),
    /// FOLLOWING or OBSERVING, with the learner's bookkeeping.
    Learning(LearnerState),
}
