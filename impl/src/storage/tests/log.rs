//! The transaction log on both backends: append, group commit, crash, truncation, rolling
//! to new files, purge.

use super::*;
use crate::storage::DEFAULT_MAX_LOG_FILE_SIZE;

#[test]
fn storage_append_sync_read() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        let name = b.name();
        let s = b.storage();
        assert_eq!(s.last_logged_zxid(), Zxid::ZERO);
        assert_eq!(s.read_log_after(Zxid::ZERO).unwrap(), vec![]);
        s.append(&entries(1, 1, 3)).unwrap();
        // Unsynced records are readable (the leader serves DIFFs from them).
        assert_eq!(s.last_logged_zxid(), z(1, 3), "{}", name);
        let s = b.storage();
        s.sync().unwrap();
        s.append(&entries(1, 4, 5)).unwrap();
        s.sync().unwrap();
        assert_eq!(s.read_log_after(Zxid::ZERO).unwrap(), entries(1, 1, 5));
        assert_eq!(s.read_log_after(z(1, 3)).unwrap(), entries(1, 4, 5));
        assert_eq!(s.read_log_after(z(1, 5)).unwrap(), vec![]);
        b.crash();
        let r = b.storage().recover().unwrap();
        assert_eq!(r.last_zxid(), z(1, 5));
        assert!(r.report.is_clean());
        assert_eq!(
            (r.snapshot, r.entries),
            (None, entries(1, 1, 5)),
            "{}",
            name
        );
    }
}

#[test]
fn storage_group_commit_is_one_fsync_per_batch() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        let name = b.name();
        b.storage().append(&entries(1, 1, 1)).unwrap();
        b.storage().sync().unwrap();
        for (batch, first) in [(1, 2), (10, 3), (100, 13)] {
            let before = b.syncs();
            for c in first..first + batch {
                b.storage().append(&[entry(1, c)]).unwrap();
            }
            b.storage().sync().unwrap();
            assert_eq!(b.syncs() - before, 1, "{}: batch of {batch}", name);
        }
        // Nothing appended, nothing to fsync.
        let before = b.syncs();
        b.storage().sync().unwrap();
        assert_eq!(b.syncs(), before, "{}", name);
        assert_eq!(b.storage().last_logged_zxid(), z(1, 112));
    }
}

#[test]
fn storage_crash_loses_only_unsynced_records() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        let name = b.name();
        let s = b.storage();
        s.append(&entries(1, 1, 3)).unwrap();
        s.sync().unwrap();
        s.append(&entries(1, 4, 6)).unwrap();
        b.crash();
        let s = b.storage();
        assert_eq!(s.last_logged_zxid(), z(1, 3), "{}", name);
        assert_eq!(s.recover().unwrap().entries, entries(1, 1, 3));
        // The log goes on from the durable end.
        s.append(&entries(1, 4, 4)).unwrap();
        s.sync().unwrap();
        b.crash();
        assert_eq!(b.storage().recover().unwrap().entries, entries(1, 1, 4));
    }
}

#[test]
fn storage_append_out_of_order_appends_nothing() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        let name = b.name();
        let s = b.storage();
        s.append(&entries(1, 1, 3)).unwrap();
        let err = s
            .append(&[entry(1, 4), entry(1, 6), entry(1, 5)])
            .unwrap_err();
        assert!(
            matches!(err, StorageError::OutOfOrder { last, zxid } if last == z(1, 6) && zxid == z(1, 5)),
            "{}: {err}",
            name
        );
        let err = s.append(&[entry(1, 3)]).unwrap_err();
        assert!(matches!(err, StorageError::OutOfOrder { .. }));
        assert_eq!(s.last_logged_zxid(), z(1, 3));
        s.sync().unwrap();
        assert_eq!(s.read_log_after(Zxid::ZERO).unwrap(), entries(1, 1, 3));
    }
}

#[test]
fn storage_truncate_cuts_durably() {
    for mut b in backends(records_per_file(2)) {
        let name = b.name();
        let s = b.storage();
        s.append(&entries(1, 1, 6)).unwrap();
        s.sync().unwrap();
        s.append(&entries(1, 7, 8)).unwrap();
        // Into the unsynced part, then into the synced files.
        s.truncate_log(z(1, 7)).unwrap();
        assert_eq!(s.last_logged_zxid(), z(1, 7), "{}", name);
        s.truncate_log(z(1, 3)).unwrap();
        assert_eq!(s.last_logged_zxid(), z(1, 3));
        assert_eq!(b.log_starts(), vec![z(1, 1), z(1, 3)], "{}", name);
        b.crash();
        assert_eq!(b.storage().recover().unwrap().entries, entries(1, 1, 3));
        // The cut file takes appends again, and rolls where it would have.
        b.storage().append(&entries(1, 4, 5)).unwrap();
        b.storage().sync().unwrap();
        assert_eq!(b.log_starts(), vec![z(1, 1), z(1, 3), z(1, 5)], "{}", name);
        b.storage().truncate_log(Zxid::ZERO).unwrap();
        b.crash();
        assert_eq!(b.storage().last_logged_zxid(), Zxid::ZERO, "{}", name);
        assert_eq!(b.log_starts(), vec![]);
    }
}

