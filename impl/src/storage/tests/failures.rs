//! A directory in use by another instance, and a log whose fsync fails.

use super::*;
use crate::storage::file::LOCK_FILE;
use crate::storage::DEFAULT_MAX_LOG_FILE_SIZE;

#[test]
fn a_second_storage_on_the_same_directory_is_refused_until_the_first_is_gone() {
    let f = FileDisk::new(DEFAULT_MAX_LOG_FILE_SIZE);
    let cfg = f.storage.config().clone();
    let err = FileStorage::open(cfg.clone())
        .err()
        .expect("the directory is locked");
    assert!(matches!(err, StorageError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("in use by another server"));
    assert!(f.dir.path().join(LOCK_FILE).exists());
    let dir = f.dir;
    drop(f.storage);
    FileStorage::open(cfg).expect("free again once the first instance is dropped");
    drop(dir);
}

#[test]
fn a_separate_log_directory_is_locked_too() {
    let snaps = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let cfg = FileConfig {
        snap_dir: snaps.path().into(),
        log_dir: logs.path().into(),
        ..FileConfig::new(snaps.path())
    };
    let _first = FileStorage::open(cfg.clone()).unwrap();
    let other_snaps = tempfile::tempdir().unwrap();
    let sharing_the_log = FileConfig {
        snap_dir: other_snaps.path().into(),
        ..cfg
    };
    let err = FileStorage::open(sharing_the_log).err().expect("refused");
    assert!(
        matches!(err, StorageError::Locked { dir } if dir == logs.path().display().to_string())
    );
}

#[test]
fn after_a_failed_fsync_the_log_refuses_writes_until_reopened_and_recovers_a_prefix() {
    let mut f = FileDisk::new(DEFAULT_MAX_LOG_FILE_SIZE);
    f.storage.append(&entries(1, 1, 3)).unwrap();
    f.storage.sync().unwrap();
    f.storage.append(&entries(1, 4, 5)).unwrap();
    f.storage.fail_next_sync();
    let err = f.storage.sync().unwrap_err();
    assert!(err.to_string().contains("injected fsync failure"), "{err}");
    // What reached the disk is unknown now: nothing more is accepted.
    assert!(matches!(
        f.storage.append(&entries(1, 6, 6)),
        Err(StorageError::Failed)
    ));
    assert!(matches!(f.storage.sync(), Err(StorageError::Failed)));
    assert!(matches!(
        f.storage.truncate_log(z(1, 2)),
        Err(StorageError::Failed)
    ));
    // The batch whose fsync failed was cut off the file: the page cache cannot hand it to
    // a restarted server as if it were durable.
    f.reopen().unwrap();
    let recovered = f.storage.recover().unwrap().entries;
    assert_eq!(recovered, entries(1, 1, 3), "exactly what was synced");
    f.storage.append(&entries(1, 4, 7)).unwrap();
    f.storage.sync().unwrap();
}
