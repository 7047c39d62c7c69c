//! The Zab replica as a deterministic, sans-IO state machine: `Replica::step(Input)` returns the
//! outputs the driver must execute, in order. Time is ticks, randomness a seed; the same code
//! runs under tokio, in the refinement harness and in the seeded simulator.
//!
//! The steps are those of `zab-model`, named the same: Fast Leader Election (`election.rs`),
//! discovery (`discovery.rs`), synchronization (`sync.rs`), broadcast (`broadcast.rs`). Where
//! the model splits one ZooKeeper thread's work into several actions (a follower's NEWLEADER
//! steps, a leader's syncFollower), the replica does them in one step, emitting the outputs in
//! the order the model's actions take.

pub mod broadcast;
mod bug;
mod compaction;
mod config;
pub mod discovery;
pub mod election;
pub mod io;
pub mod messages;
pub mod reads;
mod snapshot;
mod snapshot_data;
pub mod state;
pub mod sync;

pub use bug::Bug;
pub use compaction::{Compacted, CompactionJob, Retired};
pub use config::{Config, SyncSchedule};
pub use io::{Durable, Input, Output, StateMachine};
pub use messages::{Notification, Packet, PeerMsg, Plane, ServerId, ServerState, Vote};
pub use snapshot_data::SnapshotData;
pub use state::Phase;

use crate::txn::TxnEntry;
use crate::zxid::Zxid;
use state::{Fle, Role};
use std::collections::HashMap;

/// A replica just started and its first outputs.
pub type Started<S> = (Replica<S>, Vec<Output<<S as StateMachine>::Outcome>>);

/// Why a replica cannot start from what recovery found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// The snapshot at this zxid does not restore into the state machine
    /// (`StateMachine::restore` refused its bytes).
    #[error("the snapshot at {0} does not restore into the state machine")]
    BadSnapshot(Zxid),
}

/// One ZooKeeper server's protocol state.
#[derive(Clone, Debug)]
pub struct Replica<S: StateMachine> {
    pub(crate) cfg: Config,
    // ---- durable, as the driver has written it ----
    pub(crate) accepted_epoch: u32,
    pub(crate) current_epoch: u32,
    /// The snapshot the log builds on.
    pub(crate) base: (Zxid, SnapshotData),
    /// The history after `base`: durable entries, then entries queued for the sync thread.
    pub(crate) log: Vec<TxnEntry>,
    /// The last durable entry.
    pub(crate) synced: Zxid,
    // ---- volatile ----
    pub(crate) applied: S,
    /// The state machine's last applied zxid (`lastProcessedZxid`): what votes and ACKEPOCH
    /// report.
    pub(crate) last_processed: Zxid,
    /// The last zxid this server knows is committed (delivered).
    pub(crate) committed: Zxid,
    /// Leader: the applied state plus every outstanding proposal, for `prepare`.
    pub(crate) pending: Option<S>,
    pub(crate) state: ServerState,
    pub(crate) phase: Phase,
    pub(crate) role: Role,
    pub(crate) fle: Fle,
    pub(crate) tick: u64,
    pub(crate) now_ms: i64,
    pub(crate) rng: u64,
    /// Writes submitted by this server's clients, not yet applied, by (session, cxid), with
    /// how many are in flight: a client may reuse a cxid (a resumed session that starts
    /// counting again), and each of its writes must come back as this server's.
    pub(crate) local_writes: HashMap<(i64, i32), u32>,
    /// How many log entries past `base` trigger the next snapshot (with `snap_count`).
    pub(crate) snap_after: usize,
    pub(crate) out: Vec<Output<S::Outcome>>,
}

