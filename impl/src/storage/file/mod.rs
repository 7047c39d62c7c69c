//! The file backend: the transaction log in `log_dir`, snapshots and epoch files in
//! `snap_dir` (ZooKeeper's dataLogDir and dataDir; they may be the same directory).
//!
//! Opening repairs what a crash can leave behind — a torn end of the newest log file, temp
//! files of interrupted atomic writes — and `recover` reports it. Appended records live in
//! memory until `sync`, so dropping a `FileStorage` without syncing is exactly a crash.

mod fsx;
mod log_sync;
mod scan;
mod snap;
mod txn_log;

use super::error::StorageError;
use super::recovery;
use super::report::{PurgeReport, Recovered, RecoveryReport, Snapshot};
use super::rules;
use super::{EpochKind, LogRecord, SnapshotSource, Storage, DEFAULT_MAX_LOG_FILE_SIZE};
use crate::txn::TxnEntry;
use crate::zxid::Zxid;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use txn_log::TxnLog;
pub use txn_log::{SyncStart, Waker};

pub use fsx::{LOCK_FILE, LOG_PREFIX, SNAP_PREFIX, TEMP_SUFFIX};
pub use snap::SnapshotWriter;

/// The zxids of the `keep` newest snapshots in `snap_dir` that load and check out, newest
/// first: the slow part of a purge (each is read whole), which needs nothing of an open
/// `FileStorage`, so the server runs it off its core thread.
pub fn newest_valid_snapshots(snap_dir: &Path, keep: usize) -> Result<Vec<Zxid>, StorageError> {
    recovery::newest_valid(snap::list(snap_dir)?, keep, |z| snap::load(snap_dir, z))
}

/// `fsync.warningthresholdms`' default: ZooKeeper's 1,000 ms.
pub const DEFAULT_FSYNC_WARNING: std::time::Duration = std::time::Duration::from_secs(1);

/// Where a `FileStorage` keeps its files and when it starts a new log file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileConfig {
    /// Snapshots and the epoch files (ZooKeeper's dataDir).
    pub snap_dir: PathBuf,
    /// Transaction log files (ZooKeeper's dataLogDir): ideally a dedicated device, since
    /// every commit waits for its fsync.
    pub log_dir: PathBuf,
    /// A log file at or over this size is closed and the next record starts a new one.
    pub max_log_file_size: u64,
    /// A log sync (its write and fsync) slower than this is logged and counted
    /// (`fsync.warningthresholdms`, default 1 s, as ZooKeeper's).
    pub fsync_warning: std::time::Duration,
    /// A failing disk, for tests (`zab.fault.fsyncFailsAfter`): the log's fsyncs fail with
    /// EIO once this many have been made.
    #[cfg(feature = "faults")]
    pub fsync_fails_after: Option<u64>,
    /// A slow disk, for tests (`zab.fault.fsyncDelayMs`): every fsync of the log waits this
    /// long before it starts.
    #[cfg(feature = "faults")]
    pub fsync_delay: Option<std::time::Duration>,
    /// A slow disk, for tests (`zab.fault.snapshotDelayMs`): every snapshot write waits this
    /// long before it starts.
    #[cfg(feature = "faults")]
    pub snapshot_delay: Option<std::time::Duration>,
    /// A slow disk, for tests (`zab.fault.epochWriteDelayMs`): every epoch file write waits
    /// this long before it starts, so a synchronization (which writes two or three) is slow.
    #[cfg(feature = "faults")]
    pub epoch_write_delay: Option<std::time::Duration>,
}

impl FileConfig {
    /// Everything in `dir`, with the default log file size.
    pub fn new(dir: impl Into<PathBuf>) -> FileConfig {
        let dir = dir.into();
        FileConfig {
            snap_dir: dir.clone(),
            log_dir: dir,
            max_log_file_size: DEFAULT_MAX_LOG_FILE_SIZE,
            fsync_warning: DEFAULT_FSYNC_WARNING,
            #[cfg(feature = "faults")]
            fsync_fails_after: None,
            #[cfg(feature = "faults")]
            fsync_delay: None,
            #[cfg(feature = "faults")]
            snapshot_delay: None,
            #[cfg(feature = "faults")]
            epoch_write_delay: None,
        }
    }

    /// This configuration with log files closed at `bytes` instead of the default 64 MiB
    /// (small files make rolling and purge easy to exercise).
    pub fn with_max_log_file_size(mut self, bytes: u64) -> FileConfig {
        self.max_log_file_size = bytes;
        self
    }
}

