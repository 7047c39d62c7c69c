//! Snapshots: storing, replacing, recovery from the newest valid one, and damaged files.

use super::*;
use crate::storage::framing::{FORMAT_VERSION, SNAP_HEADER_LEN};
use crate::storage::{Snapshot, DEFAULT_MAX_LOG_FILE_SIZE};
use std::fs;

#[test]
fn storage_snapshot_save_load_replace() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        let name = b.name();
        let s = b.storage();
        let err = s.load_snapshot(z(1, 3)).unwrap_err();
        assert!(
            matches!(err, StorageError::NoSnapshot { zxid } if zxid == z(1, 3)),
            "{err}"
        );
        s.save_snapshot(z(1, 3), b"first").unwrap();
        s.save_snapshot(z(1, 1), b"").unwrap();
        s.save_snapshot(z(1, 3), b"second").unwrap();
        assert_eq!(
            s.snapshot_zxids().unwrap(),
            vec![z(1, 1), z(1, 3)],
            "{name}"
        );
        let want = Snapshot {
            zxid: z(1, 3),
            data: b"second".to_vec(),
        };
        assert_eq!(s.load_snapshot(z(1, 3)).unwrap(), want, "{name}");
        assert_eq!(s.load_snapshot(z(1, 1)).unwrap().data, Vec::<u8>::new());
        b.crash();
        assert_eq!(b.storage().load_snapshot(z(1, 3)).unwrap(), want, "{name}");
    }
}

#[test]
fn storage_recovery_is_newest_snapshot_plus_log() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        let name = b.name();
        let s = b.storage();
        s.append(&entries(1, 1, 4)).unwrap();
        s.sync().unwrap();
        s.save_snapshot(z(1, 2), b"at 2").unwrap();
        s.save_snapshot(z(1, 4), b"at 4").unwrap();
        s.append(&[entry(1, 5), entry(2, 1)]).unwrap();
        s.sync().unwrap();
        b.crash();
        let r = b.storage().recover().unwrap();
        assert_eq!(
            r.snapshot.as_ref().map(|s| &s.data[..]),
            Some(&b"at 4"[..]),
            "{name}"
        );
        assert_eq!(r.entries, vec![entry(1, 5), entry(2, 1)], "{name}");
        assert_eq!(r.last_zxid(), z(2, 1));
        assert!(r.report.is_clean(), "{name}: {}", r.report);
    }
}

#[test]
fn storage_damaged_snapshot_falls_back_to_the_previous() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        let name = b.name();
        let s = b.storage();
        s.append(&entries(1, 1, 6)).unwrap();
        s.sync().unwrap();
        s.save_snapshot(z(1, 2), b"at 2").unwrap();
        s.save_snapshot(z(1, 4), b"at 4").unwrap();
        b.damage_snapshot(z(1, 4));
        b.crash();
        let r = b.storage().recover().unwrap();
        assert_eq!(r.snapshot.map(|s| s.zxid), Some(z(1, 2)), "{name}");
        assert_eq!(r.entries, entries(1, 3, 6), "{name}");
        assert_eq!(r.report.skipped_snapshots.len(), 1, "{name}");
        assert_eq!(r.report.skipped_snapshots[0].zxid, z(1, 4));
        assert!(r
            .report
            .to_string()
            .contains("skipped snapshot 0x100000004"));
        // The damaged one still errs when asked for directly.
        let err = b.storage().load_snapshot(z(1, 4)).unwrap_err();
        assert!(matches!(err, StorageError::Corrupt { .. }), "{name}: {err}");
    }
}

#[test]
fn storage_fallback_without_the_log_it_needs_is_an_error() {
    for mut b in backends(records_per_file(2)) {
        let name = b.name();
        let s = b.storage();
        s.append(&entries(1, 1, 6)).unwrap();
        s.sync().unwrap();
        s.save_snapshot(z(1, 5), b"at 5").unwrap();
        s.purge(1).unwrap();
        b.damage_snapshot(z(1, 5));
        // No snapshot left to use, and the log starts at 1.5: a gap, not an empty state.
        let err = b.storage().recover().unwrap_err();
        assert!(
            matches!(err, StorageError::Gap { after, next } if after == Zxid::ZERO && next == z(1, 5)),
            "{name}: {err}"
        );
    }
}

/// Saves a snapshot at 1.3 in a fresh file backend and returns the backend and the path.
fn one_snapshot() -> (FileDisk, std::path::PathBuf) {
    let mut f = FileDisk::new(DEFAULT_MAX_LOG_FILE_SIZE);
    f.storage.save_snapshot(z(1, 3), b"state bytes").unwrap();
    let path = f.storage.snapshot_path(z(1, 3));
    (f, path)
}

