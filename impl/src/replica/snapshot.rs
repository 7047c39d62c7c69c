//! Periodic snapshots (`snapCount`, ZooKeeper's `SyncRequestProcessor` rolling the log and
//! starting a `SnapshotThread`): after enough applied transactions the replica writes its
//! applied state as a snapshot and drops the log entries it covers from memory, so memory
//! stays bounded by the state, its serialized copy (the base, kept for TRUNC and reloads)
//! and the recent history, however long the server runs. The step only copies the state
//! (`SnapshotData`); the serialization runs where the bytes are first needed, so a server
//! serializes and writes on a thread of its own while its core goes on.
//!
//! A snapshot is taken only where it is exactly the state at its zxid and that zxid is
//! durable: in broadcast, with everything applied also synced, and not while a learner's
//! TRUNC or SNAP sync still works in memory. A learner whose history ends before the new
//! base can then only be synchronized by SNAP, as in ZooKeeper once its committed log has
//! moved on.

use super::io::{Output, StateMachine};
use super::Replica;
use super::SnapshotData;

impl<S: StateMachine> Replica<S> {
    /// Draws how many entries past the base the next snapshot waits for: between half of
    /// `snap_count` and all of it (ZooKeeper's `randRoll`), from the replica's seed.
    pub(crate) fn draw_snap_after(&mut self) {
        self.snap_after = match self.cfg.snap_count {
            Some(n) if n > 0 => {
                let half = (n / 2).max(1);
                usize::try_from(half + self.random() % half).unwrap_or(usize::MAX)
            }
            _ => usize::MAX,
        };
    }

    pub(crate) fn maybe_snapshot(&mut self) {
        let zxid = self.last_processed;
        let applied_in_log = self.log_after(zxid);
        if applied_in_log < self.snap_after || self.synced < zxid || !self.at_rest() {
            return;
        }
        let data = SnapshotData::of(&self.applied);
        self.out.push(Output::SaveSnapshot {
            zxid,
            data: data.clone(),
        });
        self.log.drain(..applied_in_log);
        self.base = (zxid, data);
        self.draw_snap_after();
    }
}
