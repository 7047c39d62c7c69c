//! The transaction log on disk: `log.<hex zxid>` files, each starting at its first record.
//! Appended records wait in memory until `sync`, which writes the batch and fsyncs once (a
//! process crash before then loses them, as ZooKeeper's buffered log stream does), or until
//! `start_sync`, which writes it and leaves the fsync to the sync thread (`flight.rs`).

mod cuts;
mod flight;

use super::fsx::{self, LOG_PREFIX};
use super::scan::{self, ScannedLog};
use crate::storage::error::{IoContext, StorageError};
use crate::storage::framing;
use crate::storage::report::TornTail;
use crate::storage::rules;
use crate::storage::LogRecord;
use crate::txn::TxnEntry;
use crate::zxid::Zxid;
use cuts::cut_back;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use flight::{SyncStart, Waker};

pub struct TxnLog {
    dir: PathBuf,
    max_size: u64,
    /// First zxids of the files on disk, ascending; none is empty.
    files: Vec<Zxid>,
    tail: Option<Tail>,
    pending: Vec<Pending>,
    last: Zxid,
    last_durable: Zxid,
    /// Set when a write or fsync failed: what is on disk is then unknown.
    poisoned: bool,
    fsyncs: u64,
    /// Torn tails cut off at open, until `recover` reports them.
    unreported: Vec<TornTail>,
    /// The sync thread's fsync of the last written batch, while it runs.
    flight: Option<flight::Flight>,
    /// The sync thread, from the first `start_sync` on.
    syncer: Option<flight::Syncer>,
    /// Called on the sync thread when an fsync ends.
    waker: Option<Waker>,
    /// A flight that landed inside another operation, until `land` reports it.
    landed: Option<std::time::Duration>,
    /// Fault injection: the next sync writes, then reports an fsync failure.
    #[cfg(test)]
    pub(crate) fail_next_sync: bool,
}

/// The last file, open for appending.
struct Tail {
    start: Zxid,
    /// Shared with the sync thread while it fsyncs.
    file: Arc<File>,
    /// What the last good fsync covered.
    len: u64,
}

struct Pending {
    record: LogRecord,
    frame: Vec<u8>,
}

impl TxnLog {
    /// Opens the log in `dir`, cutting off a torn tail of the last file (remembered for the
    /// recovery report).
    pub fn open(dir: &Path, max_size: u64) -> Result<TxnLog, StorageError> {
        let mut log = TxnLog {
            dir: dir.to_path_buf(),
            max_size,
            files: fsx::list(dir, LOG_PREFIX)?,
            tail: None,
            pending: Vec::new(),
            last: Zxid::ZERO,
            last_durable: Zxid::ZERO,
            poisoned: false,
            fsyncs: 0,
            unreported: Vec::new(),
            flight: None,
            syncer: None,
            waker: None,
            landed: None,
            #[cfg(test)]
            fail_next_sync: false,
        };
        log.repair_tail()?;
        Ok(log)
    }

    pub fn take_torn_tails(&mut self) -> Vec<TornTail> {
        std::mem::take(&mut self.unreported)
    }

    pub fn fsync_count(&self) -> u64 {
        self.fsyncs
    }

    pub fn starts(&self) -> &[Zxid] {
        &self.files
    }

    pub fn last(&self) -> Zxid {
        self.last
    }

    /// Whether records were appended since the last sync was written.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The last record a finished fsync covers.
    pub fn last_durable(&self) -> Zxid {
        self.last_durable
    }

    /// Makes file creations and removals durable; counted with the data fsyncs.
    fn fsync_dir(&mut self) -> Result<(), StorageError> {
        fsx::fsync_dir(&self.dir)?;
        self.fsyncs += 1;
        Ok(())
    }

    fn path(&self, start: Zxid) -> PathBuf {
        self.dir.join(fsx::file_name(LOG_PREFIX, start))
    }

    fn scan_file(
        &self,
        start: Zxid,
        tail_may_tear: bool,
    ) -> Result<(ScannedLog, u64), StorageError> {
        let path = self.path(start);
        let bytes = std::fs::read(&path).ctx(|| format!("reading {}", path.display()))?;
        let name = fsx::file_name(LOG_PREFIX, start);
        Ok((
            scan::scan(&name, start, &bytes, tail_may_tear)?,
            bytes.len() as u64,
        ))
    }

