//! A replica's configuration: who is in the ensemble, its limits in ticks, and how a
//! leader schedules its learners' synchronization.

use super::{Bug, ServerId};
use std::collections::BTreeSet;

/// When a leader runs each learner's `syncFollower` (the LearnerHandler thread's step between
/// ACKEPOCH and NEWLEADER).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SyncSchedule {
    /// As soon as discovery ends for that learner, choosing DIFF or TRUNC from the log and
    /// SNAP only when the log cannot serve it: what a server does.
    #[default]
    Eager,
    /// Only when told (`Input::SyncLearner`), by the route the caller picks: ZooKeeper's
    /// handler threads run whenever the scheduler lets them and pick SNAP by file sizes, and
    /// the refinement harness takes those choices where the model takes them.
    Driven,
}

/// A replica's configuration. Limits are in ticks.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Config {
    /// This server's id (`myid`).
    pub id: ServerId,
    /// The voting members of the ensemble (participants), this server included if it votes.
    /// Quorums are majorities of this set.
    pub voters: BTreeSet<ServerId>,
    /// The observers: members that learn from the leader but neither vote nor ACK proposals.
    pub observers: BTreeSet<ServerId>,
    /// initLimit: how long discovery and synchronization may take.
    pub init_limit: u64,
    /// syncLimit: how long a synced peer may stay silent.
    pub sync_limit: u64,
    /// finalizeWait: how long a LOOKING server waits for a better vote before deciding.
    pub finalize_wait: u64,
    /// notTimeout's first and largest value: silence after which a LOOKING server re-sends.
    pub not_timeout: (u64, u64),
    /// The highest zxid counter a leader proposes. ZooKeeper refuses a proposal whose counter
    /// would be 0xffffffff (`XidRolloverException`) and the leader gives up, so the next
    /// proposal comes from a new epoch; tests lower the limit to reach that path.
    pub last_counter: u32,
    /// Seeds the replica's deterministic randomness (the notTimeout jitter, the `snapCount`
    /// draw): the same seed and inputs give the same outputs.
    pub seed: u64,
    /// A deliberately wrong behaviour to switch on (only in builds with the `faults` feature).
    pub bug: Option<Bug>,
    /// ZooKeeper's `snapCount`: after about this many applied transactions (between half
    /// and all of it, drawn from the seed so servers do not snapshot together) the replica
    /// snapshots its state and drops the log before it from memory. `None`: never.
    pub snap_count: Option<u64>,
    /// When a leader runs each learner's `syncFollower`.
    pub sync_schedule: SyncSchedule,
}

impl Config {
    /// A configuration with ZooKeeper's proportions for a tick of 100 ms (tickTime 2000 ms,
    /// initLimit 10, syncLimit 5, finalizeWait 200 ms, notTimeout 200 ms .. 60 s).
    pub fn new(id: ServerId, voters: &[ServerId], observers: &[ServerId]) -> Config {
        Config {
            id,
            voters: voters.iter().copied().collect(),
            observers: observers.iter().copied().collect(),
            init_limit: 200,
            sync_limit: 100,
            finalize_wait: 2,
            not_timeout: (2, 600),
            last_counter: u32::MAX - 1,
            seed: id,
            bug: None,
            snap_count: None,
            sync_schedule: SyncSchedule::Eager,
        }
    }

    /// Whether `s` is a voter (not an observer or a stranger).
    pub fn is_voter(&self, s: ServerId) -> bool {
        self.voters.contains(&s)
    }

    /// Whether the voters in `set` are a strict majority of all voters; observers in `set`
    /// do not count.
    pub fn is_quorum(&self, set: &BTreeSet<ServerId>) -> bool {
        2 * set.iter().filter(|s| self.voters.contains(s)).count() > self.voters.len()
    }

    /// Every other member of the ensemble: the voters, then the observers, without this
    /// server.
    pub fn peers(&self) -> impl Iterator<Item = ServerId> + '_ {
        self.voters
            .iter()
            .chain(self.observers.iter())
            .copied()
            .filter(move |&s| s != self.id)
    }
}