impl<S: StateMachine> Replica<S> {
    /// A replica starting from what recovery found on disk; `genesis` is the state machine
    /// when there is no snapshot. It starts LOOKING; the outputs are its first votes.
    ///
    /// A snapshot the state machine cannot restore is an error: starting from an empty state
    /// instead would be silently wrong.
    pub fn new(cfg: Config, durable: Durable, genesis: S) -> Result<Started<S>, StartError> {
        let (base_zxid, base_bytes, applied) = match durable.snapshot {
            Some((z, bytes)) => {
                let sm = genesis.restore(&bytes).ok_or(StartError::BadSnapshot(z))?;
                (z, SnapshotData::of(&sm), sm)
            }
            None => (Zxid::ZERO, SnapshotData::of(&genesis), genesis),
        };
        let rng = cfg.seed ^ 0x9e37_79b9_7f4a_7c15;
        let mut r = Replica {
            cfg,
            accepted_epoch: durable.accepted_epoch,
            current_epoch: durable.current_epoch,
            base: (base_zxid, base_bytes),
            log: Vec::new(),
            synced: base_zxid,
            applied,
            last_processed: base_zxid,
            committed: Zxid::ZERO,
            pending: None,
            state: ServerState::Looking,
            phase: Phase::Election,
            role: Role::Looking,
            fle: Fle::default(),
            tick: 0,
            now_ms: 0,
            rng,
            local_writes: HashMap::new(),
            snap_after: usize::MAX,
            out: Vec::new(),
        };
        r.draw_snap_after();
        // ZooKeeper replays the whole log at start, committed or not; a TRUNC removes what
        // turns out not to be.
        for e in durable.log.into_iter().filter(|e| e.zxid() > base_zxid) {
            r.synced = e.zxid();
            r.last_processed = e.zxid();
            r.applied.apply(&e);
            r.log.push(e);
        }
        r.start_election();
        let out = std::mem::take(&mut r.out);
        Ok((r, out))
    }

    /// Takes one input and returns the outputs to execute, in order.
    pub fn step(&mut self, input: Input) -> Vec<Output<S::Outcome>> {
        // Snapshot what the previous steps applied before taking anything new: the entries
        // a step applies stay in `log()` until the step after, for whoever inspects it.
        self.maybe_snapshot();
        match input {
            Input::Tick { now_ms } => self.on_tick(now_ms),
            Input::Peer { from, msg } => match msg {
                PeerMsg::Election(n) => self.on_notification(from, n),
                PeerMsg::Quorum(p) => self.on_packet(from, p),
            },
            Input::Disconnected { peer } => self.on_disconnected(peer),
            Input::Write {
                session_id,
                cxid,
                body,
            } => self.on_write(session_id, cxid, body),
            Input::Fsynced { zxid } => self.on_synced(zxid),
            Input::SyncLearner { learner, snapshot } => self.on_sync_learner(learner, snapshot),
            Input::Read { token } => self.on_read(token),
            Input::Heard { peer } => self.on_heard(peer),
        }
        std::mem::take(&mut self.out)
    }

    fn on_tick(&mut self, now_ms: i64) {
        self.tick += 1;
        self.now_ms = now_ms;
        match self.role {
            Role::Looking => self.election_tick(),
            Role::Leading(_) => self.leader_tick(),
            Role::Learning(_) => self.learner_tick(),
        }
    }

    fn on_disconnected(&mut self, peer: ServerId) {
        match &mut self.role {
            Role::Leading(ls) => {
                // ACKs of a dead connection are withdrawn (the stale-ack finding).
                let known = ls.learners.remove(&peer).is_some();
                if known {
                    self.forget_learner(peer);
                }
            }
            Role::Learning(l) if l.leader == peer => self.shutdown_to_looking(),
            _ => {}
        }
    }

    pub(crate) fn send(&mut self, to: ServerId, msg: PeerMsg) {
        self.out.push(Output::Send { to, msg });
    }

    pub(crate) fn send_packet(&mut self, to: ServerId, p: Packet) {
        self.send(to, PeerMsg::Quorum(p));
    }

