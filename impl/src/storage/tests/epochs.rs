//! The epoch files, and turning recovered state into a replica's `Durable`.

use super::*;
use crate::storage::{recover_durable, to_durable, EpochKind, Recovered, Snapshot};
use crate::storage::{RecoveryReport, DEFAULT_MAX_LOG_FILE_SIZE};
use std::fs;

#[test]
fn storage_epochs_are_durable_and_independent() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        let name = b.name();
        let s = b.storage();
        assert_eq!(s.epoch(EpochKind::Accepted).unwrap(), None, "{name}");
        assert_eq!(s.epoch(EpochKind::Current).unwrap(), None);
        s.set_epoch(EpochKind::Accepted, 3).unwrap();
        s.set_epoch(EpochKind::Current, 2).unwrap();
        s.set_epoch(EpochKind::Accepted, 4).unwrap();
        b.crash();
        let s = b.storage();
        assert_eq!(s.epoch(EpochKind::Accepted).unwrap(), Some(4), "{name}");
        assert_eq!(s.epoch(EpochKind::Current).unwrap(), Some(2), "{name}");
    }
}

#[test]
fn storage_epoch_files_are_zookeepers() {
    let mut f = FileDisk::new(DEFAULT_MAX_LOG_FILE_SIZE);
    f.storage.set_epoch(EpochKind::Accepted, 12).unwrap();
    f.storage
        .set_epoch(EpochKind::Current, 4_000_000_000)
        .unwrap();
    let read = |n: &str| fs::read_to_string(f.dir.path().join(n)).unwrap();
    assert_eq!(read("acceptedEpoch"), "12");
    assert_eq!(read("currentEpoch"), "4000000000");
    // A file ZooKeeper (or an operator) wrote with a newline reads the same.
    fs::write(f.dir.path().join("acceptedEpoch"), "13\n").unwrap();
    assert_eq!(f.storage.epoch(EpochKind::Accepted).unwrap(), Some(13));
}

#[test]
fn storage_bad_epoch_file_is_an_error() {
    let mut f = FileDisk::new(DEFAULT_MAX_LOG_FILE_SIZE);
    for bad in ["", "x1", "-1", "99999999999", "1 2"] {
        fs::write(f.dir.path().join("currentEpoch"), bad).unwrap();
        let err = f.storage.epoch(EpochKind::Current).unwrap_err();
        assert!(
            matches!(&err, StorageError::Corrupt { file, .. } if file == "currentEpoch"),
            "{bad:?}: {err}"
        );
    }
    // A crash mid-write leaves the temp file; the epoch is the old one.
    f.storage.set_epoch(EpochKind::Current, 5).unwrap();
    fs::write(f.dir.path().join("currentEpoch.tmp"), "6").unwrap();
    f.reopen().unwrap();
    assert_eq!(f.storage.epoch(EpochKind::Current).unwrap(), Some(5));
    let r = f.storage.recover().unwrap();
    assert_eq!(r.report.removed_temp_files, vec!["currentEpoch.tmp"]);
}

fn recovered(snapshot: Option<u32>, log: Vec<TxnEntry>) -> Recovered {
    Recovered {
        snapshot: snapshot.map(|c| Snapshot {
            zxid: z(2, c),
            data: vec![c as u8],
        }),
        entries: log,
        report: RecoveryReport::default(),
    }
}

#[test]
fn storage_durable_from_recovery() {
    let d = to_durable(recovered(Some(3), entries(2, 4, 5)), Some(4), Some(3), None).unwrap();
    assert_eq!((d.accepted_epoch, d.current_epoch), (4, 3));
    assert_eq!(
        d.snapshot.map(|(z, b)| (z, b.to_vec())),
        Some((z(2, 3), vec![3]))
    );
    assert_eq!(d.log, entries(2, 4, 5));
    // Missing files default to the last zxid's epoch (a fresh server: zero).
    let d = to_durable(recovered(None, entries(2, 1, 1)), None, None, None).unwrap();
    assert_eq!((d.accepted_epoch, d.current_epoch), (2, 2));
    let d = to_durable(recovered(None, vec![]), None, None, None).unwrap();
    assert_eq!(
        (d.accepted_epoch, d.current_epoch, d.snapshot),
        (0, 0, None)
    );
}

