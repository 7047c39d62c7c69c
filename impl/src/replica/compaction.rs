//! Compaction: the base snapshot's state and the applied state swapped for equal ones laid
//! out afresh (`StateMachine::compacted`), to give back what a persistent map's splits left
//! empty. A tree built by creates in path order keeps its map leaves half full; one restored
//! from a snapshot has them full (`data_tree::packing`). Compaction brings a live tree to the
//! restored one's size.
//!
//! The work is too long for a step (hundreds of milliseconds at a million znodes), so it runs
//! outside one, in three parts: [`Replica::compaction`] takes a job (O(1) copies and the log
//! the applied state is past the base by), [`CompactionJob::run`] builds the new states on
//! any thread, and [`Replica::install_compaction`] swaps them in, between steps, if the
//! replica is still where the job left it. Both new states are built the one way: the base
//! compacted, then the applied state replayed from it through the same log, so the two share
//! every node the log did not touch, as the replaced pair did. An applied state compacted on
//! its own would share nothing with the base, and hold every znode twice.
//!
//! This is not a step: no input, no output, no change a peer, a trace or the model can see.
//! The states installed are equal to those replaced (replay is deterministic), so every step
//! after does what it would have done.

use super::state::{Phase, Role};
use super::{Replica, SnapshotData, StateMachine};
use crate::txn::TxnEntry;
use crate::zxid::Zxid;

/// Where the replica stood when a job was taken: a job installs only if it still stands there.
#[derive(Clone)]
struct Mark {
    /// The base snapshot, by identity: a new base (a periodic snapshot, a sync) ends the job.
    base: SnapshotData,
    /// The applied state's zxid: an applied transaction ends the job.
    applied: Zxid,
    /// currentEpoch: the same base and zxid in a later epoch are not trusted to be the same.
    epoch: u32,
}

/// What the compaction of one replica needs, taken from it at once.
pub struct CompactionJob<S> {
    mark: Mark,
    base: S,
    /// The log from the base to the applied state, in order.
    log: Vec<TxnEntry>,
}

/// A job's result: the new base and applied states.
pub struct Compacted<S> {
    mark: Mark,
    base: S,
    applied: S,
}

impl<S> std::fmt::Debug for Compacted<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compacted")
            .field("applied", &self.mark.applied)
            .finish_non_exhaustive()
    }
}

/// The states an install replaced. Freeing a large tree's nodes takes a while (tens of
/// milliseconds at a million znodes), so the caller drops them where it likes.
pub struct Retired<S> {
    _base: SnapshotData,
    _applied: S,
}

impl<S: StateMachine> CompactionJob<S> {
    /// Builds the new states: slow, and meant for a thread of its own.
    pub fn run(self) -> Compacted<S> {
        let base = self.base.compacted();
        let mut applied = base.clone();
        for e in &self.log {
            applied.apply(e);
        }
        Compacted {
            mark: self.mark,
            base,
            applied,
        }
    }

    /// The transactions the applied state is past the base by, to replay.
    pub fn to_replay(&self) -> usize {
        self.log.len()
    }
}

impl<S: StateMachine> Replica<S> {
    /// A compaction job, if the replica is in broadcast with a base held as a state copy.
    /// Elsewhere (an election, a sync holding work in memory only) the states are about to
    /// change anyway.
    pub fn compaction_job(&self) -> Option<CompactionJob<S>> {
        if !self.at_rest() {
            return None;
        }
        let base = self.base.1.copy::<S>()?;
        let log = self.log[..self.log_after(self.last_processed)].to_vec();
        Some(CompactionJob {
            mark: self.mark(),
            base,
            log,
        })
    }

    /// Swaps in the states of `done` if the replica is where its job was taken: the same
    /// base, the same applied zxid, the same epoch, still in broadcast. Returns the states it
    /// replaced, or, if stale, `done` itself: either is the caller's to drop where it likes.
    pub fn install_compaction(&mut self, done: Compacted<S>) -> Result<Retired<S>, Compacted<S>> {
        let here = self.mark();
        let stands = self.at_rest()
            && here.base.same(&done.mark.base)
            && here.applied == done.mark.applied
            && here.epoch == done.mark.epoch;
        if !stands {
            return Err(done);
        }
        let base = std::mem::replace(&mut self.base.1, SnapshotData::of(&done.base));
        let applied = std::mem::replace(&mut self.applied, done.applied);
        if self.pending.is_some() {
            // The leader's pending state shares the replaced applied state's nodes: rebuilt
            // on the new one, or the old nodes would stay held.
            self.reshare_pending(self.last_processed);
        }
        Ok(Retired {
            _base: base,
            _applied: applied,
        })
    }

    /// In broadcast, with no sync's work held in memory only: the applied state is the base
    /// plus the log up to it, the state a periodic snapshot or a compaction may take.
    pub(super) fn at_rest(&self) -> bool {
        self.phase == Phase::Broadcast
            && !matches!(&self.role, Role::Learning(l) if l.on_disk.is_some())
    }

    fn mark(&self) -> Mark {
        Mark {
            base: self.base.1.clone(),
            applied: self.last_processed,
            epoch: self.current_epoch,
        }
    }
}