fn corrupt_reason(f: &FileDisk, zxid: Zxid) -> (String, u64) {
    match f.storage.load_snapshot(zxid) {
        Err(StorageError::Corrupt { file, offset, .. }) => (file, offset),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn storage_snapshot_file_format_and_atomic_replace() {
    let (mut f, path) = one_snapshot();
    let bytes = fs::read(&path).unwrap();
    assert_eq!(&bytes[0..4], b"ZABS");
    assert_eq!(bytes.len(), SNAP_HEADER_LEN + b"state bytes".len());
    assert_eq!(&bytes[SNAP_HEADER_LEN..], b"state bytes");
    f.storage.save_snapshot(z(1, 3), b"new").unwrap();
    let names: Vec<String> = fs::read_dir(f.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != crate::storage::file::LOCK_FILE)
        .collect();
    assert_eq!(
        names,
        vec!["snapshot.100000003".to_string()],
        "no temp file left"
    );
}

#[test]
fn storage_interrupted_snapshot_write_is_removed_and_reported() {
    let (mut f, path) = one_snapshot();
    // A crash mid-replace: the temp file holds a partial new snapshot.
    let tmp = f.dir.path().join("snapshot.100000003.tmp");
    fs::write(&tmp, b"ZABS partial").unwrap();
    f.reopen().unwrap();
    assert!(!tmp.exists());
    let r = f.storage.recover().unwrap();
    assert_eq!(r.report.removed_temp_files, vec!["snapshot.100000003.tmp"]);
    assert_eq!(r.snapshot.unwrap().data, b"state bytes");
    assert!(path.exists());
    // Reported once: a second recovery has nothing new to say.
    assert!(f.storage.recover().unwrap().report.is_clean());
}

#[test]
fn storage_bad_snapshot_bytes_are_errors() {
    let (f, path) = one_snapshot();
    let good = fs::read(&path).unwrap();
    let cases: Vec<(Vec<u8>, u64)> = vec![
        (good[..10].to_vec(), 0),                    // shorter than the header
        (b"not a snapshot at all, no".repeat(2), 0), // bad magic
        (good[..good.len() - 1].to_vec(), 16),       // data cut short
        ([&good[..], b"x"].concat(), 16),            // trailing bytes
        (flipped(&good, SNAP_HEADER_LEN + 2), 24),   // data damaged
        (flipped(&good, 9), 8),                      // zxid in the header damaged
    ];
    for (bytes, offset) in cases {
        fs::write(&path, &bytes).unwrap();
        assert_eq!(
            corrupt_reason(&f, z(1, 3)),
            ("snapshot.100000003".into(), offset)
        );
    }
    // A file named for another zxid is not that zxid's snapshot.
    fs::write(&path, &good).unwrap();
    fs::rename(&path, f.storage.snapshot_path(z(1, 4))).unwrap();
    assert_eq!(corrupt_reason(&f, z(1, 4)).1, 8);
    let mut future = good.clone();
    future[4..8].copy_from_slice(&(FORMAT_VERSION + 1).to_be_bytes());
    fs::write(f.storage.snapshot_path(z(1, 4)), &future).unwrap();
    let err = f.storage.load_snapshot(z(1, 4)).unwrap_err();
    assert!(
        matches!(err, StorageError::UnknownVersion { found, .. } if found == FORMAT_VERSION + 1)
    );
}

#[test]
fn storage_a_newer_format_snapshot_stops_recovery() {
    let (mut f, path) = one_snapshot();
    let mut bytes = fs::read(&path).unwrap();
    bytes[4..8].copy_from_slice(&(FORMAT_VERSION + 1).to_be_bytes());
    fs::write(&path, bytes).unwrap();
    // Falling back past a snapshot this build cannot read would silently lose its state.
    let err = f.storage.recover().unwrap_err();
    assert!(matches!(err, StorageError::UnknownVersion { .. }), "{err}");
}

fn flipped(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at] ^= 0xff;
    out
}

#[test]
fn storage_log_after_a_snap_sync_does_not_bridge_the_hole() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        let name = b.name();
        let s = b.storage();
        s.append(&entries(1, 1, 2)).unwrap();
        s.sync().unwrap();
        // SNAP: the leader's state at 2.4 arrives whole; the log goes on from there.
        s.save_snapshot(z(2, 4), b"leader state").unwrap();
        s.truncate_log(z(2, 4)).unwrap();
        s.append(&entries(3, 1, 2)).unwrap();
        s.sync().unwrap();
        let r = s.recover().unwrap();
        assert_eq!(
            (r.snapshot.map(|s| s.zxid), r.entries),
            (Some(z(2, 4)), entries(3, 1, 2))
        );
        // Without the snapshot, 1.1 1.2 3.1 3.2 would pass for a history (epoch 2 empty);
        // 3.1's link says it follows 2.4, so epoch 2's transactions are missing.
        b.damage_snapshot(z(2, 4));
        b.crash();
        let err = b.storage().recover().unwrap_err();
        assert!(
            matches!(err, StorageError::Gap { after, next } if after == z(1, 2) && next == z(3, 1)),
            "{name}: {err}"
        );
    }
}
