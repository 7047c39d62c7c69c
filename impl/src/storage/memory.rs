//! An in-memory disk for the cluster simulator: deterministic, cheap to clone (persistent `im`
//! structures, records behind `Arc`), and faithful to what a crash keeps. Appended records
//! are volatile until `sync`; `crash()` drops them. Snapshots and epochs are durable as soon
//! as they are written (the file backend writes them atomically). The log is kept as
//! "files" (segments) so rolling and purging match the file backend exactly.

use super::error::StorageError;
use super::framing::{self, LOG_HEADER_LEN};
use super::recovery;
use super::report::{PurgeReport, Recovered, RecoveryReport, Snapshot};
use super::rules;
use super::{EpochKind, LogRecord, SnapshotSource, Storage, DEFAULT_MAX_LOG_FILE_SIZE};
use crate::txn::TxnEntry;
use crate::zxid::Zxid;
use imbl::{OrdMap, Vector};
use std::sync::Arc;

/// The in-memory `Storage` backend: one simulated server's disk, which `crash` reduces to
/// what was synced.
#[derive(Clone, Debug)]
pub struct MemStorage {
    max_log_file_size: u64,
    segments: Vector<Segment>,
    /// Records in the log, and how many of them (a prefix) are durable.
    len: usize,
    durable: usize,
    snapshots: OrdMap<Zxid, MemSnapshot>,
    accepted_epoch: Option<u32>,
    current_epoch: Option<u32>,
    updating_epoch: Option<u32>,
    syncs: u64,
}

/// One log file: its first zxid, and each record with its end offset in the file.
#[derive(Clone, Debug)]
struct Segment {
    start: Zxid,
    records: Vector<(Arc<LogRecord>, u64)>,
}

impl Segment {
    fn size(&self) -> u64 {
        self.records
            .last()
            .map_or(LOG_HEADER_LEN as u64, |&(_, end)| end)
    }
}

#[derive(Clone, Debug)]
struct MemSnapshot {
    data: Arc<[u8]>,
    crc: u32,
}

impl Default for MemStorage {
    fn default() -> Self {
        MemStorage::new(DEFAULT_MAX_LOG_FILE_SIZE)
    }
}

impl MemStorage {
    /// An empty disk whose log "files" close at `max_log_file_size` bytes, as the file
    /// backend's would.
    pub fn new(max_log_file_size: u64) -> MemStorage {
        MemStorage {
            max_log_file_size,
            segments: Vector::new(),
            len: 0,
            durable: 0,
            snapshots: OrdMap::new(),
            accepted_epoch: None,
            current_epoch: None,
            updating_epoch: None,
            syncs: 0,
        }
    }

    /// The machine crashes: records appended since the last `sync` are lost.
    pub fn crash(&mut self) {
        self.keep_records(self.durable);
    }

    /// The zxid of the last durable record (zero if none).
    pub fn synced_zxid(&self) -> Zxid {
        self.records()
            .nth(self.durable.wrapping_sub(1))
            .map_or(Zxid::ZERO, |e| e.zxid())
    }

    /// The durable records, in order, without copying them (for the simulator's checks,
    /// which look for acknowledged writes after every step).
    pub fn durable_entries(&self) -> impl Iterator<Item = &TxnEntry> + '_ {
        self.records().take(self.durable)
    }

    /// How many syncs wrote something (each one fsync on a real disk).
    pub fn sync_count(&self) -> u64 {
        self.syncs
    }

    /// The first zxids of the log "files" that exist on disk: those holding a synced record
    /// (the file backend creates a file when it first writes to it, at `sync`).
    pub fn log_file_starts(&self) -> Vec<Zxid> {
        self.durable_segment_starts()
    }

    /// Fault injection: the snapshot at `zxid` no longer validates. False if there is none.
    pub fn damage_snapshot(&mut self, zxid: Zxid) -> bool {
        match self.snapshots.get_mut(&zxid) {
            Some(s) => {
                s.crc = !s.crc;
                true
            }
            None => false,
        }
    }

    fn linked(&self) -> impl Iterator<Item = &LogRecord> + '_ {
        self.segments
            .iter()
            .flat_map(|s| s.records.iter().map(|(r, _)| &**r))
    }

    fn records(&self) -> impl Iterator<Item = &TxnEntry> + '_ {
        self.linked().map(|r| &r.entry)
    }

    /// Drops records from the end until `keep` remain (and every emptied segment).
    fn keep_records(&mut self, keep: usize) {
        while self.len > keep {
            let Some(last) = self.segments.back_mut() else {
                break;
            };
            let excess = self.len - keep;
            let n = last.records.len();
            if n <= excess {
                self.segments.pop_back();
                self.len -= n;
            } else {
                last.records.truncate(n - excess);
                self.len = keep;
            }
        }
        self.durable = self.durable.min(self.len);
    }

    fn check_append(&self, entries: &[TxnEntry]) -> Result<Vec<u64>, StorageError> {
        let mut last = self.last_logged_zxid();
        let mut sizes = Vec::with_capacity(entries.len());
        for entry in entries {
            if entry.zxid() <= last {
                return Err(StorageError::OutOfOrder {
                    last,
                    zxid: entry.zxid(),
                });
            }
            last = entry.zxid();
            sizes.push(framing::record_len(entry)?);
        }
        Ok(sizes)
    }

    fn push(&mut self, entry: &TxnEntry, len: u64) {
        let zxid = entry.zxid();
        let below = self.snapshots.range(..zxid).next_back().map(|(&z, _)| z);
        let prev = rules::link(self.last_logged_zxid(), below);
        let current = self.segments.back().map(|s| (s.start, s.size()));
        if rules::needs_roll(current, zxid, self.max_log_file_size) {
            self.segments.push_back(Segment {
                start: zxid,
                records: Vector::new(),
            });
        }
        if let Some(seg) = self.segments.back_mut() {
            let end = seg.size() + len;
            let record = LogRecord {
                prev,
                entry: entry.clone(),
            };
            seg.records.push_back((Arc::new(record), end));
        }
        self.len += 1;
    }

    /// Segments holding a durable record: the ones that exist as files on a real disk.
    fn durable_segment_starts(&self) -> Vec<Zxid> {
        let mut seen = 0;
        let mut starts = Vec::new();
        for seg in self.segments.iter() {
            if seen >= self.durable {
                break;
            }
            starts.push(seg.start);
            seen += seg.records.len();
        }
        starts
    }

    fn remove_first_segments(&mut self, count: usize) {
        for _ in 0..count {
            if let Some(seg) = self.segments.pop_front() {
                self.len -= seg.records.len();
                self.durable = self.durable.saturating_sub(seg.records.len());
            }
        }
    }
}

