//! Damaged log files: a torn or corrupt end of the newest file is cut off and reported;
//! damage anywhere else, or missing records, is an error.

use super::*;
use crate::storage::framing::{self, FORMAT_VERSION, LOG_HEADER_LEN};
use crate::storage::{TornTail, DEFAULT_MAX_LOG_FILE_SIZE};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

/// A file backend holding records 1.1 ..= 1.`n`, synced, and its single log file.
fn logged(n: u32) -> (FileDisk, PathBuf) {
    let mut f = FileDisk::new(DEFAULT_MAX_LOG_FILE_SIZE);
    f.storage.append(&entries(1, 1, n)).unwrap();
    f.storage.sync().unwrap();
    let path = f.storage.log_file_path(z(1, 1));
    (f, path)
}

/// Where record `i` (0-based) of a log file starts.
fn record_at(i: u64) -> u64 {
    LOG_HEADER_LEN as u64 + i * record_len()
}

fn append_bytes(path: &PathBuf, bytes: &[u8]) {
    let mut file = OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(bytes).unwrap();
}

fn file_len(path: &PathBuf) -> u64 {
    fs::metadata(path).unwrap().len()
}

/// Reopens and recovers; expects exactly one torn tail, and that the file was cut to it.
fn recover_torn(f: &mut FileDisk, path: &PathBuf) -> (Vec<TxnEntry>, TornTail) {
    f.reopen().unwrap();
    let r = f.storage.recover().unwrap();
    assert_eq!(r.report.torn_tails.len(), 1, "{:?}", r.report);
    let torn = r.report.torn_tails[0].clone();
    assert_eq!(torn.file, "log.100000001");
    if path.exists() {
        assert_eq!(file_len(path), torn.offset);
    }
    (r.entries, torn)
}

#[test]
fn storage_partial_record_is_cut_and_reported() {
    let (mut f, path) = logged(5);
    let whole = framing::encode_record(z(1, 5), &entry(1, 6)).unwrap();
    for cut in [1, 7, 8, whole.len() - 1] {
        append_bytes(&path, &whole[..cut]);
        let (entries_left, torn) = recover_torn(&mut f, &path);
        assert_eq!(entries_left, entries(1, 1, 5), "cut at {cut}");
        assert_eq!(
            (torn.offset, torn.dropped_bytes),
            (record_at(5), cut as u64)
        );
    }
    // The repaired log takes appends and recovers cleanly.
    f.storage.append(&entries(1, 6, 7)).unwrap();
    f.storage.sync().unwrap();
    f.reopen().unwrap();
    let r = f.storage.recover().unwrap();
    assert!(r.report.is_clean(), "{}", r.report);
    assert_eq!(r.entries, entries(1, 1, 7));
}

#[test]
fn storage_zero_filled_tail_is_cut() {
    let (mut f, path) = logged(3);
    append_bytes(&path, &[0; 4096]);
    let (left, torn) = recover_torn(&mut f, &path);
    assert_eq!(left, entries(1, 1, 3));
    assert_eq!((torn.offset, torn.dropped_bytes), (record_at(3), 4096));
    assert!(
        torn.reason.contains("zero record length"),
        "{}",
        torn.reason
    );
}

#[test]
fn storage_damaged_last_record_is_cut_and_reported() {
    let (mut f, path) = logged(5);
    flip_byte(&path, -1);
    let (left, torn) = recover_torn(&mut f, &path);
    assert_eq!(left, entries(1, 1, 4));
    assert_eq!(
        (torn.offset, torn.dropped_bytes),
        (record_at(4), record_len())
    );
    assert!(torn.reason.contains("crc mismatch"), "{}", torn.reason);
}

#[test]
fn storage_damaged_middle_record_is_an_error() {
    for at in [record_at(2) + 1, record_at(2) + 10, record_at(2) + 20] {
        let (mut f, path) = logged(5);
        flip_byte(&path, at as i64);
        let err = f.reopen().unwrap_err();
        assert!(
            matches!(&err, StorageError::Corrupt { file, offset, reason }
                if file == "log.100000001" && *offset == record_at(2) && reason.contains("valid records follow")),
            "byte {at}: {err}"
        );
        // Nothing was cut: the records after the damage are still on disk.
        assert_eq!(file_len(&path), record_at(5));
    }
}

#[test]
fn storage_damage_in_an_older_log_file_is_an_error() {
    let mut f = FileDisk::new(records_per_file(3));
    f.storage.append(&entries(1, 1, 7)).unwrap();
    f.storage.sync().unwrap();
    // The last record of the first file: in the newest file this would be a torn tail.
    flip_byte(&f.storage.log_file_path(z(1, 1)), -1);
    f.reopen().unwrap();
    let err = f.storage.recover().unwrap_err();
    assert!(
        matches!(&err, StorageError::Corrupt { file, offset, .. } if file == "log.100000001" && *offset == record_at(2)),
        "{err}"
    );
}

