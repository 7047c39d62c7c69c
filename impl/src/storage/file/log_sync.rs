//! The file backend's side of the log's sync thread (`txn_log/flight.rs`): starting and
//! landing a batch's fsync, and what a log sync counts and logs.

use super::{FileStorage, SyncStart, Waker};
use crate::storage::error::StorageError;
use crate::zxid::Zxid;

impl FileStorage {
    /// Writes what was appended and starts its fsync on the log's sync thread (`Started`; one
    /// at a time: `sync_landed` says when it ends), or finds it durable (`Durable`: nothing
    /// was appended, or a batch that starts a new log file was synced here). `sync` and
    /// every other change to the log wait for a started fsync first.
    pub fn start_sync(&mut self) -> Result<SyncStart, StorageError> {
        self.check_fault()?;
        let started = std::time::Instant::now();
        let start = self.log.start_sync(self.fsync_delay())?;
        if start == SyncStart::Durable {
            self.note_sync(started.elapsed());
        }
        Ok(start)
    }

    /// Whether the started fsync has ended (`block`: waits for it), its records now durable;
    /// its failure is the error, and the log then refuses everything.
    pub fn sync_landed(&mut self, block: bool) -> Result<bool, StorageError> {
        let took = self.log.land(block)?;
        if let Some(took) = took {
            self.note_sync(took);
        }
        Ok(took.is_some())
    }

    /// The last log record a finished fsync covers: what `Input::Fsynced` tells the
    /// replica. Not a started fsync's last record: a truncation may have cut it meanwhile.
    pub fn durable_zxid(&self) -> Zxid {
        self.log.last_durable()
    }

    /// Sets what the sync thread calls when an fsync ends.
    pub fn set_sync_waker(&mut self, waker: Waker) {
        self.log.set_waker(waker);
    }

    /// A failing disk, for tests (`zab.fault.fsyncFailsAfter`).
    pub(super) fn check_fault(&self) -> Result<(), StorageError> {
        #[cfg(feature = "faults")]
        if self
            .cfg
            .fsync_fails_after
            .is_some_and(|n| self.log.fsync_count() >= n)
        {
            return Err(StorageError::Io {
                context: "fsync of the transaction log (zab.fault.fsyncFailsAfter)".into(),
                source: std::io::Error::from_raw_os_error(5),
            });
        }
        Ok(())
    }

    /// A slow disk, for tests (`zab.fault.fsyncDelayMs`).
    pub(super) fn fsync_delay(&self) -> Option<std::time::Duration> {
        #[cfg(feature = "faults")]
        if let Some(delay) = self.cfg.fsync_delay {
            return Some(delay);
        }
        None
    }

    /// A log sync that took `took`: over `fsync.warningthresholdms` it is logged and counted.
    pub(super) fn note_sync(&mut self, took: std::time::Duration) {
        if took > self.cfg.fsync_warning {
            self.slow_syncs += 1;
            tracing::warn!(
                took_ms = took.as_millis() as u64,
                "syncing the transaction log took longer than fsync.warningthresholdms ({} ms): \
                 every write waits for it",
                self.cfg.fsync_warning.as_millis()
            );
        }
    }
}
