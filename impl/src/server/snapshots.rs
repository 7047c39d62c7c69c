//! Periodic snapshots (`snapCount`), serialized and written on a thread of their own, so the
//! core goes on appending, committing and answering meanwhile: at a million znodes a
//! snapshot is a few hundred megabytes to serialize, write and fsync. ZooKeeper's
//! `SyncRequestProcessor` hands the snapshot to a thread the same way.
//!
//! Nothing waits for a periodic snapshot: the log up to its zxid is already durable and
//! stays on disk, so a crash before the file lands recovers the same state from the log.
//! What must not overlap the write is other work on the same files: a sync's snapshot or a
//! TRUNC first waits for it (`finish_snapshot`). One write runs at a time; a snapshot due
//! while one is still being written is skipped, as ZooKeeper skips it ("Too busy to snap").
//! A failed write is a disk failure like a failed fsync: the core ends and the server exits
//! with code 4.

use super::core::{Core, Event};
use crate::replica::SnapshotData;
use crate::storage::{Storage, StorageError};
use crate::zxid::Zxid;
use std::thread::JoinHandle;
use std::time::Instant;

/// The snapshot being written.
pub(super) struct SnapshotJob {
    zxid: Zxid,
    started: Instant,
    thread: JoinHandle<Result<(), StorageError>>,
}

impl Core {
    /// Starts writing the snapshot at `zxid` on its own thread (on this one if no thread can
    /// be had).
    pub(super) fn save_snapshot(
        &mut self,
        zxid: Zxid,
        data: SnapshotData,
    ) -> Result<(), StorageError> {
        if let Some(job) = &self.snapshot_job {
            tracing::warn!(%zxid, writing = %job.zxid, "snapshot skipped: the last one is still being written");
            return Ok(());
        }
        let writer = self.storage.snapshot_writer();
        let events = self.events.clone();
        let theirs = data.clone();
        let spawned = std::thread::Builder::new()
            .name("zab-snapshot".into())
            .spawn(move || {
                let result = writer.write(zxid, &theirs);
                // Only a wake-up: the result is the thread's, read when the core joins it.
                let _ = events.send(Event::SnapshotWritten { zxid });
                result
            });
        match spawned {
            Ok(thread) => {
                self.snapshot_job = Some(SnapshotJob {
                    zxid,
                    started: Instant::now(),
                    thread,
                });
                Ok(())
            }
            Err(e) => {
                tracing::warn!("no thread for the snapshot ({e}): written on the core thread");
                self.storage.save_snapshot_from(zxid, &data)
            }
        }
    }

    /// The writer of the snapshot at `zxid` is done (unless the core already waited for it).
    pub(super) fn snapshot_written(&mut self, zxid: Zxid) -> Result<(), StorageError> {
        match &self.snapshot_job {
            Some(job) if job.zxid == zxid => self.finish_snapshot(),
            _ => Ok(()),
        }
    }

    /// Waits for the snapshot being written, if any, and takes its result: a failed write
    /// is the core's failure.
    pub(super) fn finish_snapshot(&mut self) -> Result<(), StorageError> {
        let Some(job) = self.snapshot_job.take() else {
            return Ok(());
        };
        let result = job.thread.join().unwrap_or_else(|_| {
            Err(StorageError::Inconsistent(format!(
                "writing the snapshot at {} panicked",
                job.zxid
            )))
        });
        result?;
        self.storage.snapshot_written(job.zxid);
        let ms = job.started.elapsed().as_millis();
        tracing::info!(zxid = %job.zxid, ms, "snapshot written");
        Ok(())
    }
}