    /// Cuts the torn end of the last file; a last file left without records is removed and
    /// the one before it checked in turn.
    fn repair_tail(&mut self) -> Result<(), StorageError> {
        // Only the newest file can hold an incomplete write: each earlier one was fsynced
        // before the next was created, so damage there is corruption, even once the newest
        // (empty) file is gone.
        let mut may_tear = true;
        while let Some(&start) = self.files.last() {
            let (scanned, file_len) = self.scan_file(start, may_tear)?;
            may_tear = false;
            if scanned.torn.is_none() && !scanned.records.is_empty() {
                return self.open_tail(start, &scanned);
            }
            self.report_torn(start, &scanned, file_len);
            if scanned.records.is_empty() {
                fsx::remove(&self.dir, &fsx::file_name(LOG_PREFIX, start))?;
                self.fsync_dir()?;
                self.files.pop();
                continue;
            }
            self.cut(start, scanned.valid_len())?;
            return self.open_tail(start, &scanned);
        }
        self.tail = None;
        self.last = Zxid::ZERO;
        self.last_durable = Zxid::ZERO;
        Ok(())
    }

    fn report_torn(&mut self, start: Zxid, scanned: &ScannedLog, file_len: u64) {
        let (offset, reason) = match (&scanned.torn, scanned.records.is_empty()) {
            (_, true) => (0, "no complete record; file removed".to_string()),
            (Some((offset, reason)), false) => (*offset, reason.clone()),
            (None, false) => return,
        };
        self.unreported.push(TornTail {
            file: fsx::file_name(LOG_PREFIX, start),
            offset,
            dropped_bytes: file_len - offset,
            reason,
        });
    }

    fn cut(&mut self, start: Zxid, len: u64) -> Result<(), StorageError> {
        let path = self.path(start);
        let ctx = || format!("truncating {} to {len} bytes", path.display());
        let file = OpenOptions::new().write(true).open(&path).ctx(ctx)?;
        file.set_len(len).ctx(ctx)?;
        file.sync_all().ctx(ctx)?;
        self.fsyncs += 1;
        Ok(())
    }

    fn open_tail(&mut self, start: Zxid, scanned: &ScannedLog) -> Result<(), StorageError> {
        let path = self.path(start);
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .ctx(|| format!("opening {}", path.display()))?;
        let len = scanned.valid_len();
        // Its length, as this start found it, becomes durable: a cut after a failed fsync
        // in the server's previous life may have reached only the page cache.
        file.sync_all()
            .ctx(|| format!("fsync of {}", path.display()))?;
        self.tail = Some(Tail {
            start,
            file: Arc::new(file),
            len,
        });
        self.last_durable = scanned.last_zxid().unwrap_or(Zxid::ZERO);
        self.last = self.last_durable;
        Ok(())
    }

    fn check_usable(&self) -> Result<(), StorageError> {
        match self.poisoned {
            true => Err(StorageError::Failed),
            false => Ok(()),
        }
    }

    /// Appends `entries`, each linked per `rules::link` (`snapshot_below` gives the newest
    /// snapshot below a zxid).
    pub fn append(
        &mut self,
        entries: &[TxnEntry],
        snapshot_below: impl Fn(Zxid) -> Option<Zxid>,
    ) -> Result<(), StorageError> {
        self.check_usable()?;
        let mut last = self.last;
        let mut batch = Vec::with_capacity(entries.len());
        for entry in entries {
            let zxid = entry.zxid();
            if zxid <= last {
                return Err(StorageError::OutOfOrder { last, zxid });
            }
            let prev = rules::link(last, snapshot_below(zxid));
            last = zxid;
            let frame = framing::encode_record(prev, entry)?;
            let record = LogRecord {
                prev,
                entry: entry.clone(),
            };
            batch.push(Pending { record, frame });
        }
        self.pending.append(&mut batch);
        self.last = last;
        Ok(())
    }

    pub fn sync(&mut self) -> Result<(), StorageError> {
        self.join()?;
        self.check_usable()?;
        if self.pending.is_empty() {
            return Ok(());
        }
        let result = self.write_pending();
        // After a failed write or fsync the page cache may hold anything; refuse to go on.
        self.poisoned = result.is_err();
        result
    }

