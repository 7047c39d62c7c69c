//! A simulated disk: the in-memory storage backend, driven by the same code as a real
//! server's disk (`storage::driver`). What survives a crash is exactly what was made durable:
//! records appended without a sync are lost; snapshots and epochs are atomic writes.

use crate::replica::{Durable, Output};
use crate::storage::{driver, recover_durable, EpochKind, MemStorage, Storage, StorageError};
use crate::txn::TxnEntry;
use crate::zxid::Zxid;

/// One simulated server's disk: its log, snapshots and epoch files, in memory. It outlives the
/// replica across a crash and restart, as a real disk does.
#[derive(Clone, Debug, Default)]
pub struct Disk {
    storage: MemStorage,
}

impl Disk {
    /// A disk already holding these epochs and durable records (a model state's disk).
    pub fn with_state(accepted_epoch: u32, current_epoch: u32, log: &[TxnEntry]) -> Disk {
        let mut storage = MemStorage::default();
        let written = storage
            .set_epoch(EpochKind::Accepted, accepted_epoch)
            .and_then(|()| storage.set_epoch(EpochKind::Current, current_epoch))
            .and_then(|()| storage.append(log))
            .and_then(|()| storage.sync());
        if let Err(e) = written {
            panic!("a model state's disk is a valid log: {e}");
        }
        Disk { storage }
    }

    /// What recovery finds: the newest snapshot, the durable records after it, the epochs.
    pub fn durable(&mut self) -> Result<Durable, StorageError> {
        recover_durable(&mut self.storage).map(|(d, _)| d)
    }

    /// Carries out a replica's output if it is a disk write; any other output is handed
    /// back for the caller's network and client bookkeeping.
    pub fn execute<O>(&mut self, o: Output<O>) -> Result<Option<Output<O>>, StorageError> {
        driver::execute(&mut self.storage, o)
    }

    /// Whether the sync thread has records to flush.
    pub fn has_unsynced(&self) -> bool {
        self.storage.last_logged_zxid() != self.storage.synced_zxid()
    }

    /// The sync thread's fsync: everything queued becomes durable; returns the last zxid.
    pub fn flush(&mut self) -> Result<Option<Zxid>, StorageError> {
        if !self.has_unsynced() {
            return Ok(None);
        }
        self.storage.sync()?;
        Ok(Some(self.storage.last_logged_zxid()))
    }

    /// The machine crashes: records appended since the last fsync are lost; snapshots and
    /// epochs, written atomically, stay.
    pub fn crash(&mut self) {
        self.storage.crash();
    }

    /// The `acceptedEpoch` file's value, 0 if it was never written.
    pub fn accepted_epoch(&self) -> u32 {
        self.epoch(EpochKind::Accepted)
    }

    /// The `currentEpoch` file's value, 0 if it was never written.
    pub fn current_epoch(&self) -> u32 {
        self.epoch(EpochKind::Current)
    }

    fn epoch(&self, kind: EpochKind) -> u32 {
        self.storage.epoch(kind).ok().flatten().unwrap_or(0)
    }

    /// The durable records recovery would replay: those after the newest snapshot.
    pub fn durable_log(&self) -> Vec<TxnEntry> {
        self.replayed().cloned().collect()
    }

    fn replayed(&self) -> impl Iterator<Item = &TxnEntry> + '_ {
        let base = self.newest_snapshot().unwrap_or(Zxid::ZERO);
        self.storage
            .durable_entries()
            .skip_while(move |e| e.zxid() <= base)
    }

    /// The newest snapshot's zxid and bytes, if any.
    pub fn snapshot(&self) -> Option<(Zxid, Vec<u8>)> {
        let z = self.newest_snapshot()?;
        self.storage.load_snapshot(z).ok().map(|s| (z, s.data))
    }

    /// Appends records and fsyncs them (a sync thread's write of what it was handed).
    pub fn append_synced(&mut self, entries: &[TxnEntry]) -> Result<(), StorageError> {
        self.storage.append(entries)?;
        self.storage.sync()
    }

    fn newest_snapshot(&self) -> Option<Zxid> {
        self.storage.snapshot_zxids().ok()?.last().copied()
    }

    /// Whether the durable state holds this transaction: a durable record after the newest
    /// snapshot, or inside that snapshot (`in_snapshot` looks into its bytes).
    pub fn holds(&self, e: &TxnEntry, in_snapshot: impl Fn(&[u8]) -> bool) -> bool {
        match self.newest_snapshot() {
            // Records at or below the snapshot are not replayed: only the snapshot counts.
            Some(z) if z >= e.zxid() => self
                .storage
                .load_snapshot(z)
                .is_ok_and(|s| in_snapshot(&s.data)),
            _ => self.replayed().any(|x| x == e),
        }
    }
}
