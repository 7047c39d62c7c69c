//! From what recovery found to what a replica starts from (`replica::Durable`).

use super::error::StorageError;
use super::report::Recovered;
use super::{EpochKind, Storage};
use crate::replica::Durable;
use std::sync::Arc;

/// Recovers `storage` and reads its epochs: the replica's starting state, and the report of
/// repairs for the operator's log.
pub fn recover_durable<S: Storage + ?Sized>(
    storage: &mut S,
) -> Result<(Durable, super::RecoveryReport), StorageError> {
    let recovered = storage.recover()?;
    let accepted = storage.epoch(EpochKind::Accepted)?;
    let current = storage.epoch(EpochKind::Current)?;
    let report = recovered.report.clone();
    Ok((to_durable(recovered, accepted, current)?, report))
}

/// Builds the replica's starting state. A missing epoch file defaults, as in ZooKeeper, to
/// the epoch of the last recovered zxid (a fresh server: zero). Epochs that contradict the
/// state are refused, as ZooKeeper refuses to start: `currentEpoch` behind the last zxid's
/// epoch, or `acceptedEpoch` behind `currentEpoch`, means a file was lost or rolled back,
/// and voting with them could elect a leader without the latest transactions.
pub fn to_durable(
    recovered: Recovered,
    accepted: Option<u32>,
    current: Option<u32>,
) -> Result<Durable, StorageError> {
    let last_epoch = recovered.last_zxid().epoch();
    let current_epoch = current.unwrap_or(last_epoch);
    let accepted_epoch = accepted.unwrap_or(current_epoch);
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
