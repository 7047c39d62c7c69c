//! `autopurge`: every `purgeInterval` hours, starting when the server starts (ZooKeeper's
//! `DatadirCleanupManager`), delete the snapshots older than the `snapRetainCount` newest
//! and the log files only they needed. A failed purge is logged and the server goes on, as
//! ZooKeeper's purge task does: it only frees space.

use super::core::Core;
use crate::storage::Storage;
use std::time::Instant;

impl Core {
    pub(super) fn autopurge(&mut self, now: Instant) {
        let Some((every, keep)) = self.info.autopurge else {
            return;
        };
        if self.next_purge.is_some_and(|at| now < at) {
            return;
        }
        self.next_purge = Some(now + every);
        match self.storage.purge(keep) {
            Ok(report) => tracing::info!(?report, keep, "autopurge"),
            Err(e) => tracing::warn!("autopurge failed: {e}"),
        }
    }
}