#[test]
fn storage_empty_newest_file_is_removed_but_not_the_one_before() {
    let (mut f, path) = logged(3);
    // A crash right after creating the next file: it has no header yet.
    let next = f.storage.log_file_path(z(2, 1));
    fs::write(&next, b"").unwrap();
    f.reopen().unwrap();
    let r = f.storage.recover().unwrap();
    assert_eq!(r.entries, entries(1, 1, 3));
    assert_eq!(r.report.torn_tails[0].file, "log.200000001");
    assert!(!next.exists());
    // With the newest file empty, a damaged end of the one before is not a torn write.
    fs::write(&next, b"ZA").unwrap();
    flip_byte(&path, -1);
    let err = f.reopen().unwrap_err();
    assert!(matches!(err, StorageError::Corrupt { .. }), "{err}");
}

#[test]
fn storage_zeroed_header_with_records_after_it_is_an_error() {
    let (mut f, path) = logged(5);
    let mut bytes = fs::read(&path).unwrap();
    bytes[..LOG_HEADER_LEN].fill(0);
    fs::write(&path, &bytes).unwrap();
    let err = f.reopen().unwrap_err();
    assert!(
        matches!(&err, StorageError::Corrupt { file, offset: 0, reason }
            if file == "log.100000001" && reason.contains("valid records follow")),
        "{err}"
    );
    // Nothing was removed: the five records are still on disk.
    assert_eq!(file_len(&path), record_at(5));
}

#[test]
fn storage_zeroed_newest_file_is_a_torn_creation() {
    let (mut f, _) = logged(3);
    // A crash while creating the next file: its size reached the disk, its bytes did not.
    let next = f.storage.log_file_path(z(2, 1));
    fs::write(&next, vec![0u8; LOG_HEADER_LEN + 3 * record_len() as usize]).unwrap();
    f.reopen().unwrap();
    let r = f.storage.recover().unwrap();
    assert_eq!(r.entries, entries(1, 1, 3));
    assert_eq!(r.report.torn_tails[0].file, "log.200000001");
    assert!(!next.exists());
}

#[test]
fn storage_missing_log_file_is_a_gap() {
    let mut f = FileDisk::new(records_per_file(3));
    f.storage.append(&entries(1, 1, 9)).unwrap();
    f.storage.sync().unwrap();
    fs::remove_file(f.storage.log_file_path(z(1, 4))).unwrap();
    f.reopen().unwrap();
    let err = f.storage.recover().unwrap_err();
    assert!(
        matches!(err, StorageError::Gap { after, next } if after == z(1, 3) && next == z(1, 7)),
        "{err}"
    );
}

#[test]
fn storage_log_file_headers_are_checked() {
    let (mut f, path) = logged(2);
    let good = fs::read(&path).unwrap();
    let mut bad_magic = good.clone();
    bad_magic[0] = b'X';
    fs::write(&path, &bad_magic).unwrap();
    let err = f.reopen().unwrap_err();
    assert!(
        matches!(err, StorageError::Corrupt { offset: 0, .. }),
        "{err}"
    );
    let mut future = good.clone();
    future[4..8].copy_from_slice(&(FORMAT_VERSION + 1).to_be_bytes());
    fs::write(&path, &future).unwrap();
    let err = f.reopen().unwrap_err();
    assert!(
        matches!(err, StorageError::UnknownVersion { found, .. } if found == FORMAT_VERSION + 1)
    );
    // Logs of format 1 (bincode's encoding) and 2 (no session passwords) are refused with
    // both versions named, never decoded as today's records.
    for old in [1u32, 2] {
        let mut older = good.clone();
        older[4..8].copy_from_slice(&old.to_be_bytes());
        fs::write(&path, &older).unwrap();
        let err = f.reopen().unwrap_err();
        assert!(
            matches!(
                err,
                StorageError::UnknownVersion { found, supported: 3, .. } if found == old
            ),
            "{err}"
        );
        assert!(err
            .to_string()
            .contains(&format!("format version {old}; this build reads version 3")));
    }
}

#[test]
fn storage_log_file_not_matching_its_name_is_an_error() {
    let (mut f, path) = logged(2);
    // Renamed: the first record is 1.1, the name says 1.9.
    fs::rename(&path, f.storage.log_file_path(z(1, 9))).unwrap();
    let err = f.reopen().unwrap_err();
    assert!(
        matches!(&err, StorageError::Corrupt { file, reason, .. } if file == "log.100000009" && reason.contains("file name says")),
        "{err}"
    );
}

#[test]
fn storage_huge_length_field_is_not_trusted() {
    let (mut f, path) = logged(3);
    // The last record claims 4 GiB: a torn tail, cut without reading or allocating it.
    let mut bytes = fs::read(&path).unwrap();
    let at = record_at(2) as usize;
    bytes[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    fs::write(&path, bytes).unwrap();
    let (left, torn) = recover_torn(&mut f, &path);
    assert_eq!(left, entries(1, 1, 2));
    assert!(torn.reason.contains("over the"), "{}", torn.reason);
}

#[test]
fn storage_foreign_files_are_ignored() {
    let (mut f, _) = logged(2);
    for name in ["log.01", "log.zz", "snapshot.", "notes.txt", "snapshot.1x"] {
        fs::write(f.dir.path().join(name), b"whatever").unwrap();
    }
    f.reopen().unwrap();
    let r = f.storage.recover().unwrap();
    assert_eq!((r.snapshot, r.entries), (None, entries(1, 1, 2)));
    assert!(r.report.is_clean());
}
