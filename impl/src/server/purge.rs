//! `autopurge`: every `purgeInterval` hours, starting when the server starts (ZooKeeper's
//! `DatadirCleanupManager`), delete the snapshots older than the `snapRetainCount` newest
//! and the log files only they needed. A failed purge is logged and the server goes on, as
//! ZooKeeper's purge task does: it only frees space.
//!
//! The slow half, reading every kept snapshot whole to check it, runs on a thread of its
//! own, so the core goes on serving meanwhile (on this machine a purge's check reads
//! megabytes per snapshot); the core then deletes what the check allows, which is quick.
//! Snapshots the core saves meanwhile are newer than all it checked, so they stay.

use super::core::{Core, Event};
use crate::storage::StorageError;
use crate::zxid::Zxid;
use std::time::Instant;

impl Core {
    pub(super) fn autopurge(&mut self, now: Instant) {
        let Some((every, keep)) = self.info.autopurge else {
            return;
        };
        if self.purging || self.next_purge.is_some_and(|at| now < at) {
            return;
        }
        self.next_purge = Some(now + every);
        self.purging = true;
        let dir = self.storage.snap_dir().to_path_buf();
        let events = self.events.clone();
        let spawned = std::thread::Builder::new()
            .name("zab-purge".into())
            .spawn(move || {
                // A panic in the check is the purge's, not the server's: it is reported as a
                // failed purge.
                let valid = std::panic::catch_unwind(|| {
                    crate::storage::file::newest_valid_snapshots(&dir, keep)
                })
                .unwrap_or_else(|_| {
                    Err(StorageError::InvalidArgument(
                        "the snapshot check panicked".into(),
                    ))
                });
                let _ = events.send(Event::PurgeChecked { keep, valid });
            });
        if let Err(e) = spawned {
            self.purging = false;
            tracing::warn!("autopurge failed: no thread for it ({e})");
        }
    }

    /// The purge's snapshot check is done: delete what it allows.
    pub(super) fn purge_checked(&mut self, keep: usize, valid: Result<Vec<Zxid>, StorageError>) {
        self.purging = false;
        match valid.and_then(|valid| self.storage.purge_checked(keep, &valid)) {
            Ok(report) => tracing::info!(?report, keep, "autopurge"),
            Err(e) => tracing::warn!("autopurge failed: {e}"),
        }
    }
}
