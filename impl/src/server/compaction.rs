//! Compaction while the server idles (`zab.compactIdleMs`): once no transaction has been
//! applied for that long, the replica's base and applied states are rebuilt on a thread of
//! their own (`replica::compaction`) and swapped in if nothing was applied meanwhile. A tree
//! grown by creates keeps the map leaves its splits left part empty (half full for creates
//! in path order); rebuilt, it takes what a tree restored from a snapshot takes.
//!
//! A rebuild costs time in proportion to the whole tree (0.8 s of a thread at a million
//! znodes), and a transaction splits at most one leaf, so a compaction waits until at least
//! one transaction for every `ZNODES_PER_TXN` znodes has been applied since the last one
//! (or since the start: a tree restored from disk has its leaves full already). Under a
//! trickle of writes to a large tree it runs rarely; under steady writes, never. One runs at
//! a time, never beside a snapshot write (both hold a copy of the tree being replaced).

use super::core::{Core, Event};
use crate::database::ZkDatabase;
use crate::replica::Compacted;
use crate::zxid::Zxid;
use std::time::Instant;

/// A compaction waits for one applied transaction per this many znodes.
const ZNODES_PER_TXN: u64 = 64;

/// Where compaction stands.
#[derive(Default)]
pub(super) struct Compaction {
    /// The last applied zxid seen at a tick, and when it was first seen.
    seen: Option<(Zxid, Instant)>,
    /// Transactions applied since the last compaction installed (or the start).
    applied: u64,
    /// When the running job started, and how many transactions it replays.
    running: Option<(Instant, usize)>,
}

impl Compaction {
    /// A transaction was applied.
    pub(super) fn applied(&mut self) {
        self.applied += 1;
    }
}

impl Core {
    /// At each tick: starts a compaction if the states have rested `zab.compactIdleMs` after
    /// enough transactions.
    pub(super) fn maybe_compact(&mut self) {
        let Some(idle) = self.info.compact_idle else {
            return;
        };
        let now = Instant::now();
        let applied = self.replica.last_processed();
        let since = match self.compaction.seen {
            Some((zxid, since)) if zxid == applied => since,
            _ => {
                self.compaction.seen = Some((applied, now));
                return;
            }
        };
        let znodes = self.replica.state_machine().tree().len() as u64;
        if now.duration_since(since) < idle
            || self.compaction.applied == 0
            || self.compaction.applied.saturating_mul(ZNODES_PER_TXN) < znodes
            || self.compaction.running.is_some()
            || self.snapshot_job.is_some()
        {
            return;
        }
        let Some(job) = self.replica.compaction() else {
            return;
        };
        let replayed = job.replayed();
        let events = self.events.clone();
        let spawned = std::thread::Builder::new()
            .name("zab-compaction".into())
            .spawn(move || {
                let done = job.run();
                let _ = events.send(Event::Compacted(Box::new(done)));
            });
        match spawned {
            Ok(_) => self.compaction.running = Some((now, replayed)),
            // Retried at a later tick; nothing is lost but memory.
            Err(e) => tracing::warn!("no thread for a compaction: {e}"),
        }
    }

    /// A compaction's states are built: swapped in if the replica has not moved since.
    pub(super) fn compacted(&mut self, done: Box<Compacted<ZkDatabase>>) {
        let Some((started, replayed)) = self.compaction.running.take() else {
            return;
        };
        let ms = started.elapsed().as_millis();
        let Some(retired) = self.replica.install_compaction(*done) else {
            tracing::debug!(ms, "compaction dropped: the states moved meanwhile");
            return;
        };
        let (zxid, txns) = (self.replica.last_processed(), self.compaction.applied);
        self.compaction.applied = 0;
        let znodes = super::fourlw::znode_count(self);
        tracing::info!(%zxid, znodes, txns, replayed, ms, "in-memory states compacted");
        // Freeing the replaced tree's nodes is left to a thread, or this one if none.
        let _ = std::thread::Builder::new()
            .name("zab-compaction".into())
            .spawn(move || drop(retired));
    }
}