    fn write_pending(&mut self) -> Result<(), StorageError> {
        let pending = std::mem::take(&mut self.pending);
        let mut buf = Vec::new();
        let mut created = false;
        for p in &pending {
            let current = self
                .tail
                .as_ref()
                .map(|t| (t.start, t.len + buf.len() as u64));
            if rules::needs_roll(current, p.record.entry.zxid(), self.max_size) {
                self.flush(&mut buf)?;
                // A file is findable before any later one exists, so a crash can never
                // leave a later file without an earlier one.
                if created {
                    self.fsync_dir()?;
                }
                self.start_file(p.record.entry.zxid(), &mut buf)?;
                created = true;
            }
            buf.extend_from_slice(&p.frame);
        }
        self.flush(&mut buf)?;
        if created {
            self.fsync_dir()?;
        }
        self.last_durable = self.last;
        Ok(())
    }

    fn start_file(&mut self, start: Zxid, buf: &mut Vec<u8>) -> Result<(), StorageError> {
        let path = self.path(start);
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&path)
            .ctx(|| format!("creating {}", path.display()))?;
        self.files.push(start);
        self.tail = Some(Tail {
            start,
            file: Arc::new(file),
            len: 0,
        });
        buf.extend_from_slice(&framing::log_header());
        Ok(())
    }

    /// Writes `buf` to the last file and fsyncs it.
    fn flush(&mut self, buf: &mut Vec<u8>) -> Result<(), StorageError> {
        let Some(tail) = self.tail.as_mut() else {
            return Ok(());
        };
        if buf.is_empty() {
            return Ok(());
        }
        let ctx = || format!("appending to log.{:x}", tail.start.0);
        let written = (&*tail.file)
            .write_all(buf)
            .and_then(|()| tail.file.sync_data());
        #[cfg(test)]
        let written = match std::mem::take(&mut self.fail_next_sync) {
            true => Err(std::io::Error::other("injected fsync failure")),
            false => written,
        };
        if let Err(e) = written {
            return Err(cut_back(tail, e)).ctx(ctx);
        }
        tail.len += buf.len() as u64;
        buf.clear();
        self.fsyncs += 1;
        Ok(())
    }

    /// The records above `zxid`: from the files that can hold any, then the pending ones.
    pub fn read_after(&self, zxid: Zxid) -> Result<Vec<LogRecord>, StorageError> {
        let mut out = Vec::new();
        for (i, &start) in self.files.iter().enumerate() {
            let next = self.files.get(i + 1).copied();
            // A file ends before the next one starts: skip it when that is at or below zxid+1.
            if next.is_some_and(|n| n.0 <= zxid.0.saturating_add(1)) {
                continue;
            }
            let (scanned, _) = self.scan_file(start, false)?;
            check_boundary(start, &scanned, next)?;
            out.extend(
                scanned
                    .records
                    .into_iter()
                    .map(|(r, _)| r)
                    .filter(|r| r.entry.zxid() > zxid),
            );
        }
        out.extend(
            self.pending
                .iter()
                .map(|p| &p.record)
                .filter(|r| r.entry.zxid() > zxid)
                .cloned(),
        );
        Ok(out)
    }

    pub fn contains(&self, zxid: Zxid) -> Result<bool, StorageError> {
        if self.pending.iter().any(|p| p.record.entry.zxid() == zxid) {
            return Ok(true);
        }
        let Some(&start) = self.files.iter().rev().find(|&&s| s <= zxid) else {
            return Ok(false);
        };
        let (scanned, _) = self.scan_file(start, false)?;
        Ok(scanned.records.iter().any(|(r, _)| r.entry.zxid() == zxid))
    }
}

/// A file's records must all come before the next file's first.
fn check_boundary(
    start: Zxid,
    scanned: &ScannedLog,
    next: Option<Zxid>,
) -> Result<(), StorageError> {
    match (scanned.records.last(), next) {
        (Some((last, end)), Some(n)) if last.entry.zxid() >= n => Err(StorageError::corrupt(
            &fsx::file_name(LOG_PREFIX, start),
            *end,
            format!(
                "record {} is not below the next file's first zxid {n}",
                last.entry.zxid()
            ),
        )),
        _ => Ok(()),
    }
}