impl Storage for MemStorage {
    fn append(&mut self, entries: &[TxnEntry]) -> Result<(), StorageError> {
        let sizes = self.check_append(entries)?;
        for (entry, len) in entries.iter().zip(sizes) {
            self.push(entry, len);
        }
        Ok(())
    }

    fn sync(&mut self) -> Result<(), StorageError> {
        if self.durable < self.len {
            self.durable = self.len;
            self.syncs += 1;
        }
        Ok(())
    }

    fn last_logged_zxid(&self) -> Zxid {
        self.segments
            .back()
            .and_then(|s| s.records.last())
            .map_or(Zxid::ZERO, |(r, _)| r.entry.zxid())
    }

    fn read_records_after(&self, zxid: Zxid) -> Result<Vec<LogRecord>, StorageError> {
        let after = self.linked().filter(|r| r.entry.zxid() > zxid);
        Ok(after.cloned().collect())
    }

    fn truncate_log(&mut self, zxid: Zxid) -> Result<(), StorageError> {
        let in_log = self.records().any(|e| e.zxid() == zxid);
        let snapshots: Vec<Zxid> = self.snapshots.keys().copied().collect();
        rules::check_truncate(zxid, in_log, &snapshots, |base| {
            let links = self.linked().map(|r| (r.prev, r.entry.zxid()));
            Ok(links.filter(|&(_, z)| z > base).collect())
        })?;
        // Snapshots past the cut hold truncated transactions: recovery must not use them.
        let (mut kept, at, _later) = self.snapshots.split_lookup(&zxid);
        if let Some(s) = at {
            kept.insert(zxid, s);
        }
        self.snapshots = kept;
        let keep = self.records().take_while(|e| e.zxid() <= zxid).count();
        self.keep_records(keep);
        Ok(())
    }

    fn purge(&mut self, keep: usize) -> Result<PurgeReport, StorageError> {
        if keep == 0 {
            return Err(StorageError::InvalidArgument(
                "purge must keep a snapshot".into(),
            ));
        }
        let valid = recovery::newest_valid_snapshots(self, keep)?;
        let snapshots: Vec<Zxid> = self.snapshots.keys().copied().collect();
        let plan = rules::purge_plan(
            &snapshots,
            &self.durable_segment_starts(),
            rules::oldest_kept(&valid, keep),
        );
        for z in &plan.snapshots {
            self.snapshots.remove(z);
        }
        self.remove_first_segments(plan.logs.len());
        Ok(PurgeReport {
            snapshots_removed: plan.snapshots,
            log_files_removed: plan.logs,
        })
    }

    fn save_snapshot_from(
        &mut self,
        zxid: Zxid,
        data: &dyn SnapshotSource,
    ) -> Result<(), StorageError> {
        let mut bytes = Vec::new();
        data.write_to(&mut bytes)
            .map_err(|e| StorageError::Inconsistent(format!("serializing a snapshot: {e}")))?;
        let crc = crc32fast::hash(&bytes);
        let data = bytes.into();
        self.snapshots.insert(zxid, MemSnapshot { data, crc });
        Ok(())
    }

    fn snapshot_zxids(&self) -> Result<Vec<Zxid>, StorageError> {
        Ok(self.snapshots.keys().copied().collect())
    }

    fn load_snapshot(&self, zxid: Zxid) -> Result<Snapshot, StorageError> {
        let s = self
            .snapshots
            .get(&zxid)
            .ok_or(StorageError::NoSnapshot { zxid })?;
        if crc32fast::hash(&s.data) != s.crc {
            let name = format!("snapshot.{:x}", zxid.0);
            return Err(StorageError::corrupt(&name, 0, "crc mismatch"));
        }
        Ok(Snapshot {
            zxid,
            data: s.data.to_vec(),
        })
    }

    fn epoch(&self, kind: EpochKind) -> Result<Option<u32>, StorageError> {
        Ok(match kind {
            EpochKind::Accepted => self.accepted_epoch,
            EpochKind::Current => self.current_epoch,
            EpochKind::Updating => self.updating_epoch,
        })
    }

    fn set_epoch(&mut self, kind: EpochKind, epoch: u32) -> Result<(), StorageError> {
        match kind {
            EpochKind::Accepted => self.accepted_epoch = Some(epoch),
            EpochKind::Current => self.current_epoch = Some(epoch),
            EpochKind::Updating => self.updating_epoch = Some(epoch),
        }
        Ok(())
    }

    fn recover(&mut self) -> Result<Recovered, StorageError> {
        recovery::recover(self, RecoveryReport::default())
    }
}