#[test]
fn storage_truncate_refuses_unknown_zxids() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        let name = b.name();
        let s = b.storage();
        s.append(&entries(1, 1, 3)).unwrap();
        s.sync().unwrap();
        for bad in [z(1, 4), z(2, 1), z(0, 7)] {
            let err = s.truncate_log(bad).unwrap_err();
            assert!(
                matches!(err, StorageError::NotInLog { zxid } if zxid == bad),
                "{name}: {err}"
            );
        }
        assert_eq!(s.read_log_after(Zxid::ZERO).unwrap(), entries(1, 1, 3));
    }
}

#[test]
fn storage_truncate_drops_later_snapshots() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        let name = b.name();
        let s = b.storage();
        s.append(&entries(1, 1, 6)).unwrap();
        s.sync().unwrap();
        for c in [2, 3, 5] {
            s.save_snapshot(z(1, c), &[c as u8]).unwrap();
        }
        s.truncate_log(z(1, 3)).unwrap();
        // ZOOKEEPER-1549: the snapshot at 1.5 holds truncated transactions.
        assert_eq!(
            s.snapshot_zxids().unwrap(),
            vec![z(1, 2), z(1, 3)],
            "{}",
            name
        );
        b.crash();
        let r = b.storage().recover().unwrap();
        assert_eq!(
            r.snapshot.map(|s| (s.zxid, s.data)),
            Some((z(1, 3), vec![3]))
        );
        assert_eq!(r.entries, vec![]);
    }
}

#[test]
fn storage_truncate_to_a_snapshot_zxid_outside_the_log() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        let name = b.name();
        let s = b.storage();
        // A SNAP sync: the state arrives as a snapshot, the log holds a divergent tail.
        s.append(&entries(1, 1, 2)).unwrap();
        s.sync().unwrap();
        s.save_snapshot(z(2, 4), b"leader state").unwrap();
        s.append(&entries(3, 1, 1)).unwrap();
        s.truncate_log(z(2, 4)).unwrap();
        assert_eq!(s.last_logged_zxid(), z(1, 2), "{}", name);
        let r = s.recover().unwrap();
        assert_eq!(
            (r.snapshot.map(|s| s.zxid), r.entries),
            (Some(z(2, 4)), vec![])
        );
    }
}

#[test]
fn storage_truncate_refuses_to_leave_a_gap() {
    for mut b in backends(records_per_file(3)) {
        let name = b.name();
        let s = b.storage();
        s.append(&entries(1, 1, 9)).unwrap();
        s.sync().unwrap();
        s.save_snapshot(z(1, 8), b"s").unwrap();
        let report = s.purge(1).unwrap();
        assert_eq!(report.log_files_removed, vec![z(1, 1), z(1, 4)], "{}", name);
        // 1.7 is logged, but what precedes it was purged and its snapshot would be dropped.
        let err = s.truncate_log(z(1, 7)).unwrap_err();
        assert!(
            matches!(err, StorageError::Gap { after, next } if after == Zxid::ZERO && next == z(1, 7)),
            "{}: {err}",
            name
        );
        assert_eq!(s.snapshot_zxids().unwrap(), vec![z(1, 8)]);
        assert_eq!(s.last_logged_zxid(), z(1, 9));
    }
}

#[test]
fn storage_new_log_file_per_epoch() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        let name = b.name();
        let s = b.storage();
        s.append(&entries(1, 1, 3)).unwrap();
        s.append(&entries(2, 1, 2)).unwrap();
        s.sync().unwrap();
        s.append(&entries(4, 1, 1)).unwrap();
        s.sync().unwrap();
        assert_eq!(b.log_starts(), vec![z(1, 1), z(2, 1), z(4, 1)], "{}", name);
        b.crash();
        let all = [entries(1, 1, 3), entries(2, 1, 2), entries(4, 1, 1)].concat();
        assert_eq!(b.storage().recover().unwrap().entries, all, "{}", name);
    }
}

#[test]
fn storage_new_log_file_per_size() {
    for mut b in backends(records_per_file(3)) {
        let name = b.name();
        b.storage().append(&entries(1, 1, 10)).unwrap();
        b.storage().sync().unwrap();
        let starts = vec![z(1, 1), z(1, 4), z(1, 7), z(1, 10)];
        assert_eq!(b.log_starts(), starts, "{}", name);
        b.crash();
        assert_eq!(b.log_starts(), starts, "{}", name);
        assert_eq!(b.storage().recover().unwrap().entries, entries(1, 1, 10));
    }
}

#[test]
fn storage_group_commit_across_new_files() {
    let mut file = FileDisk::new(records_per_file(3));
    file.storage.append(&entries(1, 1, 7)).unwrap();
    file.storage.sync().unwrap();
    // Three files: each written and fsynced once, each creation made durable by a
    // directory fsync before the next file exists (and after the last).
    assert_eq!(file.storage.fsync_count(), 6);
}

