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
use zab_model::state::{Ballot, Conn, Handler, Read, ReadRound, SyncMode};
use zab_model::types::{Hist, Mask, Phase, ServerState, Sid, Zxid};

/// One server, as both sides see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerView {
    /// Whether the server is running; a crashed server has only its disk in the view.
    pub up: bool,
    /// acceptedEpoch on disk: the epoch of the last LEADERINFO accepted.
    pub accepted_epoch: u8,
    /// currentEpoch on disk: the epoch of the last NEWLEADER accepted.
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
    /// LOOKING, FOLLOWING, LEADING or OBSERVING.
    pub role: ServerState,
    /// The Zab phase: election, discovery, synchronization or broadcast (always election when
    /// only the election is compared, `--phase election`).
    pub phase: Phase,
    /// The in-memory history: every transaction the server accepted, on disk or queued for it.
    pub hist: Hist,
    /// How many leading entries of `hist` came in a snapshot.
    pub hist_snap: u8,
    /// The tail of `hist` its sync thread has not written yet.
    pub unsynced: Hist,
    /// How many entries of `hist` are delivered.
    pub committed: u8,
    /// lastProcessedZxid: the last zxid the server reports in its votes and its ACKEPOCH.
    pub last_processed: Zxid,
    /// The election's logical clock (`logicalclock`).
    pub round: u8,
    /// The current proposal while LOOKING; the elected vote afterwards.
    pub vote: Vote,
    /// The round in which `vote` was decided (the vote's `electionEpoch`).
    pub vote_round: u8,
    /// `recvset`: the votes received in this round, by sender.
    pub recv: BTreeMap<Sid, Ballot>,
    /// `outofelection`: the votes of servers that already decided, by sender.
    pub ooe: BTreeMap<Sid, Ballot>,
    /// In the finalizeWait drain: the proposal has a quorum and no better vote has arrived
    /// since.
    pub draining: bool,
    /// Its client's linearizable read: none, asked, or ready at a read index (the
    /// implementation's driver holds a ready one until it answers).
    pub read: Read,
    /// A LEADING server's bookkeeping (only when Zab's phases are compared).
    pub leader: Option<LeaderView>,
    /// A FOLLOWING or OBSERVING server's bookkeeping (only when Zab's phases are compared).
    pub learner: Option<LearnerView>,
}

/// A leader's bookkeeping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderView {
    /// The epoch it will propose: one more than the largest acceptedEpoch heard.
    pub epoch: u8,
    /// A quorum sent FOLLOWERINFO and the epoch is fixed (`!waitingForNewEpoch`).
    pub epoch_fixed: bool,
    /// Voters counted toward the new epoch (`connectingFollowers`, the leader included).
    pub connecting: Mask,
    /// Voters whose ACKEPOCH counted (`electingFollowers`, the leader included).
    pub electing: Mask,
    /// A quorum acked the new epoch (`electionFinished`).
    pub epoch_acked: bool,
    /// Voters whose ACK of NEWLEADER counted.
    pub newleader_acks: Mask,
    /// A quorum acked NEWLEADER: the leader is established and broadcasts (`quorumFormed`).
    pub established: bool,
    /// The stage of each learner's handler.
    pub handlers: BTreeMap<Sid, Handler>,
    /// The last zxid a handler waiting to sync was told.
    pub peer_last: BTreeMap<Sid, Zxid>,
    /// The voters that acked each outstanding proposal (the leader once its disk has it).
    pub acks: BTreeMap<Zxid, Mask>,
    /// Servers whose reads wait for the next quorum round.
    pub read_queue: Mask,
    /// The quorum round in progress.
    pub read_round: Option<ReadRound>,
    /// Rounds started in this leadership.
    pub read_rounds: u8,
}

/// A learner's bookkeeping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LearnerView {
    /// The leader it follows, as the election decided.
    pub leader: Sid,
    /// Its quorum connection to that leader: not yet connected, open, or closed and not noticed
    /// yet.
    pub conn: Conn,
    /// Only during synchronization.
    pub sync: Option<SyncView>,
}

/// A learner's synchronization bookkeeping, compared only in the synchronization phase (outside
/// it the values are dead).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncView {
    /// How the leader synchronizes it: DIFF, TRUNC or SNAP (none before the first sync packet
    /// is read).
    pub mode: SyncMode,
    /// The epoch of the NEWLEADER it received, once received.
    pub newleader: Option<u8>,
    /// NEWLEADER steps done.
    pub nl_steps: u8,
    /// `packetsNotLogged`: proposals received during synchronization, not logged yet.
    pub pnl: Hist,
    /// `packetsCommitted`: the zxids committed during synchronization, not applied yet.
    pub pc: Vec<Zxid>,
}

/// The whole cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    /// Every server, by model id (the implementation's myid minus one).
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
