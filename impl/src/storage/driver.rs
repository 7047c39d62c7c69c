//! Carrying out a replica's disk outputs on a [`Storage`]: the one piece of glue between the
//! sans-IO replica and a disk, shared by the server and the simulator, so both keep the
//! ordering contract the same way (each disk output is done — durable, where it says so —
//! before the caller runs the next output).

use super::error::StorageError;
use super::{EpochKind, Storage};
use crate::replica::{Output, SnapshotData};
use crate::zxid::Zxid;

/// Executes `o` if it is a disk output; any other output is handed back for the caller's
/// network and client work. `Append { fsync: false }` only queues the records: the caller's
/// sync thread calls `sync` later and reports `Input::Fsynced` (group commit).
pub fn execute<O, S: Storage + ?Sized>(
    storage: &mut S,
    o: Output<O>,
) -> Result<Option<Output<O>>, StorageError> {
    match o {
        Output::SaveAcceptedEpoch(e) => storage.set_epoch(EpochKind::Accepted, e)?,
        Output::SaveCurrentEpoch(e) => storage.set_epoch(EpochKind::Current, e)?,
        Output::SaveUpdatingEpoch(e) => storage.set_epoch(EpochKind::Updating, e)?,
        Output::Append { entries, fsync } => {
            storage.append(&entries)?;
            if fsync {
                storage.sync()?;
            }
        }
        Output::Truncate { zxid } => storage.truncate_log(zxid)?,
        Output::InstallSnapshot { zxid, data } => install_snapshot(storage, zxid, &data)?,
        Output::SaveSnapshot { zxid, data } => storage.save_snapshot_from(zxid, &data)?,
        other => return Ok(Some(other)),
    }
    Ok(None)
}

/// A SNAP (or TRUNC-by-snapshot) sync's state becomes durable. The log's records above the
/// snapshot are a divergent tail the snapshot supersedes, and they go first: were the
/// snapshot written first, a crash before the cut would leave recovery replaying that tail
/// on top of the snapshot. A crash after the cut but before the snapshot leaves a shorter
/// prefix of this server's own history, which the next sync repairs.
fn install_snapshot<S: Storage + ?Sized>(
    storage: &mut S,
    zxid: Zxid,
    data: &SnapshotData,
) -> Result<(), StorageError> {
    if storage.last_logged_zxid() > zxid {
        storage.truncate_log(last_kept_at_or_below(storage, zxid)?)?;
    }
    storage.save_snapshot_from(zxid, data)
}

/// The newest record or snapshot at or below `zxid` (zero if none): a valid truncation point.
fn last_kept_at_or_below<S: Storage + ?Sized>(
    storage: &S,
    zxid: Zxid,
) -> Result<Zxid, StorageError> {
    let snapshot = storage
        .snapshot_zxids()?
        .into_iter()
        .filter(|&z| z <= zxid)
        .max();
    let from = snapshot.unwrap_or(Zxid::ZERO);
    let record = storage
        .read_records_after(from)?
        .into_iter()
        .map(|r| r.entry.zxid())
        .take_while(|&z| z <= zxid)
        .last();
    Ok(record.or(snapshot).unwrap_or(Zxid::ZERO))
}
