//! The replica's variables, grouped as the model groups them (`zab-model`'s `state.rs`): the
//! election's, a leader's (`Leader` + its `LearnerHandler`s), a learner's.

use super::messages::{ServerId, ServerState, Vote};
use crate::txn::TxnEntry;
use crate::zxid::Zxid;
use std::collections::{BTreeMap, BTreeSet};

/// Zab phase (`ZabState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Election,
    Discovery,
    Synchronization,
    Broadcast,
}

/// A vote as recorded in a vote box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ballot {
    pub vote: Vote,
    pub round: u64,
    pub state: ServerState,
}

/// Fast Leader Election (`FastLeaderElection.lookForLeader`).
#[derive(Clone, Debug, Default)]
pub struct Fle {
    /// `logicalclock`.
    pub round: u64,
    pub vote: Option<Vote>,
    /// The round in which the current vote was decided.
    pub vote_round: u64,
    pub recv: BTreeMap<ServerId, Ballot>,
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
    Connected,
    AwaitEpoch,
    AwaitAckEpoch,
    AwaitSync,
    AwaitNewLeaderAck,
    AwaitQuorum,
    Broadcast,
}

impl Handler {
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
    pub epoch_fixed: bool,
    pub connecting: BTreeSet<ServerId>,
    pub electing: BTreeSet<ServerId>,
    pub epoch_acked: bool,
    pub newleader_acks: BTreeSet<ServerId>,
    pub established: bool,
    pub learners: BTreeMap<ServerId, LearnerInfo>,
    /// Acks per outstanding proposal.
    pub acks: BTreeMap<Zxid, BTreeSet<ServerId>>,
    /// The tick leadership started (initLimit).
    pub since: u64,
}

/// How the leader synchronized a learner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncMode {
    None,
    Diff,
    Trunc,
    Snap,
}

/// The state of a learner's connection to its leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conn {
    NotYet,
    Open,
}

/// A learner's bookkeeping (`Learner.syncWithLeader`).
#[derive(Clone, Debug)]
pub struct LearnerState {
    pub leader: ServerId,
    pub conn: Conn,
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
}

/// A base snapshot and the log records after it.
#[derive(Clone, Debug)]
pub struct OnDisk {
    pub base: (Zxid, std::sync::Arc<Vec<u8>>),
    pub log: Vec<TxnEntry>,
}

impl LearnerState {
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
        }
    }
}

/// The role-specific part of a replica.
#[derive(Clone, Debug)]
pub enum Role {
    Looking,
    Leading(LeaderState),
    Learning(LearnerState),
}
