//! What shortens the log: a TRUNC, the removal of old files by a purge, and cutting a batch
//! off again after its write or fsync failed.

use super::fsx::{self, LOG_PREFIX};
use super::{Tail, TxnLog};
use crate::storage::error::StorageError;
use crate::zxid::Zxid;

impl TxnLog {
    /// Keeps the records up to `zxid`, durably.
    pub fn truncate(&mut self, zxid: Zxid) -> Result<(), StorageError> {
        self.join()?;
        self.check_usable()?;
        if zxid >= self.last_durable {
            self.pending.retain(|p| p.record.entry.zxid() <= zxid);
            self.last = self
                .pending
                .last()
                .map_or(self.last_durable, |p| p.record.entry.zxid());
            return Ok(());
        }
        self.pending.clear();
        let result = self.truncate_files(zxid);
        self.poisoned = result.is_err();
        result
    }

    fn truncate_files(&mut self, zxid: Zxid) -> Result<(), StorageError> {
        self.tail = None;
        // Newest first, each removal durable before the next: a crash part-way leaves a
        // shorter log, never a later file without the earlier ones.
        while let Some(&start) = self.files.last().filter(|&&s| s > zxid) {
            fsx::remove(&self.dir, &fsx::file_name(LOG_PREFIX, start))?;
            self.fsync_dir()?;
            self.files.pop();
        }
        let Some(&start) = self.files.last() else {
            self.last = Zxid::ZERO;
            self.last_durable = Zxid::ZERO;
            return Ok(());
        };
        let (mut scanned, _) = self.scan_file(start, false)?;
        scanned.records.retain(|(r, _)| r.entry.zxid() <= zxid);
        self.cut(start, scanned.valid_len())?;
        self.open_tail(start, &scanned)
    }

    /// Removes the oldest files, `starts` (a prefix of `starts()` that excludes the last).
    pub fn remove_oldest(&mut self, starts: &[Zxid]) -> Result<(), StorageError> {
        for &start in starts {
            if self.files.len() < 2 || self.files[0] != start {
                return Err(StorageError::InvalidArgument(format!(
                    "log.{:x} is not an old log file",
                    start.0
                )));
            }
            fsx::remove(&self.dir, &fsx::file_name(LOG_PREFIX, start))?;
            self.files.remove(0);
        }
        self.fsync_dir()
    }
}

/// After a failed write or fsync: Linux marks the pages of a failed fsync clean, so the page
/// cache would hand the batch to a restarted server as if it were durable. The file is cut
/// back to what the last good fsync covered; the error says if that failed too.
pub(super) fn cut_back(tail: &Tail, e: std::io::Error) -> std::io::Error {
    let cut = tail
        .file
        .set_len(tail.len)
        .and_then(|()| tail.file.sync_all());
    match cut {
        Ok(()) => e,
        Err(cut) => std::io::Error::other(format!(
            "{e}; cutting the file back to its last synced {} bytes failed too: {cut}",
            tail.len
        )),
    }
}