    /// The index of the first logged entry after `zxid`. The log is in zxid order (entries
    /// are only ever appended with a larger zxid, or cut from the end), so this is a binary
    /// search: commits and catch-up stay O(log n) however long the history grows.
    pub(crate) fn log_after(&self, zxid: Zxid) -> usize {
        self.log.partition_point(|e| e.zxid() <= zxid)
    }

    /// The last zxid in the history (durable or queued).
    pub(crate) fn last_logged(&self) -> Zxid {
        self.log.last().map(|e| e.zxid()).unwrap_or(self.base.0)
    }

    /// Counts a write of this server's client in flight.
    pub(crate) fn note_local_write(&mut self, key: (i64, i32)) {
        *self.local_writes.entry(key).or_default() += 1;
    }

    /// Whether a write of (session, cxid) was this server's client's, counting it out.
    pub(crate) fn take_local_write(&mut self, key: (i64, i32)) -> bool {
        match self.local_writes.get_mut(&key) {
            Some(n) if *n > 1 => {
                *n -= 1;
                true
            }
            Some(_) => self.local_writes.remove(&key).is_some(),
            None => false,
        }
    }

    /// The server leaves its role and looks for a leader again (a follower's or leader's
    /// `shutdown()` then `lookForLeader()`): the sync thread drains to disk, the database is
    /// fast-forwarded from the log, connections close.
    pub(crate) fn shutdown_to_looking(&mut self) {
        self.fail_open_reads();
        let peers: Vec<ServerId> = match &self.role {
            Role::Leading(ls) => ls.learners.keys().copied().collect(),
            Role::Learning(l) => vec![l.leader],
            Role::Looking => vec![],
        };
        for p in peers {
            self.out.push(Output::Disconnect { peer: p });
        }
        let reloaded = self.forget_unlogged_sync();
        self.drain_sync_thread();
        if !reloaded {
            self.fast_forward();
        }
        // Writes still in flight will not be answered here (the server drops its clients):
        // a count left would make a later transaction with the same (session, cxid), say
        // one the next leader proposes, look like this server's client's.
        self.local_writes.clear();
        self.pending = None;
        self.role = Role::Looking;
        self.state = ServerState::Looking;
        self.phase = Phase::Election;
        self.out.push(Output::RoleChanged {
            state: ServerState::Looking,
            leader: None,
            epoch: self.current_epoch,
        });
        self.start_election();
    }

    /// A TRUNC or SNAP sync cut short before NEWLEADER held its work in memory only: the
    /// database is reloaded from what the disk holds (ZooKeeper clears the zkDb and loads
    /// it again). Returns whether it reloaded.
    fn forget_unlogged_sync(&mut self) -> bool {
        let Role::Learning(l) = &mut self.role else {
            return false;
        };
        let Some(disk) = l.on_disk.take() else {
            return false;
        };
        self.base = disk.base;
        self.log = disk.log;
        self.reload_from_log();
        true
    }

    /// Everything queued for the sync thread is made durable now (`SyncRequestProcessor`
    /// shutdown flushes its queue): an fsync with nothing new to append. Every record in
    /// the log was already handed to the driver.
    fn drain_sync_thread(&mut self) {
        let last = self.last_logged();
        if self.synced != last {
            self.synced = last;
            self.out.push(Output::Append {
                entries: Vec::new(),
                fsync: true,
            });
        }
    }

    /// `fastForwardDataBase`: apply every logged entry beyond the last applied one, so the
    /// reported last zxid is the log's.
    fn fast_forward(&mut self) {
        let todo = self.log[self.log_after(self.last_processed)..].to_vec();
        for e in todo {
            self.applied.apply(&e);
            self.last_processed = e.zxid();
        }
    }

