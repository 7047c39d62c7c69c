//! From what recovery found to what a replica starts from (`replica::Durable`).

use super::error::StorageError;
use super::report::Recovered;
use super::{EpochKind, Storage};
use crate::replica::Durable;
use std::sync::Arc;

/// Recovers `storage` and reads its epochs: the replica's starting state, and the report of
/// repairs for the operator's log. A `currentEpoch` that a crash inside a NEWLEADER handling
/// left behind the log (see `to_durable`) is repaired on disk before the replica starts.
pub fn recover_durable<S: Storage + ?Sized>(
    storage: &mut S,
) -> Result<(Durable, super::RecoveryReport), StorageError> {
    let recovered = storage.recover()?;
    let accepted = storage.epoch(EpochKind::Accepted)?;
    let current = storage.epoch(EpochKind::Current)?;
    let updating = storage.epoch(EpochKind::Updating)?;
    let mut report = recovered.report.clone();
    let durable = to_durable(recovered, accepted, current, updating)?;
    if current.is_some_and(|c| c < durable.current_epoch) {
        storage.set_epoch(EpochKind::Current, durable.current_epoch)?;
        report.repaired_current_epoch = Some(durable.current_epoch);
    }
    Ok((durable, report))
}

/// Builds the replica's starting state. A missing epoch file defaults, as in ZooKeeper, to
/// the epoch of the last recovered zxid (a fresh server: zero). Epochs that contradict the
/// state are refused, as ZooKeeper refuses to start: `currentEpoch` behind the last zxid's
/// epoch, or `acceptedEpoch` behind `currentEpoch`, means a file was lost or rolled back,
/// and voting with them could elect a leader without the latest transactions.
///
/// One contradiction is expected and repaired: a follower logs the history its new leader
/// synced before it writes `currentEpoch` (ZOOKEEPER-4643), so a crash between the two leaves
/// the log ahead. The `updatingEpoch` marker, written when that handling began and above
/// `currentEpoch` until it ends, tells this case apart; `currentEpoch` then becomes the last
/// zxid's epoch (what ZooKeeper 3.4 did with its marker, ZOOKEEPER-2354).
pub fn to_durable(
    recovered: Recovered,
    accepted: Option<u32>,
    current: Option<u32>,
    updating: Option<u32>,
) -> Result<Durable, StorageError> {
    let last_epoch = recovered.last_zxid().epoch();
    let mut current_epoch = current.unwrap_or(last_epoch);
    let accepted_epoch = accepted.unwrap_or(current_epoch);
    let interrupted = updating.is_some_and(|u| u > current_epoch && u >= last_epoch);
    if current_epoch < last_epoch && interrupted {
        current_epoch = last_epoch;
    }
    if current_epoch < last_epoch {
        return Err(StorageError::Inconsistent(format!(
            "currentEpoch {current_epoch} is older than the last zxid {}",
            recovered.last_zxid()
        )));
    }
    if accepted_epoch < current_epoch {
        return Err(StorageError::Inconsistent(format!(
            "acceptedEpoch {accepted_epoch} is less than currentEpoch {current_epoch}"
        )));
    }
    Ok(Durable {
        accepted_epoch,
        current_epoch,
        snapshot: recovered.snapshot.map(|s| (s.zxid, Arc::new(s.data))),
        log: recovered.entries,
    })
}
