//! Compaction while the server idles (`zab.compactIdleMs`): once no transaction has been
//! applied for that long, the replica's base and applied states are rebuilt on a thread of
//! their own (`replica::compaction`) and swapped in if nothing was applied meanwhile. A tree
//! grown by creates keeps the map leaves its splits left part empty (half full for creates
//! in path order); rebuilt, it takes what a tree restored from a snapshot takes.
//!
//! One compaction runs at a time, never beside a snapshot write (both hold a copy of the
//! tree being replaced), and once per resting point: it runs again only after something
//! was applied. Under steady writes it never runs, and the tree stays as the writes left it.

use super::core::{Core, Event};
use crate::database::ZkDatabase;
use crate::replica::Compacted;
use crate::zxid::Zxid;
use std::time::Instant;

/// Where compaction stands.
pub(super) struct Compaction {
    /// The last applied zxid seen at a tick, and when it was first seen.
    seen: Option<(Zxid, Instant)>,
    /// The applied and base zxids of the last compaction installed.
    done: Option<(Zxid, Zxid)>,
    /// When the running job started, and how many transactions it replays.
    running: Option<(Instant, usize)>,
}

impl Compaction {
    /// Nothing to do until a transaction is applied after the start, at `applied` on a
    /// base at `base`: a tree restored from disk has its leaves full already.
    pub(super) fn at_start(applied: Zxid, base: Zxid) -> Compaction {
        Compaction {
            seen: None,
            done: Some((applied, base)),
            running: None,
        }
    }
}

impl Core {
    /// At each tick: starts a compaction if the states have rested `zab.compactIdleMs`.
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
        let at = (applied, self.replica.base_zxid());
        if now.duration_since(since) < idle
            || self.compaction.done == Some(at)
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
        let at = (self.replica.last_processed(), self.replica.base_zxid());
        let Some(retired) = self.replica.install_compaction(*done) else {
            tracing::debug!(ms, "compaction dropped: the states moved meanwhile");
            return;
        };
        self.compaction.done = Some(at);
        let znodes = super::fourlw::znode_count(self);
        let zxid = at.0;
        tracing::info!(%zxid, znodes, replayed, ms, "in-memory states compacted");
        // Freeing the replaced tree's nodes is left to a thread, or this one if none.
        let _ = std::thread::Builder::new()
            .name("zab-compaction".into())
            .spawn(move || drop(retired));
    }
}
