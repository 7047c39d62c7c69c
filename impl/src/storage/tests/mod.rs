//! Storage tests. Behaviour the backends share runs against both (`backends`); damage to
//! files is the file backend's alone (`damage`); `model` checks that random histories of
//! operations leave both backends, and a plain model of them, in the same state.

mod background_sync;
mod damage;
mod driver;
mod epochs;
mod failures;
mod log;
mod model;
mod snapshots;

use super::{FileConfig, FileStorage, MemStorage, Storage, StorageError};
use crate::txn::{Txn, TxnEntry, TxnHeader};
use crate::zxid::Zxid;
use tempfile::TempDir;

pub fn z(epoch: u32, counter: u32) -> Zxid {
    Zxid::new(epoch, counter)
}

/// A record whose encoded size does not depend on its zxid (fixed-width integers, a
/// one-byte payload), so tests can compute where log files roll.
pub fn entry(epoch: u32, counter: u32) -> TxnEntry {
    TxnEntry {
        header: TxnHeader {
            session_id: 7,
            cxid: counter as i32,
            zxid: z(epoch, counter),
            time: 1_700_000_000_000,
        },
        txn: Txn::SetData {
            path: "/v".into(),
            data: vec![counter as u8].into(),
            version: counter as i32,
        },
    }
}

/// Records `first..=last` of one epoch.
pub fn entries(epoch: u32, first: u32, last: u32) -> Vec<TxnEntry> {
    (first..=last).map(|c| entry(epoch, c)).collect()
}

/// The bytes one `entry` takes in a log file.
pub fn record_len() -> u64 {
    super::framing::record_len(&entry(1, 1)).expect("a test record encodes")
}

/// A log file size limit that closes each file after `n` records.
pub fn records_per_file(n: u64) -> u64 {
    super::framing::LOG_HEADER_LEN as u64 + n * record_len()
}

/// A backend under test, with what the trait leaves out: crashing and counting syncs.
pub trait Backend {
    fn name(&self) -> &'static str;
    fn storage(&mut self) -> &mut dyn Storage;
    /// Power loss: unsynced records are gone; the backend is reopened.
    fn crash(&mut self);
    /// fsyncs of the transaction log (the memory backend: syncs that wrote something).
    fn syncs(&self) -> u64;
    fn log_starts(&self) -> Vec<Zxid>;
    /// Makes the snapshot at `zxid` fail validation.
    fn damage_snapshot(&mut self, zxid: Zxid);
}

impl Backend for MemStorage {
    fn name(&self) -> &'static str {
        "mem"
    }
    fn storage(&mut self) -> &mut dyn Storage {
        self
    }
    fn crash(&mut self) {
        MemStorage::crash(self)
    }
    fn syncs(&self) -> u64 {
        self.sync_count()
    }
    fn log_starts(&self) -> Vec<Zxid> {
        self.log_file_starts()
    }
    fn damage_snapshot(&mut self, zxid: Zxid) {
        assert!(
            MemStorage::damage_snapshot(self, zxid),
            "no snapshot {zxid}"
        );
    }
}

/// A `FileStorage` in its own temporary directory.
pub struct FileDisk {
    pub dir: TempDir,
    pub storage: FileStorage,
}

impl FileDisk {
    pub fn new(max_log_file_size: u64) -> FileDisk {
        let dir = tempfile::tempdir().expect("a temp dir");
        let cfg = FileConfig::new(dir.path()).with_max_log_file_size(max_log_file_size);
        let storage = FileStorage::open(cfg).expect("opening an empty dir");
        FileDisk { dir, storage }
    }

    /// Opens the directory afresh (as after a crash), returning what opening says.
    pub fn reopen(&mut self) -> Result<(), StorageError> {
        let cfg = self.storage.config().clone();
        self.storage.release_locks();
        self.storage = FileStorage::open(cfg)?;
        Ok(())
    }
}

impl Backend for FileDisk {
    fn name(&self) -> &'static str {
        "file"
    }
    fn storage(&mut self) -> &mut dyn Storage {
        &mut self.storage
    }
    fn crash(&mut self) {
        self.reopen().expect("reopening after a crash");
    }
    fn syncs(&self) -> u64 {
        self.storage.fsync_count()
    }
    fn log_starts(&self) -> Vec<Zxid> {
        self.storage.log_file_starts()
    }
    fn damage_snapshot(&mut self, zxid: Zxid) {
        flip_byte(&self.storage.snapshot_path(zxid), -1);
    }
}

/// Both backends, each closing log files at `max_log_file_size`.
pub fn backends(max_log_file_size: u64) -> Vec<Box<dyn Backend>> {
    vec![
        Box::new(MemStorage::new(max_log_file_size)),
        Box::new(FileDisk::new(max_log_file_size)),
    ]
}

/// Inverts the byte at `offset` (from the end when negative).
pub fn flip_byte(path: &std::path::Path, offset: i64) {
    let mut bytes = std::fs::read(path).expect("reading a file to damage");
    let at = match offset < 0 {
        true => bytes.len() - offset.unsigned_abs() as usize,
        false => offset as usize,
    };
    bytes[at] ^= 0xff;
    std::fs::write(path, bytes).expect("writing a damaged file");
}
