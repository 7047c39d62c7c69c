//! A simulated run's parameters.

use super::Weights;
use crate::replica::Bug;

/// One simulated run's parameters.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Voting servers, ids 1 to `voters`.
    pub voters: u64,
    /// Observers (non-voting learners), numbered after the voters.
    pub observers: u64,
    /// Drives every choice of the run (and each replica's own seed): the same seed replays
    /// the same run.
    pub seed: u64,
    /// Steps of the safety phase (with faults).
    pub fault_steps: usize,
    /// Most steps the liveness phase may take to converge.
    pub settle_steps: usize,
    /// Most server crashes the safety phase injects.
    pub crashes: usize,
    /// Most partitions the safety phase injects (one server cut off at a time).
    pub partitions: usize,
    /// Most message losses (the model's `Lose`) the safety phase injects: an election
    /// notification is lost, a quorum connection breaks.
    pub losses: usize,
    /// Client writes to submit over the whole run (a rejected write is retried).
    pub writes: usize,
    /// The leader's last zxid counter before it must roll over to a new epoch.
    pub last_counter: u32,
    /// A deliberate bug to inject into every replica, to show the checks catch it.
    pub bug: Option<Bug>,
    /// The replicas' `snap_count` (periodic snapshots that move the in-memory base).
    pub snap_count: Option<u64>,
    /// Print every event and every output to stderr (set `ZAB_SIM_TRACE=1` to replay a
    /// failing seed step by step).
    pub trace: bool,
    /// Record each server's trace as `zabd` does (`server::trace`), for validation against
    /// the model; `Cluster::traces` holds them.
    pub record: bool,
    /// Close quorum connections as `zabd` does: a server that closes its connection to a
    /// peer (`Output::Disconnect`) tells the peer only if it had opened it (sent a packet
    /// there), so a learner whose FOLLOWERINFO reached a server not leading yet keeps trying.
    /// Off by default: the peer is told at once, and such a learner gives up sooner than
    /// ZooKeeper's would, a harsher schedule than the model's timing assumption allows.
    pub zabd_links: bool,
    /// Compact every live replica's states every this many events (`replica::compaction`):
    /// each round installs the jobs the round before took (stale by then, unless the server
    /// idled), then takes new ones, which every other round installs at once and the others
    /// hold for the next. Invisible to the run: it draws no choice, and a run with it does
    /// what the same seed does without.
    pub compact_every: Option<u64>,
    /// How often the scheduler picks each kind of event (`Weights`), printed with the seed
    /// of a failing run.
    pub weights: Weights,
}

impl SimConfig {
    /// The defaults for `seed`: three voters, 1,500 fault steps with two crashes, one partition
    /// and two losses, six writes, tracing if `ZAB_SIM_TRACE` is set.
    pub fn new(seed: u64) -> SimConfig {
        SimConfig {
            voters: 3,
            observers: 0,
            seed,
            fault_steps: 1500,
            settle_steps: 20_000,
            crashes: 2,
            partitions: 1,
            losses: 2,
            writes: 6,
            last_counter: u32::MAX - 1,
            bug: None,
            snap_count: None,
            trace: std::env::var_os("ZAB_SIM_TRACE").is_some(),
            record: false,
            zabd_links: false,
            compact_every: None,
            weights: Weights::DEFAULT,
        }
    }
}
