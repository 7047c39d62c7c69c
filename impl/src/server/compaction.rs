//! Compaction while the server idles (`zab.compactIdleMs`): once no transaction has been
//! applied for that long, the replica's base and applied states are rebuilt on a thread of
//! their own (`replica::compaction`) and swapped in if nothing was applied meanwhile. A tree
//! grown by creates keeps the map leaves its splits left part empty (half full for creates
//! in path order); rebuilt, it takes what a tree restored from a snapshot takes.
//!
//! A rebuild costs time in proportion to the whole tree (0.8 s of a thread at a million
//! znodes), and a transaction splits at most one leaf, so a compaction waits until at least
//! one transaction for every `ZNODES_PER_TXN` znodes has been applied since the last one
//! (or since the start: a tree restored from disk has its leaves full already). A rebuild
//! that a write made stale is dropped, and the next waits twice as long an idle time (up
//! to `MAX_BACKOFF` times), so writes spaced just over the idle time do not have the tree
//! rebuilt for nothing after each. Under steady writes it never runs. One runs at a time,
//! and none starts while a snapshot is being written (both hold a copy of the tree).

use super::core::{Core, Event};
use crate::database::ZkDatabase;
use crate::replica::Compacted;
use crate::zxid::Zxid;
use std::time::{Duration, Instant};

/// A compaction waits for one applied transaction per this many znodes.
const ZNODES_PER_TXN: u64 = 64;
/// The longest idle time a compaction waits, in multiples of `zab.compactIdleMs`.
const MAX_BACKOFF: u32 = 32;

/// Where compaction stands.
pub(super) struct Compaction {
    /// The last applied zxid seen at a tick, and when it was first seen.
    seen: Option<(Zxid, Instant)>,
    /// Transactions applied since the last compaction installed (or the start).
    txns_since: u64,
    /// When the running job started, and how many transactions it replays.
    running: Option<(Instant, usize)>,
    /// The idle time a compaction waits, in multiples of `zab.compactIdleMs`: doubled by
    /// each stale result, back to 1 once one installs.
    backoff: u32,
}

impl Default for Compaction {
    fn default() -> Self {
        Compaction {
            seen: None,
            txns_since: 0,
            running: None,
            backoff: 1,
        }
    }
}

impl Compaction {
    /// A transaction was applied.
    pub(super) fn applied(&mut self) {
        self.txns_since += 1;
    }

    /// Whether a compaction should start now, the states having rested since `since` and
    /// the tree holding `znodes`.
    fn due(&self, now: Instant, since: Instant, idle: Duration, znodes: u64) -> bool {
        now.duration_since(since) >= idle * self.backoff
            && self.txns_since > 0
            && self.txns_since.saturating_mul(ZNODES_PER_TXN) >= znodes
            && self.running.is_none()
    }

    /// A compaction's states were swapped in: the next waits one idle time again, for one
    /// transaction per `ZNODES_PER_TXN` znodes from now.
    fn installed(&mut self) {
        self.txns_since = 0;
        self.backoff = 1;
    }

    /// A compaction was dropped because a write moved the states meanwhile: the next waits
    /// twice the idle time this one did, up to `MAX_BACKOFF` times.
    fn stale(&mut self) -> u32 {
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        self.backoff
    }
}

impl Core {
    /// At each tick: starts a compaction if the states have rested long enough after
    /// enough transactions.
    pub(super) fn maybe_compact(&mut self) {
        let Some(idle) = self.info.compact_idle else {
            return;
        };
        let now = Instant::now();
        let zxid = self.replica.last_processed();
        let since = match self.compaction.seen {
            Some((seen, since)) if seen == zxid => since,
            _ => {
                self.compaction.seen = Some((zxid, now));
                return;
            }
        };
        let znodes = self.replica.state_machine().tree().len() as u64;
        if !self.compaction.due(now, since, idle, znodes) || self.snapshot_job.is_some() {
            return;
        }
        let Some(job) = self.replica.compaction_job() else {
            return;
        };
        let to_replay = job.to_replay();
        let events = self.events.clone();
        let spawned = std::thread::Builder::new()
            .name("zab-compaction".into())
            .spawn(move || {
                // A panic is reported as no result, so the core does not wait for one forever.
                let run = std::panic::AssertUnwindSafe(|| job.run());
                let done = std::panic::catch_unwind(run).ok().map(Box::new);
                let _ = events.send(Event::Compacted(done));
            });
        match spawned {
            Ok(_) => self.compaction.running = Some((now, to_replay)),
            // Retried at a later tick; nothing is lost but memory.
            Err(e) => tracing::warn!("no thread for a compaction: {e}"),
        }
    }

    /// A compaction's states are built (`None`: its thread panicked): swapped in if the
    /// replica has not moved since.
    pub(super) fn compacted(&mut self, done: Option<Box<Compacted<ZkDatabase>>>) {
        let Some((started, replayed)) = self.compaction.running.take() else {
            return;
        };
        let ms = started.elapsed().as_millis();
        let Some(done) = done else {
            tracing::warn!(ms, "a compaction failed (its thread panicked)");
            return;
        };
        match self.replica.install_compaction(*done) {
            Ok(retired) => {
                let (zxid, txns) = (self.replica.last_processed(), self.compaction.txns_since);
                self.compaction.installed();
                let znodes = super::fourlw::znode_count(self);
                tracing::info!(%zxid, znodes, txns, replayed, ms, "in-memory states compacted");
                drop_elsewhere(retired);
            }
            Err(stale) => {
                let backoff = self.compaction.stale();
                tracing::debug!(
                    ms,
                    backoff,
                    "compaction dropped: the states moved meanwhile"
                );
                drop_elsewhere(stale);
            }
        }
    }
}

/// Freeing a large tree's nodes takes tens of milliseconds at a million znodes: left to a
/// thread, or done here if none can be had.
fn drop_elsewhere<T: Send + 'static>(states: T) {
    let _ = std::thread::Builder::new()
        .name("zab-compaction".into())
        .spawn(move || drop(states));
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDLE: Duration = Duration::from_secs(2);

    /// Whether a compaction is due `rested` after the states last moved.
    fn due_after(c: &Compaction, rested: Duration, znodes: u64) -> bool {
        let since = Instant::now();
        c.due(since + rested, since, IDLE, znodes)
    }

    fn with_txns(txns_since: u64) -> Compaction {
        Compaction {
            txns_since,
            ..Compaction::default()
        }
    }

    #[test]
    fn one_idle_time_after_one_transaction_per_64_znodes() {
        let c = with_txns(10);
        assert!(due_after(&c, IDLE, 640));
        assert!(
            !due_after(&c, IDLE, 641),
            "too few transactions for the tree"
        );
        assert!(!due_after(&c, IDLE - Duration::from_millis(1), 640));
        assert!(!due_after(&with_txns(0), IDLE, 0), "nothing applied");
        let running = Compaction {
            running: Some((Instant::now(), 0)),
            ..with_txns(10)
        };
        assert!(!due_after(&running, IDLE, 1), "one at a time");
    }

    #[test]
    fn each_stale_result_doubles_the_wait_up_to_32_and_an_install_resets_it() {
        let mut c = with_txns(10);
        let waits: Vec<u32> = (0..7).map(|_| c.stale()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 32, 32]);
        assert!(!due_after(&c, IDLE * 31, 1));
        assert!(due_after(&c, IDLE * 32, 1));
        c.installed();
        assert_eq!(c.backoff, 1);
        assert!(!due_after(&c, IDLE, 1), "no transaction since the install");
        c.applied();
        assert!(due_after(&c, IDLE, 1));
    }
}