/// Records 1.1 ..= 1.10, synced, and snapshots at 1.2, 1.5 and 1.8: what the purge tests
/// purge from.
fn records_and_snapshots_at_2_5_8(s: &mut dyn Storage) {
    s.append(&entries(1, 1, 10)).unwrap();
    s.sync().unwrap();
    for c in [2, 5, 8] {
        s.save_snapshot(z(1, c), &[c as u8]).unwrap();
    }
}

#[test]
fn storage_purge_keeps_what_the_last_snapshots_need() {
    for mut b in backends(records_per_file(3)) {
        let name = b.name();
        let s = b.storage();
        records_and_snapshots_at_2_5_8(s);
        let report = s.purge(2).unwrap();
        assert_eq!(report.snapshots_removed, vec![z(1, 2)], "{}", name);
        // The file starting at 1.4 holds 1.6 and 1.7, which 1.5 needs.
        assert_eq!(report.log_files_removed, vec![z(1, 1)], "{}", name);
        assert_eq!(b.log_starts(), vec![z(1, 4), z(1, 7), z(1, 10)]);
        // Recovery falls back to 1.5 if 1.8 turns out damaged.
        b.damage_snapshot(z(1, 8));
        b.crash();
        let r = b.storage().recover().unwrap();
        assert_eq!(r.snapshot.map(|s| s.zxid), Some(z(1, 5)), "{}", name);
        assert_eq!(r.entries, entries(1, 6, 10));
        let err = b.storage().purge(0).unwrap_err();
        assert!(matches!(err, StorageError::InvalidArgument(_)));
    }
}

#[test]
fn storage_purge_does_not_count_damaged_snapshots() {
    for mut b in backends(records_per_file(3)) {
        let name = b.name();
        let s = b.storage();
        records_and_snapshots_at_2_5_8(s);
        b.damage_snapshot(z(1, 8));
        let report = b.storage().purge(1).unwrap();
        assert_eq!(report.snapshots_removed, vec![z(1, 2)], "{}", name);
        assert_eq!(report.log_files_removed, vec![z(1, 1)]);
        let r = b.storage().recover().unwrap();
        assert_eq!(r.snapshot.map(|s| s.zxid), Some(z(1, 5)));
        assert_eq!(r.report.skipped_snapshots.len(), 1);
        // With no valid snapshot, the log is the only copy: nothing goes.
        let mut mem = MemStorage::new(records_per_file(3));
        mem.append(&entries(1, 1, 10)).unwrap();
        mem.sync().unwrap();
        assert_eq!(mem.purge(3).unwrap(), Default::default());
    }
}

/// A purge whose snapshot check ran on another thread while the storage went on: the
/// check saw 1.2, 1.5 and 1.8; a snapshot at 1.10 saved after it stays, and so does all
/// the check kept; only what the check allows goes.
#[test]
fn a_purge_checked_elsewhere_keeps_what_was_saved_since() {
    let mut disk = FileDisk::new(records_per_file(3));
    records_and_snapshots_at_2_5_8(&mut disk.storage);
    let snap_dir = disk.storage.snap_dir().to_path_buf();
    let valid = std::thread::spawn(move || {
        crate::storage::file::newest_valid_snapshots(&snap_dir, 2).unwrap()
    })
    .join()
    .unwrap();
    assert_eq!(valid, vec![z(1, 8), z(1, 5)]);
    disk.storage.save_snapshot(z(1, 10), &[10]).unwrap();
    let report = disk.storage.purge_checked(2, &valid).unwrap();
    assert_eq!(report.snapshots_removed, vec![z(1, 2)]);
    assert_eq!(report.log_files_removed, vec![z(1, 1)]);
    assert_eq!(
        disk.storage.snapshot_zxids().unwrap(),
        vec![z(1, 5), z(1, 8), z(1, 10)]
    );
}

#[test]
fn storage_truncate_refuses_to_lose_a_purged_epoch() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        let name = b.name();
        let s = b.storage();
        s.append(&entries(1, 1, 2)).unwrap();
        s.append(&entries(2, 1, 3)).unwrap();
        s.sync().unwrap();
        s.save_snapshot(z(2, 2), b"s").unwrap();
        assert_eq!(
            s.purge(1).unwrap().log_files_removed,
            vec![z(1, 1)],
            "{name}"
        );
        // Cutting to 2.1 drops the snapshot; the log's 2.1 would look like the first
        // transaction ever (epochs may be empty) but it links to the purged 1.2.
        let err = s.truncate_log(z(2, 1)).unwrap_err();
        assert!(
            matches!(err, StorageError::Gap { after, next } if after == Zxid::ZERO && next == z(2, 1)),
            "{name}: {err}"
        );
        assert_eq!(s.snapshot_zxids().unwrap(), vec![z(2, 2)], "{name}");
        assert_eq!(s.last_logged_zxid(), z(2, 3));
    }
}
