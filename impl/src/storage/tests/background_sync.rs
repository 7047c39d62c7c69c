//! The log's fsync on its sync thread (`FileStorage::start_sync`): one batch in flight, its
//! records readable meanwhile and durable once it lands; truncation, `sync` and failures
//! with a batch in flight.

use super::*;
use crate::storage::file::SyncStart;
use crate::storage::DEFAULT_MAX_LOG_FILE_SIZE;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A log whose first file holds record 1 (a batch that starts a file is synced in place).
fn started_log(max_log_file_size: u64) -> FileDisk {
    let mut f = FileDisk::new(max_log_file_size);
    f.storage.append(&entries(1, 1, 1)).unwrap();
    assert_eq!(f.storage.start_sync().unwrap(), SyncStart::Durable);
    f
}

#[test]
fn a_started_fsync_lands_and_its_records_are_durable() {
    let mut f = started_log(DEFAULT_MAX_LOG_FILE_SIZE);
    let woken = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&woken);
    f.storage.set_sync_waker(Arc::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    }));
    f.storage.append(&entries(1, 2, 3)).unwrap();
    let before = f.storage.fsync_count();
    assert_eq!(f.storage.start_sync().unwrap(), SyncStart::Started);
    // Written, so readable (a leader serves DIFFs from it), whether or not it landed.
    assert_eq!(
        f.storage.read_log_after(Zxid::ZERO).unwrap(),
        entries(1, 1, 3)
    );
    assert!(f.storage.sync_landed(true).unwrap());
    assert_eq!(f.storage.durable_zxid(), z(1, 3));
    assert_eq!(f.storage.fsync_count(), before + 1);
    assert_eq!(woken.load(Ordering::SeqCst), 1, "the waker ran once");
    assert!(!f.storage.sync_landed(false).unwrap(), "reported once");
    f.crash();
    assert_eq!(f.storage.recover().unwrap().entries, entries(1, 1, 3));
}

#[test]
fn one_fsync_flies_at_a_time_and_later_appends_wait_for_the_next() {
    let mut f = started_log(DEFAULT_MAX_LOG_FILE_SIZE);
    f.storage.append(&entries(1, 2, 2)).unwrap();
    assert_eq!(f.storage.start_sync().unwrap(), SyncStart::Started);
    f.storage.append(&entries(1, 3, 4)).unwrap();
    assert!(matches!(
        f.storage.start_sync(),
        Err(StorageError::InvalidArgument(_))
    ));
    assert!(f.storage.sync_landed(true).unwrap());
    assert_eq!(f.storage.durable_zxid(), z(1, 2), "not the later appends");
    assert_eq!(f.storage.start_sync().unwrap(), SyncStart::Started);
    assert!(f.storage.sync_landed(true).unwrap());
    assert_eq!(f.storage.durable_zxid(), z(1, 4));
    assert_eq!(
        f.storage.start_sync().unwrap(),
        SyncStart::Durable,
        "nothing appended"
    );
    f.crash();
    assert_eq!(f.storage.recover().unwrap().entries, entries(1, 1, 4));
}

/// A TRUNC while a batch's fsync runs waits for it, and the landing is still reported, with
/// the truncated end as what is durable: the replica must not hear the cut records are.
#[test]
fn a_truncation_waits_for_the_fsync_in_flight_which_is_reported_after() {
    let mut f = started_log(DEFAULT_MAX_LOG_FILE_SIZE);
    f.storage.append(&entries(1, 2, 5)).unwrap();
    assert_eq!(f.storage.start_sync().unwrap(), SyncStart::Started);
    f.storage.truncate_log(z(1, 3)).unwrap();
    assert!(f.storage.sync_landed(false).unwrap());
    assert_eq!(f.storage.durable_zxid(), z(1, 3));
    f.storage.append(&entries(2, 1, 1)).unwrap();
    f.storage.sync().unwrap();
    f.crash();
    let mut expected = entries(1, 1, 3);
    expected.extend(entries(2, 1, 1));
    assert_eq!(f.storage.recover().unwrap().entries, expected);
}

#[test]
fn a_failed_fsync_in_flight_stops_the_log_and_cuts_its_batch_off() {
    let mut f = started_log(DEFAULT_MAX_LOG_FILE_SIZE);
    f.storage.append(&entries(1, 2, 3)).unwrap();
    f.storage.sync().unwrap();
    f.storage.append(&entries(1, 4, 5)).unwrap();
    f.storage.fail_next_sync();
    assert_eq!(f.storage.start_sync().unwrap(), SyncStart::Started);
    let err = f.storage.sync_landed(true).unwrap_err();
    assert!(err.to_string().contains("injected fsync failure"), "{err}");
    assert!(matches!(
        f.storage.append(&entries(1, 6, 6)),
        Err(StorageError::Failed)
    ));
    assert!(matches!(f.storage.start_sync(), Err(StorageError::Failed)));
    f.reopen().unwrap();
    assert_eq!(f.storage.recover().unwrap().entries, entries(1, 1, 3));
}

/// A batch that starts a new log file is synced in place: a later file's records must
/// never be durable while an earlier file's end is not.
#[test]
fn a_batch_that_starts_a_new_file_is_synced_in_place() {
    let mut f = started_log(records_per_file(2));
    f.storage.append(&entries(1, 2, 2)).unwrap();
    assert_eq!(f.storage.start_sync().unwrap(), SyncStart::Started);
    assert!(f.storage.sync_landed(true).unwrap());
    f.storage.append(&entries(1, 3, 3)).unwrap();
    assert_eq!(f.storage.start_sync().unwrap(), SyncStart::Durable);
    assert_eq!(f.storage.durable_zxid(), z(1, 3));
    assert_eq!(f.storage.log_file_starts(), vec![z(1, 1), z(1, 3)]);
}
