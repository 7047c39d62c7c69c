//! The abstraction function: both a model state and an implementation cluster map to the same
//! `View`, and refinement holds when the two views are equal after every step.
//!
//! The view is the model's state projected onto what both sides define: per server, whether
//! it is up, its durable variables (acceptedEpoch, currentEpoch, the history on disk), and for
//! a live server its role, phase, in-memory history (with what the sync thread has not
//! written and how much is delivered), lastProcessedZxid, its election variables, a leader's
//! bookkeeping (epoch, the quorums it counts, each learner's handler stage, the acks of
//! outstanding proposals), a learner's (its leader, its connection, the sync bookkeeping);
//! and every message in flight, per link. What the model abstracts away (pings, ticks, the
//! replica's timers and random jitter, client bookkeeping) has no place in the view, nor do
//! dead values (a learner's sync bookkeeping outside synchronization, a handler's
//! `peer_last` once it synced).
//!
//! Two projections where the model is finer than the implementation (`specs/refinement.md`):
//! the follower inside its NEWLEADER handling shows the memory the whole handling leaves
//! (the implementation does it in one step; its disk and its packets still go one model step
//! at a time); and with `--phase election` only the election's variables are compared.

pub mod implementation;
mod model;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use zab_model::msg::{Msg, Notification, Vote};
use zab_model::state::{Ballot, Conn, Handler, SyncMode};
use zab_model::types::{Hist, Mask, Phase, Role, Sid, Zxid};

/// One server, as both sides see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerView {
    pub up: bool,
    pub accepted_epoch: u8,
    pub current_epoch: u8,
    /// The transactions on disk (a snapshot's and the log's).
    pub log: Hist,
    /// How many of them the snapshot holds.
    pub log_snap: u8,
    /// The rest only for a live server.
    pub live: Option<LiveView>,
}

/// A live server's volatile state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveView {
    pub role: Role,
    pub phase: Phase,
    pub hist: Hist,
    /// How many leading entries of `hist` came in a snapshot.
    pub hist_snap: u8,
    /// The tail of `hist` its sync thread has not written yet.
    pub unsynced: Hist,
    /// How many entries of `hist` are delivered.
    pub committed: u8,
    pub last_processed: Zxid,
    pub round: u8,
    pub vote: Vote,
    pub vote_round: u8,
    pub recv: BTreeMap<Sid, Ballot>,
    pub ooe: BTreeMap<Sid, Ballot>,
    pub draining: bool,
    pub leader: Option<LeaderView>,
    pub learner: Option<LearnerView>,
}

/// A leader's bookkeeping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderView {
    pub epoch: u8,
    pub epoch_fixed: bool,
    pub connecting: Mask,
    pub electing: Mask,
    pub epoch_acked: bool,
    pub newleader_acks: Mask,
    pub established: bool,
    /// The stage of each learner's handler.
    pub handlers: BTreeMap<Sid, Handler>,
    /// The last zxid a handler waiting to sync was told.
    pub peer_last: BTreeMap<Sid, Zxid>,
    /// The voters that acked each outstanding proposal (the leader once its disk has it).
    pub acks: BTreeMap<Zxid, Mask>,
}

/// A learner's bookkeeping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LearnerView {
    pub leader: Sid,
    pub conn: Conn,
    /// Only during synchronization.
    pub sync: Option<SyncView>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncView {
    pub mode: SyncMode,
    pub newleader: Option<u8>,
    /// NEWLEADER steps done.
    pub nl_steps: u8,
    pub pnl: Hist,
    pub pc: Vec<Zxid>,
}

/// The whole cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    pub servers: Vec<ServerView>,
    /// Notifications on election links, in the order their receivers will read them (those
    /// in TCP, then the one waiting).
    pub election: BTreeMap<(Sid, Sid), Vec<Notification>>,
    /// Packets in flight on quorum links, in order.
    pub quorum: BTreeMap<(Sid, Sid), Vec<Msg>>,
}

impl View {
    /// The differences, one line each (empty when equal).
    pub fn diff(&self, other: &View) -> String {
        let mut out = String::new();
        for (s, (a, b)) in self.servers.iter().zip(&other.servers).enumerate() {
            if a != b {
                let _ = writeln!(out, "s{}: model {a:?}\n    impl  {b:?}", s + 1);
            }
        }
        if self.election != other.election {
            let _ = writeln!(
                out,
                "election links: model {:?}\n                impl  {:?}",
                self.election, other.election
            );
        }
        if self.quorum != other.quorum {
            let _ = writeln!(
                out,
                "quorum links: model {:?}\n              impl  {:?}",
                self.quorum, other.quorum
            );
        }
        out
    }
}
