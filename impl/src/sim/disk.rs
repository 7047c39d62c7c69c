//! A simulated disk: what survives a crash is exactly what was made durable. Asynchronous
//! appends sit in a queue until the simulated sync thread flushes them.

use crate::replica::{Durable, Output};
use crate::txn::TxnEntry;
use crate::zxid::Zxid;
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub struct Disk {
    pub accepted_epoch: u32,
    pub current_epoch: u32,
    pub snapshot: Option<(Zxid, Arc<Vec<u8>>)>,
    /// Durable log records.
    pub log: Vec<TxnEntry>,
    /// Appended but not yet fsynced (lost on a crash).
    pub unsynced: Vec<TxnEntry>,
}

impl Disk {
    /// What recovery finds: the snapshot and the durable records after it.
    pub fn durable(&self) -> Durable {
        let base = self.snapshot.as_ref().map(|s| s.0).unwrap_or(Zxid::ZERO);
        Durable {
            accepted_epoch: self.accepted_epoch,
            current_epoch: self.current_epoch,
            snapshot: self.snapshot.clone(),
            log: self
                .log
                .iter()
                .filter(|e| e.zxid() > base)
                .cloned()
                .collect(),
        }
    }

    /// Carries out a replica's output if it is a disk write; any other output is handed
    /// back for the caller's network and client bookkeeping.
    pub fn execute<O>(&mut self, o: Output<O>) -> Option<Output<O>> {
        match o {
            Output::SaveAcceptedEpoch(e) => self.accepted_epoch = e,
            Output::SaveCurrentEpoch(e) => self.current_epoch = e,
            Output::Append { entries, sync } => self.append(entries, sync),
            Output::Truncate { zxid } => self.truncate(zxid),
            Output::InstallSnapshot { zxid, bytes } => self.install_snapshot(zxid, bytes),
            other => return Some(other),
        }
        None
    }

    pub fn append(&mut self, entries: Vec<TxnEntry>, sync: bool) {
        if sync {
            // An fsync also makes everything queued before durable.
            self.log.append(&mut self.unsynced);
            self.log.extend(entries);
        } else {
            self.unsynced.extend(entries);
        }
    }

    /// The sync thread's fsync: everything queued becomes durable; returns the last zxid.
    pub fn flush(&mut self) -> Option<Zxid> {
        let last = self.unsynced.last().map(|e| e.zxid());
        self.log.append(&mut self.unsynced);
        last
    }

    pub fn truncate(&mut self, zxid: Zxid) {
        self.log.retain(|e| e.zxid() <= zxid);
        self.unsynced.retain(|e| e.zxid() <= zxid);
    }

    pub fn install_snapshot(&mut self, zxid: Zxid, bytes: Arc<Vec<u8>>) {
        // The snapshot is the whole state: records above it would be a divergent tail that
        // a restart must not replay.
        self.snapshot = Some((zxid, bytes));
        self.log.clear();
        self.unsynced.clear();
    }

    pub fn crash(&mut self) {
        self.unsynced.clear();
    }

    /// Whether the durable state holds this transaction.
    pub fn holds(&self, e: &TxnEntry, in_snapshot: impl Fn(&[u8]) -> bool) -> bool {
        self.log.contains(e)
            || self
                .snapshot
                .as_ref()
                .is_some_and(|(z, bytes)| *z >= e.zxid() && in_snapshot(bytes))
    }
}
