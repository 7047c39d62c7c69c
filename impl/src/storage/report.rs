//! What recovery and purging found and did, as values the caller logs: nothing about the
//! disk's condition is fixed silently.

use crate::txn::TxnEntry;
use crate::zxid::Zxid;
use std::fmt;

/// A snapshot's bytes at the zxid of the last transaction they include.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The zxid of the last transaction the snapshot includes.
    pub zxid: Zxid,
    /// The state as the caller serialized it (opaque to storage).
    pub data: Vec<u8>,
}

/// The durable state: the newest valid snapshot and the logged transactions after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Recovered {
    /// The newest valid snapshot; `None` when there is none (the log then starts from the
    /// empty state).
    pub snapshot: Option<Snapshot>,
    /// Every logged record with a zxid above the snapshot's, in order, without gaps.
    pub entries: Vec<TxnEntry>,
    /// The damage found and repaired on the way, for the caller to log.
    pub report: RecoveryReport,
}

impl Recovered {
    /// The zxid of the last transaction the recovered state includes.
    pub fn last_zxid(&self) -> Zxid {
        match (self.entries.last(), &self.snapshot) {
            (Some(e), _) => e.zxid(),
            (None, Some(s)) => s.zxid,
            (None, None) => Zxid::ZERO,
        }
    }
}

/// Damage found (and repaired) while recovering.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Incomplete writes at the end of the log, cut off.
    pub torn_tails: Vec<TornTail>,
    /// Snapshots that failed validation, newest first; recovery used an older one.
    pub skipped_snapshots: Vec<SkippedSnapshot>,
    /// Leftovers of interrupted atomic writes, removed (their targets were never replaced).
    pub removed_temp_files: Vec<String>,
    /// `currentEpoch` rewritten to this: a NEWLEADER handling was cut short between logging
    /// the leader's history and writing the epoch (`durable::to_durable`).
    pub repaired_current_epoch: Option<u32>,
}

impl RecoveryReport {
    /// Nothing was found or repaired: no torn tail, no skipped snapshot, no temp file, no
    /// repaired `currentEpoch`.
    pub fn is_clean(&self) -> bool {
        self.torn_tails.is_empty()
            && self.skipped_snapshots.is_empty()
            && self.removed_temp_files.is_empty()
            && self.repaired_current_epoch.is_none()
    }
}

/// The end of a log file that did not hold a whole valid record; it was truncated away.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    /// The log file's name (`log.<hex zxid>`).
    pub file: String,
    /// Where the first invalid byte was; the file now ends here (or was removed, at 0).
    pub offset: u64,
    /// How many bytes were cut off the end of the file.
    pub dropped_bytes: u64,
    /// What was wrong with the first invalid bytes (a short frame, a CRC mismatch, ...).
    pub reason: String,
}

/// A snapshot recovery passed over because it is corrupt; it is left on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedSnapshot {
    /// The snapshot's zxid.
    pub zxid: Zxid,
    /// Why it failed validation (the `StorageError::Corrupt` message).
    pub reason: String,
}

/// What `purge` removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// The zxids of the removed snapshots.
    pub snapshots_removed: Vec<Zxid>,
    /// The first zxids of the removed log files.
    pub log_files_removed: Vec<Zxid>,
}

impl fmt::Display for RecoveryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_clean() {
            return write!(f, "recovery: clean");
        }
        for t in &self.torn_tails {
            writeln!(
                f,
                "recovery: torn tail in {} at offset {} ({}), {} bytes dropped",
                t.file, t.offset, t.reason, t.dropped_bytes
            )?;
        }
        for s in &self.skipped_snapshots {
            writeln!(f, "recovery: skipped snapshot {}: {}", s.zxid, s.reason)?;
        }
        for name in &self.removed_temp_files {
            writeln!(f, "recovery: removed leftover temp file {name}")?;
        }
        if let Some(e) = self.repaired_current_epoch {
            writeln!(
                f,
                "recovery: currentEpoch set to {e}, the last zxid's epoch (a NEWLEADER handling \
                 was cut short after logging)"
            )?;
        }
        Ok(())
    }
}