#[test]
fn storage_durable_refuses_contradicting_epochs() {
    for (accepted, current) in [(Some(2), Some(1)), (Some(1), Some(2)), (Some(1), None)] {
        let err = to_durable(recovered(Some(3), vec![]), accepted, current, None).unwrap_err();
        assert!(
            matches!(err, StorageError::Inconsistent(_)),
            "{accepted:?} {current:?}: {err}"
        );
    }
}

#[test]
fn storage_durable_repairs_current_epoch_only_behind_a_live_updating_marker() {
    // The log reached epoch 2 (the last zxid 2.5) while currentEpoch is still 1.
    let behind = || recovered(Some(3), entries(2, 4, 5));
    // A NEWLEADER handling of epoch 2 or later began and did not write its epoch: repaired
    // to the last zxid's epoch.
    for updating in [2, 3] {
        let d = to_durable(behind(), Some(3), Some(1), Some(updating)).unwrap();
        assert_eq!(
            (d.accepted_epoch, d.current_epoch),
            (3, 2),
            "marker {updating}"
        );
    }
    // No marker, a stale one (not above currentEpoch) or one below the log: refused.
    for updating in [None, Some(1), Some(0)] {
        let err = to_durable(behind(), Some(3), Some(1), updating).unwrap_err();
        assert!(matches!(err, StorageError::Inconsistent(_)), "{updating:?}");
    }
    let below = to_durable(recovered(None, entries(3, 1, 1)), Some(3), Some(1), Some(2));
    assert!(
        below.is_err(),
        "a marker below the log's epoch does not explain it"
    );
    // A marker with nothing to repair changes nothing.
    let d = to_durable(recovered(Some(3), vec![]), Some(3), Some(2), Some(3)).unwrap();
    assert_eq!(d.current_epoch, 2);
}

#[test]
fn storage_recovery_writes_the_repaired_current_epoch_on_both_backends() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        let name = b.name();
        let s = b.storage();
        s.set_epoch(EpochKind::Accepted, 2).unwrap();
        s.set_epoch(EpochKind::Current, 0).unwrap();
        // NEWLEADER(2) begins, logs the synced 1.1 and 1.2, then the server crashes.
        s.set_epoch(EpochKind::Updating, 2).unwrap();
        s.append(&entries(1, 1, 2)).unwrap();
        s.sync().unwrap();
        b.crash();
        let (d, report) = recover_durable(b.storage()).unwrap();
        assert_eq!((d.accepted_epoch, d.current_epoch), (2, 1), "{name}");
        assert_eq!(report.repaired_current_epoch, Some(1), "{name}");
        assert!(
            report.to_string().contains("currentEpoch set to 1"),
            "{name}"
        );
        assert_eq!(
            b.storage().epoch(EpochKind::Current).unwrap(),
            Some(1),
            "{name}"
        );
        let (_, again) = recover_durable(b.storage()).unwrap();
        assert!(again.is_clean(), "{name}: repaired once");
    }
}

#[test]
fn storage_recover_durable_on_both_backends() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        let name = b.name();
        let s = b.storage();
        s.append(&entries(1, 1, 3)).unwrap();
        s.sync().unwrap();
        s.save_snapshot(z(1, 2), b"two").unwrap();
        s.set_epoch(EpochKind::Accepted, 2).unwrap();
        s.set_epoch(EpochKind::Current, 1).unwrap();
        b.crash();
        let (d, report) = recover_durable(b.storage()).unwrap();
        assert!(report.is_clean(), "{name}");
        assert_eq!((d.accepted_epoch, d.current_epoch), (2, 1), "{name}");
        assert_eq!(
            d.snapshot.map(|(z, b)| (z, b.to_vec())),
            Some((z(1, 2), b"two".to_vec()))
        );
        assert_eq!(d.log, entries(1, 3, 3), "{name}");
    }
}