    /// Rebuilds the applied state from the base snapshot and the log (after a TRUNC).
    pub(crate) fn reload_from_log(&mut self) {
        // The base is a copy of this state machine's state (taken, restored from disk or
        // received by SNAP): taken back as it is, not serialized and parsed again.
        let mut sm = self
            .base
            .1
            .restore(&self.applied)
            .expect("the base snapshot was produced by S");
        for e in &self.log {
            sm.apply(e);
        }
        self.applied = sm;
        self.last_processed = self.last_logged();
    }

    pub(crate) fn random(&mut self) -> u64 {
        // splitmix64: deterministic from the seed.
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    // ---- observation, for drivers, the simulator and refinement ----

    /// This server's id (`myid`).
    pub fn id(&self) -> ServerId {
        self.cfg.id
    }
    /// LOOKING, FOLLOWING, LEADING or OBSERVING.
    pub fn server_state(&self) -> ServerState {
        self.state
    }
    /// The Zab phase: election, discovery, synchronization or broadcast.
    pub fn phase(&self) -> Phase {
        self.phase
    }
    /// acceptedEpoch: the last epoch accepted from a LEADERINFO (or fixed as leader). The
    /// driver writes it by `Output::SaveAcceptedEpoch` in the step that changed it.
    pub fn accepted_epoch(&self) -> u32 {
        self.accepted_epoch
    }
    /// currentEpoch: the epoch of the last NEWLEADER handled (or, as leader, its epoch once a
    /// quorum sent ACKEPOCH). The driver writes it by `Output::SaveCurrentEpoch`.
    pub fn current_epoch(&self) -> u32 {
        self.current_epoch
    }
    /// The state machine's last applied zxid (`lastProcessedZxid`): what votes and ACKEPOCH
    /// report.
    pub fn last_processed(&self) -> Zxid {
        self.last_processed
    }
    /// The last zxid this server knows is committed (delivered).
    pub fn committed(&self) -> Zxid {
        self.committed
    }
    /// The last zxid of the history known durable; entries after it wait for the sync
    /// thread's fsync (`Input::Fsynced`).
    pub fn synced(&self) -> Zxid {
        self.synced
    }
    /// The history after the base snapshot (durable and queued).
    pub fn log(&self) -> &[TxnEntry] {
        &self.log
    }
    /// The last zxid the base snapshot covers (`log()` follows it).
    pub fn base_zxid(&self) -> Zxid {
        self.base.0
    }
    /// The snapshot the in-memory history builds on (`log()` follows it), serialized now.
    pub fn base_snapshot(&self) -> std::sync::Arc<Vec<u8>> {
        self.base.1.bytes()
    }
    /// The replicated state machine, for reads.
    pub fn state_machine(&self) -> &S {
        &self.applied
    }
    /// The election's variables, read-only (for the refinement harness's abstraction).
    pub fn election(&self) -> &Fle {
        &self.fle
    }
    /// The role-specific variables, read-only (for the refinement harness's abstraction).
    pub fn role(&self) -> &Role {
        &self.role
    }
    /// The configuration it was started with (its id, the voters and observers).
    pub fn config(&self) -> &Config {
        &self.cfg
    }
    /// The leader this server follows, or itself when leading.
    pub fn leader(&self) -> Option<ServerId> {
        match &self.role {
            Role::Leading(_) => Some(self.cfg.id),
            Role::Learning(l) => Some(l.leader),
            Role::Looking => None,
        }
    }
    /// An established leader in broadcast.
    pub fn is_established_leader(&self) -> bool {
        matches!(&self.role, Role::Leading(ls) if ls.established)
    }
    /// Whether `peer` is a learner this server leads and has sent UPTODATE: the only peers
    /// whose forwarded writes, session touches and `sync` markers a leader takes.
    pub fn leads_in_broadcast(&self, peer: ServerId) -> bool {
        matches!(&self.role, Role::Leading(ls)
            if ls.learners.get(&peer).is_some_and(|l| l.stage == state::Handler::Broadcast))
    }
}

#[cfg(test)]
mod tests;
