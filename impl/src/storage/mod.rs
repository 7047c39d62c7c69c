//! Durable state: the transaction log, snapshots, and the epoch files, behind a `Storage`
//! trait with a file backend and an in-memory backend.
//!
//! The log is appended in batches and made durable by one `sync` per batch (group commit).
//! Snapshots are opaque bytes at a zxid (the caller serializes its DataTree and sessions,
//! streaming them in through `SnapshotSource`);
//! `acceptedEpoch` and `currentEpoch` are small files replaced atomically. `recover` returns
//! the newest valid snapshot and the logged transactions after it, with a report of any
//! damage it found and repaired: a torn last record is cut off and reported, damage anywhere
//! else, or missing transactions, is an error.
//!
//! Both backends make the same decisions (`rules`): a log file per epoch and per size limit,
//! purge keeping what recovery from the last N valid snapshots needs, truncation that also
//! drops snapshots past the truncation point (they hold truncated transactions; ZOOKEEPER-1549).

pub mod driver;
mod durable;
mod error;
pub mod file;
pub mod framing;
pub mod memory;
mod recovery;
mod report;
pub mod rules;

#[cfg(test)]
mod tests;

pub use durable::{recover_durable, to_durable};
pub use error::StorageError;
pub use file::{FileConfig, FileStorage, SyncStart, Waker};
pub use memory::MemStorage;
pub use report::{PurgeReport, Recovered, RecoveryReport, SkippedSnapshot, Snapshot, TornTail};

use crate::txn::TxnEntry;
use crate::zxid::Zxid;

/// The default size at which a log file is closed and a new one started (ZooKeeper
/// preallocates 64 MiB log files).
pub const DEFAULT_MAX_LOG_FILE_SIZE: u64 = 64 << 20;

/// A logged transaction and its link: the zxid it follows in this server's history (the
/// record before it, or the snapshot the log continued from). Recovery checks the links.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord {
    /// The link: the zxid this record follows, below its own (zero at the start of history).
    pub prev: Zxid,
    /// The logged transaction.
    pub entry: TxnEntry,
}

/// The epoch files of a Zab participant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EpochKind {
    /// `acceptedEpoch`: the last epoch proposed by a prospective leader this server accepted.
    Accepted,
    /// `currentEpoch`: the last epoch whose NEWLEADER this server acknowledged.
    Current,
    /// `updatingEpoch`: the epoch of the NEWLEADER whose handling began last. While it is
    /// above `currentEpoch` the handling may have logged the leader's history without
    /// writing `currentEpoch` (a crash in between); recovery then repairs `currentEpoch`
    /// instead of refusing to start (ZOOKEEPER-2354).
    Updating,
}

impl EpochKind {
    /// The file name, as ZooKeeper's.
    pub fn file_name(self) -> &'static str {
        match self {
            EpochKind::Accepted => "acceptedEpoch",
            EpochKind::Current => "currentEpoch",
            EpochKind::Updating => "updatingEpoch",
        }
    }
}

/// What a snapshot is written from: its bytes, or a state copy serialized as it is written
/// (`replica::SnapshotData`).
pub trait SnapshotSource {
    /// Writes the snapshot's bytes into `out`, in order, streaming.
    fn write_to(&self, out: &mut dyn std::io::Write) -> std::io::Result<()>;
}

impl SnapshotSource for &[u8] {
    fn write_to(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        out.write_all(self)
    }
}

impl SnapshotSource for Vec<u8> {
    fn write_to(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        out.write_all(self)
    }
}

/// One server's durable state. Every method that returns `Ok` after writing has made the
/// write durable, except `append`, whose records are durable only after the next `sync`.
pub trait Storage {
    /// Adds records to the end of the log. Their zxids must increase and exceed
    /// `last_logged_zxid()`; on error nothing is appended. Until `sync`, a crash loses them.
    /// Each is linked to the zxid it follows (`rules::link`).
    fn append(&mut self, entries: &[TxnEntry]) -> Result<(), StorageError>;

    /// Makes every appended record durable, with one fsync for the batch (more only when the
    /// batch starts new log files).
    fn sync(&mut self) -> Result<(), StorageError>;

    /// The zxid of the last record in the log, synced or not; zero for an empty log.
    fn last_logged_zxid(&self) -> Zxid;

    /// The logged records with zxids above `zxid`, in order (synced or not), with links.
    fn read_records_after(&self, zxid: Zxid) -> Result<Vec<LogRecord>, StorageError>;

    /// The logged transactions with zxids above `zxid`, in order (synced or not).
    fn read_log_after(&self, zxid: Zxid) -> Result<Vec<TxnEntry>, StorageError> {
        let records = self.read_records_after(zxid)?;
        Ok(records.into_iter().map(|r| r.entry).collect())
    }

    /// Cuts the log after `zxid` (TRUNC), durably, and deletes snapshots above it. `zxid` must
    /// be in the log, a snapshot's zxid, or zero (`NotInLog` otherwise); if what would remain
    /// could not be recovered (purged records below it), `Gap` and nothing changes.
    fn truncate_log(&mut self, zxid: Zxid) -> Result<(), StorageError>;

    /// Deletes snapshots older than the `keep` newest valid ones and the log files recovery
    /// from those does not need. `keep` must be at least 1.
    fn purge(&mut self, keep: usize) -> Result<PurgeReport, StorageError>;

    /// Durably stores what `data` writes as the snapshot at `zxid`, replacing any there,
    /// atomically. A file backend streams it to the file: a large state is serialized as it
    /// is written, never whole in memory.
    fn save_snapshot_from(
        &mut self,
        zxid: Zxid,
        data: &dyn SnapshotSource,
    ) -> Result<(), StorageError>;

    /// Durably stores `data` as the snapshot at `zxid` (`save_snapshot_from` of bytes).
    fn save_snapshot(&mut self, zxid: Zxid, data: &[u8]) -> Result<(), StorageError> {
        self.save_snapshot_from(zxid, &data)
    }

    /// The zxids of the stored snapshots, ascending, valid or not.
    fn snapshot_zxids(&self) -> Result<Vec<Zxid>, StorageError>;

    /// The snapshot at `zxid`, validated (`Corrupt` if it does not check out).
    fn load_snapshot(&self, zxid: Zxid) -> Result<Snapshot, StorageError>;

    /// The stored epoch, `None` if it was never written.
    fn epoch(&self, kind: EpochKind) -> Result<Option<u32>, StorageError>;

    /// Replaces the epoch durably and atomically: a crash leaves the old value or the new.
    fn set_epoch(&mut self, kind: EpochKind, epoch: u32) -> Result<(), StorageError>;

    /// The newest valid snapshot and the records after it; call it after opening (or after
    /// `MemStorage::crash`). Damage repaired on the way is in the report.
    fn recover(&mut self) -> Result<Recovered, StorageError>;
}