/// The `Storage` backend on disk: one server's log, snapshots and epoch files, with its
/// directories locked (`zab.lock`) for as long as it is open.
pub struct FileStorage {
    cfg: FileConfig,
    log: TxnLog,
    /// Temp files removed at open, until `recover` reports them.
    removed_temp_files: Vec<String>,
    /// fsyncs of snapshot and epoch writes (two each: the file and its directory).
    other_fsyncs: u64,
    /// The snapshot zxids on disk, kept so appends can link records without listing the
    /// directory (`rules::link`).
    snapshots: BTreeSet<Zxid>,
    /// The directories' locks, held while this instance lives.
    _locks: Vec<std::fs::File>,
    /// Log syncs slower than `FileConfig::fsync_warning`.
    slow_syncs: u64,
}

impl FileStorage {
    /// Opens (creating the directories if needed) and repairs crash leftovers; call
    /// `recover` next for the state and a report of the repairs.
    pub fn open(cfg: FileConfig) -> Result<FileStorage, StorageError> {
        fsx::create_dir_durably(&cfg.snap_dir)?;
        if cfg.log_dir != cfg.snap_dir {
            fsx::create_dir_durably(&cfg.log_dir)?;
        }
        // Locked before anything is repaired: the repairs are only safe with no other writer.
        let mut locks = vec![fsx::lock_dir(&cfg.snap_dir)?];
        if cfg.log_dir != cfg.snap_dir {
            locks.push(fsx::lock_dir(&cfg.log_dir)?);
        }
        let mut removed_temp_files = fsx::remove_temp_files(&cfg.snap_dir)?;
        if cfg.log_dir != cfg.snap_dir {
            removed_temp_files.extend(fsx::remove_temp_files(&cfg.log_dir)?);
        }
        if !removed_temp_files.is_empty() {
            fsx::fsync_dir(&cfg.snap_dir)?;
            fsx::fsync_dir(&cfg.log_dir)?;
        }
        let log = TxnLog::open(&cfg.log_dir, cfg.max_log_file_size)?;
        let snapshots = snap::list(&cfg.snap_dir)?.into_iter().collect();
        Ok(FileStorage {
            cfg,
            log,
            removed_temp_files,
            other_fsyncs: 0,
            slow_syncs: 0,
            snapshots,
            _locks: locks,
        })
    }

    /// Lets go of the directories as a crashed process would, so a test can open them
    /// again while this instance still exists.
    #[cfg(test)]
    pub(crate) fn release_locks(&mut self) {
        self._locks.clear();
    }

    /// Makes the next log sync write its records and then fail as an fsync error would.
    #[cfg(test)]
    pub(crate) fn fail_next_sync(&mut self) {
        self.log.fail_next_sync = true;
    }

    /// The directories and log file size it was opened with.
    pub fn config(&self) -> &FileConfig {
        &self.cfg
    }

    /// Every fsync this instance issued (log data, directories, snapshots, epochs).
    pub fn fsync_count(&self) -> u64 {
        self.log.fsync_count() + self.other_fsyncs
    }

    /// Log syncs slower than `fsync.warningthresholdms` (ZooKeeper's
    /// `fsync_threshold_exceed_count`).
    pub fn slow_syncs(&self) -> u64 {
        self.slow_syncs
    }

    /// Counts slow log syncs from zero again (`srst`).
    pub fn reset_slow_syncs(&mut self) {
        self.slow_syncs = 0;
    }

    /// The first zxids of the log files on disk, ascending.
    pub fn log_file_starts(&self) -> Vec<Zxid> {
        self.log.starts().to_vec()
    }

    /// The path of the log file starting at `start` (for operators and fault injection).
    pub fn log_file_path(&self, start: Zxid) -> PathBuf {
        self.cfg.log_dir.join(fsx::file_name(LOG_PREFIX, start))
    }

    /// The path of the snapshot file at `zxid` (whether it exists or not).
    pub fn snapshot_path(&self, zxid: Zxid) -> PathBuf {
        self.cfg.snap_dir.join(fsx::file_name(SNAP_PREFIX, zxid))
    }

    /// A writer of snapshot files for another thread; tell `snapshot_written` of each file
    /// it writes. Its writes must not overlap `save_snapshot` or `truncate_log`, which may
    /// write or remove the same files.
    pub fn snapshot_writer(&self) -> SnapshotWriter {
        SnapshotWriter {
            dir: self.cfg.snap_dir.clone(),
            #[cfg(feature = "faults")]
            delay: self.cfg.snapshot_delay,
        }
    }

    /// `snapshot_writer` wrote the snapshot at `zxid`: later appends may link to it.
    pub fn snapshot_written(&mut self, zxid: Zxid) {
        self.snapshots.insert(zxid);
        self.other_fsyncs += 2;
    }

    /// Where the snapshots are (for `newest_valid_snapshots` on another thread).
    pub fn snap_dir(&self) -> &Path {
        &self.cfg.snap_dir
    }

