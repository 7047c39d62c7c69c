//! Decisions both backends share, as pure functions, so the in-memory disk rolls, purges,
//! truncates and detects gaps exactly where the file backend does.

use super::error::StorageError;
use crate::zxid::Zxid;

/// Whether `next` may come directly after `prev` in one history. A leader numbers the
/// proposals of its epoch 1, 2, 3, … and a log holds them in order without holes, so within
/// an epoch counters are consecutive and a later epoch starts at counter 1. (The model's
/// `on_proposal` uses the same test.)
pub fn follows(prev: Zxid, next: Zxid) -> bool {
    let same_epoch = next.epoch() == prev.epoch() && prev.next() == Some(next);
    let new_epoch = next.epoch() > prev.epoch() && next.counter() == 1;
    same_epoch || new_epoch
}

/// The link of a record appended after `last` (the log's last zxid): `last`, unless the
/// newest snapshot below the record is later — the state then continued from a snapshot the
/// log does not reach (a SNAP sync, or a crash that lost unsynced records under a snapshot).
pub fn link(last: Zxid, snapshot_below: Option<Zxid>) -> Zxid {
    last.max(snapshot_below.unwrap_or(Zxid::ZERO))
}

/// Checks that `records`, as (link, zxid) pairs, continue the state at `base` without a
/// missing record: the first links to `base` or below, each later one to the record before
/// it. Zxids alone cannot show this — an epoch may have no transactions, so a log starting
/// at `2.1` looks complete from zero even when epoch 1 was purged.
pub fn check_continuity(
    base: Zxid,
    records: impl IntoIterator<Item = (Zxid, Zxid)>,
) -> Result<(), StorageError> {
    let mut prev = base;
    for (link, next) in records {
        let linked = match prev == base {
            true => link <= base,
            false => link == prev,
        };
        if !linked || !follows(prev, next) {
            return Err(StorageError::Gap { after: prev, next });
        }
        prev = next;
    }
    Ok(())
}

/// Whether the record `next` starts a new log file, given the current last file's first zxid
/// and size: a new epoch gets its own file (so an epoch's records can be found and purged
/// together), and a file at or over `max_size` is closed.
pub fn needs_roll(current: Option<(Zxid, u64)>, next: Zxid, max_size: u64) -> bool {
    match current {
        None => true,
        Some((start, size)) => start.epoch() != next.epoch() || size >= max_size,
    }
}

/// Which files `purge` deletes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurgePlan {
    /// The zxids of the snapshots to delete, older than the oldest kept.
    pub snapshots: Vec<Zxid>,
    /// The first zxids of the log files to delete, the oldest ones.
    pub logs: Vec<Zxid>,
}

/// The oldest snapshot purge keeps: the `keep`-th newest *valid* one (a corrupt newest
/// snapshot must not count, or purge would delete the only usable state). `valid_newest_first`
/// may stop once `keep` are found.
pub fn oldest_kept(valid_newest_first: &[Zxid], keep: usize) -> Option<Zxid> {
    valid_newest_first[..keep.min(valid_newest_first.len())]
        .last()
        .copied()
}

/// Deletes snapshots older than `oldest_kept`, and every log file before the one that holds
/// the records right after it (the newest file starting at or before it). With no valid
/// snapshot nothing is deleted: the log is then the only copy of the state.
pub fn purge_plan(snapshots: &[Zxid], logs: &[Zxid], oldest_kept: Option<Zxid>) -> PurgePlan {
    let Some(kept) = oldest_kept else {
        return PurgePlan::default();
    };
    let covering = logs.iter().rposition(|&start| start <= kept).unwrap_or(0);
    PurgePlan {
        snapshots: snapshots.iter().copied().filter(|&z| z < kept).collect(),
        logs: logs[..covering].to_vec(),
    }
}

/// Checks a truncation to `zxid` before anything is changed: the target must be known (in
/// the log, a snapshot's zxid, or zero), and recovery afterwards must still work — from the
/// newest snapshot at or below `zxid` (later ones go: they hold truncated transactions)
/// through the log up to `zxid`. `log_after` reads the log's (link, zxid) pairs above a
/// base.
pub fn check_truncate(
    zxid: Zxid,
    in_log: bool,
    snapshots: &[Zxid],
    log_after: impl FnOnce(Zxid) -> Result<Vec<(Zxid, Zxid)>, StorageError>,
) -> Result<(), StorageError> {
    if zxid != Zxid::ZERO && !in_log && !snapshots.contains(&zxid) {
        return Err(StorageError::NotInLog { zxid });
    }
    let base = snapshots
        .iter()
        .copied()
        .filter(|&s| s <= zxid)
        .max()
        .unwrap_or(Zxid::ZERO);
    let kept = log_after(base)?.into_iter().take_while(|&(_, z)| z <= zxid);
    check_continuity(base, kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn z(e: u32, c: u32) -> Zxid {
        Zxid::new(e, c)
    }

    #[test]
    fn storage_rules_successors() {
        assert!(follows(z(1, 4), z(1, 5)));
        assert!(follows(z(1, 4), z(3, 1)));
        assert!(follows(Zxid::ZERO, z(1, 1)));
        assert!(follows(z(2, 0), z(2, 1)));
        assert!(!follows(z(1, 4), z(1, 6)));
        assert!(!follows(z(1, 4), z(2, 2)));
        assert!(!follows(z(2, 4), z(1, 5)));
        let gap = check_continuity(z(1, 2), [(z(1, 2), z(1, 3)), (z(1, 3), z(1, 5))]);
        assert!(
            matches!(gap, Err(StorageError::Gap { after, next }) if after == z(1, 3) && next == z(1, 5))
        );
        // An epoch jump is fine only where the link says nothing is missing.
        assert!(check_continuity(Zxid::ZERO, [(Zxid::ZERO, z(2, 1))]).is_ok());
        let purged = check_continuity(Zxid::ZERO, [(z(1, 2), z(2, 1))]);
        assert!(matches!(purged, Err(StorageError::Gap { after, .. }) if after == Zxid::ZERO));
        let hole = check_continuity(Zxid::ZERO, [(Zxid::ZERO, z(1, 1)), (z(2, 4), z(3, 1))]);
        assert!(matches!(hole, Err(StorageError::Gap { after, .. }) if after == z(1, 1)));
        // The first record may link below the base: the snapshot holds what lies between.
        assert!(check_continuity(z(1, 5), [(z(1, 3), z(1, 6))]).is_ok());
        assert_eq!(link(z(1, 3), Some(z(1, 5))), z(1, 5));
        assert_eq!(link(z(1, 3), None), z(1, 3));
    }

    #[test]
    fn storage_rules_purge_keeps_the_covering_file() {
        let logs = [z(1, 1), z(1, 50), z(1, 100), z(2, 1)];
        let snaps = [z(1, 10), z(1, 60), z(1, 120)];
        let plan = purge_plan(&snaps, &logs, oldest_kept(&[z(1, 120), z(1, 60)], 2));
        assert_eq!(plan.snapshots, vec![z(1, 10)]);
        assert_eq!(plan.logs, vec![z(1, 1)]);
        // A snapshot exactly at a file start: the previous file holds nothing after it.
        let plan = purge_plan(&snaps, &logs, Some(z(1, 100)));
        assert_eq!(plan.logs, vec![z(1, 1), z(1, 50)]);
        assert_eq!(purge_plan(&snaps, &logs, None), PurgePlan::default());
    }
}
