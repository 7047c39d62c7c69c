//! The scheduler: what may happen next in a simulated run, how often each kind of event is
//! picked (`Weights`), and where the choices come from (`Choices`, from the seed).

use super::net::Link;
use super::workload::Workload;
use super::Cluster;
use crate::replica::ServerId;
use std::collections::BTreeSet;

/// What happens in one step.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The clock advances 10 ms and this server gets a tick (timeouts, heartbeats).
    Tick(ServerId),
    /// The oldest message on this link reaches its receiver.
    Deliver(Link),
    /// This server's sync thread fsyncs its disk and reports the last synced zxid (the
    /// model's `SyncFlush`).
    SyncFlush(ServerId),
    /// A client submits a write to this server through the server's own session (the
    /// model's `ClientRequest`).
    ClientRequest(ServerId),
    /// This server crashes: its replica is gone, its unsynced records lost, its connections
    /// broken.
    Crash(ServerId),
    /// A crashed server starts again from what its disk holds.
    Restart(ServerId),
    /// These servers are cut off from the rest.
    Partition(BTreeSet<ServerId>),
    /// The partition ends.
    Heal,
    /// The oldest message on this link is lost (the model's `Lose`): on the election plane
    /// just that message, on the quorum plane the whole connection breaks, as with TCP.
    Lose(Link),
}

/// Where the scheduler's choices come from: a seeded generator, then (for proptest) an
/// explicit list of choices that shrinks.
pub struct Choices {
    rng: u64,
    script: Vec<u32>,
    next: usize,
}

impl Choices {
    /// Choices from a generator seeded with `seed` alone.
    pub fn seeded(seed: u64) -> Choices {
        Choices::scripted(seed, Vec::new())
    }
    /// Choices from `script` first (each taken modulo the number of options), then from the
    /// generator seeded with `seed` once the script runs out.
    pub fn scripted(seed: u64, script: Vec<u32>) -> Choices {
        Choices {
            rng: seed,
            script,
            next: 0,
        }
    }
    fn below(&mut self, n: u32) -> u32 {
        if let Some(c) = self.script.get(self.next) {
            self.next += 1;
            return c % n;
        }
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as u32
    }
}

/// How often the scheduler picks each kind of event, relative to the others, where it is
/// possible: the whole schedule of a seed follows from these and the seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weights {
    /// A message reaches its receiver.
    pub deliver: u32,
    /// A message is lost (within `SimConfig::losses`).
    pub lose: u32,
    /// A server's clock ticks.
    pub tick: u32,
    /// A server's sync thread fsyncs.
    pub sync_flush: u32,
    /// A client writes (within `SimConfig::writes`).
    pub client_request: u32,
    /// A server crashes (within `SimConfig::crashes`).
    pub crash: u32,
    /// A crashed server restarts.
    pub restart: u32,
    /// One server is cut off (within `SimConfig::partitions`).
    pub partition: u32,
    /// A partition heals.
    pub heal: u32,
}

impl Weights {
    /// The weights every suite runs with.
    pub const DEFAULT: Weights = Weights {
        deliver: 16,
        lose: 1,
        tick: 4,
        sync_flush: 6,
        client_request: 1,
        crash: 1,
        restart: 3,
        partition: 1,
        heal: 2,
    };
}

impl std::fmt::Display for Weights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Deliver {} Lose {} Tick {} SyncFlush {} ClientRequest {} Crash {} Restart {} \
             Partition {} Heal {}",
            self.deliver,
            self.lose,
            self.tick,
            self.sync_flush,
            self.client_request,
            self.crash,
            self.restart,
            self.partition,
            self.heal
        )
    }
}

impl<M: Workload> Cluster<M> {
    /// The events possible now, with their weights.
    fn enabled(&self, faults: bool) -> Vec<(Event, u32)> {
        let w = self.cfg.weights;
        let mut ev = Vec::new();
        for link in self.net.ready() {
            ev.push((Event::Deliver(link), w.deliver));
            if faults && self.spent.losses < self.cfg.losses {
                ev.push((Event::Lose(link), w.lose));
            }
        }
        for &s in &self.ids {
            if self.up(s) {
                ev.push((Event::Tick(s), w.tick));
                if self.disks[&s].has_unsynced() {
                    ev.push((Event::SyncFlush(s), w.sync_flush));
                }
                if self.writes < self.cfg.writes {
                    ev.push((Event::ClientRequest(s), w.client_request));
                }
                if faults && self.spent.crashes < self.cfg.crashes {
                    ev.push((Event::Crash(s), w.crash));
                }
            } else {
                ev.push((Event::Restart(s), w.restart));
            }
        }
        if faults && self.net.side.is_empty() && self.spent.partitions < self.cfg.partitions {
            for &s in &self.ids {
                ev.push((Event::Partition([s].into_iter().collect()), w.partition));
            }
        }
        if !self.net.side.is_empty() {
            ev.push((Event::Heal, w.heal));
        }
        ev
    }

    pub(super) fn pick(&self, choices: &mut Choices, faults: bool) -> Option<Event> {
        let ev = self.enabled(faults);
        let total: u32 = ev.iter().map(|(_, w)| w).sum();
        if total == 0 {
            return None;
        }
        let mut c = choices.below(total);
        for (e, w) in ev {
            if c < w {
                return Some(e);
            }
            c -= w;
        }
        unreachable!()
    }
}