    /// The second half of `purge`, for a snapshot check that ran elsewhere: `valid` is what
    /// `newest_valid_snapshots` found, newest first. Deletes the snapshots older than the
    /// oldest of the `keep` newest of them, and the log files only those needed; snapshots
    /// saved since the check are newer, and stay.
    pub fn purge_checked(
        &mut self,
        keep: usize,
        valid: &[Zxid],
    ) -> Result<PurgeReport, StorageError> {
        let snapshots = self.snapshot_zxids()?;
        let plan = rules::purge_plan(
            &snapshots,
            self.log.starts(),
            rules::oldest_kept(valid, keep),
        );
        self.remove_snapshots(&plan.snapshots)?;
        self.log.remove_oldest(&plan.logs)?;
        Ok(PurgeReport {
            snapshots_removed: plan.snapshots,
            log_files_removed: plan.logs,
        })
    }

    /// Deletes snapshots newest first, each deletion durable before the log changes.
    fn remove_snapshots(&mut self, zxids: &[Zxid]) -> Result<(), StorageError> {
        if zxids.is_empty() {
            return Ok(());
        }
        for &z in zxids.iter().rev() {
            snap::remove(&self.cfg.snap_dir, z)?;
            self.snapshots.remove(&z);
        }
        fsx::fsync_dir(&self.cfg.snap_dir)?;
        self.other_fsyncs += 1;
        Ok(())
    }
}

impl Storage for FileStorage {
    fn append(&mut self, entries: &[TxnEntry]) -> Result<(), StorageError> {
        let snapshots = &self.snapshots;
        let below = |z: Zxid| snapshots.range(..z).next_back().copied();
        self.log.append(entries, below)
    }

    fn sync(&mut self) -> Result<(), StorageError> {
        self.check_fault()?;
        // A started fsync lands first (`sync_landed` still reports it, timed on its thread).
        self.log.join()?;
        if !self.log.has_pending() {
            // Nothing to write, or to wait for; a log that failed still says so.
            return self.log.sync();
        }
        let started = std::time::Instant::now();
        if let Some(delay) = self.fsync_delay() {
            std::thread::sleep(delay);
        }
        self.log.sync()?;
        self.note_sync(started.elapsed());
        Ok(())
    }

    fn last_logged_zxid(&self) -> Zxid {
        self.log.last()
    }

    fn read_records_after(&self, zxid: Zxid) -> Result<Vec<LogRecord>, StorageError> {
        self.log.read_after(zxid)
    }

    fn truncate_log(&mut self, zxid: Zxid) -> Result<(), StorageError> {
        let in_log = self.log.contains(zxid)?;
        let snapshots = self.snapshot_zxids()?;
        rules::check_truncate(zxid, in_log, &snapshots, |base| {
            let records = self.log.read_after(base)?;
            Ok(records.iter().map(|r| (r.prev, r.entry.zxid())).collect())
        })?;
        // Later snapshots go first: if the log were cut first, a crash in between would
        // leave a snapshot holding transactions the log no longer has (ZOOKEEPER-1549).
        let later: Vec<Zxid> = snapshots.into_iter().filter(|&s| s > zxid).collect();
        self.remove_snapshots(&later)?;
        self.log.truncate(zxid)
    }

    fn purge(&mut self, keep: usize) -> Result<PurgeReport, StorageError> {
        if keep == 0 {
            return Err(StorageError::InvalidArgument(
                "purge must keep a snapshot".into(),
            ));
        }
        let valid = newest_valid_snapshots(self.snap_dir(), keep)?;
        self.purge_checked(keep, &valid)
    }

    fn save_snapshot_from(
        &mut self,
        zxid: Zxid,
        data: &dyn SnapshotSource,
    ) -> Result<(), StorageError> {
        self.snapshot_writer().write(zxid, data)?;
        self.snapshot_written(zxid);
        Ok(())
    }

    fn snapshot_zxids(&self) -> Result<Vec<Zxid>, StorageError> {
        snap::list(self.snap_dir())
    }

    fn load_snapshot(&self, zxid: Zxid) -> Result<Snapshot, StorageError> {
        snap::load(self.snap_dir(), zxid)
    }

    fn epoch(&self, kind: EpochKind) -> Result<Option<u32>, StorageError> {
        snap::read_epoch(self.snap_dir(), kind)
    }

    fn set_epoch(&mut self, kind: EpochKind, epoch: u32) -> Result<(), StorageError> {
        #[cfg(feature = "faults")]
        if let Some(delay) = self.cfg.epoch_write_delay {
            std::thread::sleep(delay);
        }
        snap::write_epoch(self.snap_dir(), kind, epoch)?;
        self.other_fsyncs += 2;
        Ok(())
    }

    fn recover(&mut self) -> Result<Recovered, StorageError> {
        let report = RecoveryReport {
            torn_tails: self.log.take_torn_tails(),
            skipped_snapshots: Vec::new(),
            removed_temp_files: std::mem::take(&mut self.removed_temp_files),
            repaired_current_epoch: None,
        };
        recovery::recover(self, report)
    }
}
