//! Recovery, the same for every backend: the newest snapshot that validates, then every
//! logged record after it, checked for gaps.

use super::error::StorageError;
use super::report::{Recovered, RecoveryReport, SkippedSnapshot, Snapshot};
use super::rules;
use super::Storage;
use crate::zxid::Zxid;

/// Recovers from `storage`, adding to `report` what the backend already found (torn tails,
/// temp files). A corrupt snapshot is skipped and reported; any other failure is returned.
pub fn recover<S: Storage + ?Sized>(
    storage: &S,
    mut report: RecoveryReport,
) -> Result<Recovered, StorageError> {
    let snapshot = newest_valid_snapshot(storage, &mut report)?;
    let base = snapshot.as_ref().map_or(Zxid::ZERO, |s| s.zxid);
    let records = storage.read_records_after(base)?;
    rules::check_continuity(base, records.iter().map(|r| (r.prev, r.entry.zxid())))?;
    Ok(Recovered {
        snapshot,
        entries: records.into_iter().map(|r| r.entry).collect(),
        report,
    })
}

fn newest_valid_snapshot<S: Storage + ?Sized>(
    storage: &S,
    report: &mut RecoveryReport,
) -> Result<Option<Snapshot>, StorageError> {
    for zxid in storage.snapshot_zxids()?.into_iter().rev() {
        match storage.load_snapshot(zxid) {
            Ok(snapshot) => return Ok(Some(snapshot)),
            // Damaged bytes: an older snapshot plus more of the log gives the same state.
            // Anything else (I/O, a newer format) would make falling back a silent downgrade.
            Err(err @ StorageError::Corrupt { .. }) => {
                report.skipped_snapshots.push(SkippedSnapshot {
                    zxid,
                    reason: err.to_string(),
                })
            }
            Err(err) => return Err(err),
        }
    }
    Ok(None)
}

/// The valid snapshots, newest first, stopping after `keep` of them (for purge).
pub fn newest_valid_snapshots<S: Storage + ?Sized>(
    storage: &S,
    keep: usize,
) -> Result<Vec<Zxid>, StorageError> {
    newest_valid(storage.snapshot_zxids()?, keep, |z| {
        storage.load_snapshot(z)
    })
}

/// Of the snapshots at `zxids` (ascending), the newest `keep` that `load` finds valid,
/// newest first.
pub fn newest_valid(
    zxids: Vec<Zxid>,
    keep: usize,
    load: impl Fn(Zxid) -> Result<super::Snapshot, StorageError>,
) -> Result<Vec<Zxid>, StorageError> {
    let mut valid = Vec::new();
    for zxid in zxids.into_iter().rev() {
        if valid.len() == keep {
            break;
        }
        match load(zxid) {
            Ok(_) => valid.push(zxid),
            Err(StorageError::Corrupt { .. }) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(valid)
}
