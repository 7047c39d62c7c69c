//! A deterministic cluster simulator: replicas, a simulated network (per-link FIFO, losses,
//! partitions), simulated disks (unsynced writes lost on a crash), crashes and restarts, all
//! driven by a seed. A run is a safety phase with faults, checked after every step, then a
//! fault-free liveness phase that must elect a leader and converge with every acknowledged
//! write present everywhere. The same seed replays the same run exactly.

pub mod checks;
mod compaction;
mod config;
pub mod disk;
mod liveness;
pub mod net;
mod run;
mod schedule;
pub mod values;
mod violation;
pub mod workload;

pub use config::SimConfig;
pub use run::{run_seed, run_seed_with, Failure, RunStats};
pub use schedule::{Choices, Event, Weights};
pub use violation::Violation;

use crate::replica::messages::Packet;
use crate::replica::{Config, Input, Output, PeerMsg, Plane, Replica, ServerId};
use crate::server::trace::{self, Record};
use checks::Checker;
use disk::Disk;
use net::Net;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use values::Values;
use workload::Workload;

/// The faults the safety phase injected so far, each bounded by its `SimConfig` budget.
#[derive(Clone, Copy, Debug, Default)]
struct Spent {
    crashes: usize,
    partitions: usize,
    losses: usize,
}

/// A simulated ensemble replicating `M`.
pub struct Cluster<M: Workload = Values> {
    /// The run's parameters.
    pub cfg: SimConfig,
    voters: BTreeSet<ServerId>,
    ids: Vec<ServerId>,
    /// Every server's replica, `None` while it is crashed.
    pub replicas: BTreeMap<ServerId, Option<Replica<M>>>,
    /// Every server's disk, kept across crashes.
    pub disks: BTreeMap<ServerId, Disk>,
    /// The network between the servers.
    pub net: Net,
    checker: Checker,
    now_ms: i64,
    spent: Spent,
    writes: usize,
    /// Periodic snapshots the replicas took.
    snapshots: usize,
    /// Learners synchronized by SNAP.
    snap_syncs: usize,
    /// The last events, for a failure report.
    recent: Vec<String>,
    /// Per server, its trace (with `SimConfig::record`); time is the step count.
    pub traces: BTreeMap<ServerId, Vec<Record>>,
    steps: u64,
    /// Per server, the numbering of its current life's messages (`trace::MsgId`); a life is
    /// the number of starts in the run so far.
    sends: BTreeMap<ServerId, trace::SendNumbers>,
    starts: u64,
    /// Events applied so far.
    events: u64,
    /// Compaction jobs held and installed (`SimConfig::compact_every`).
    compactions: compaction::Compactions<M>,
}

impl<M: Workload> Cluster<M> {
    /// The ensemble `cfg` describes, every server started on an empty disk.
    pub fn new(cfg: SimConfig) -> Cluster<M> {
        let voters: BTreeSet<ServerId> = (1..=cfg.voters).collect();
        let observers: Vec<ServerId> = (cfg.voters + 1..=cfg.voters + cfg.observers).collect();
        let ids: Vec<ServerId> = voters
            .iter()
            .copied()
            .chain(observers.iter().copied())
            .collect();
        let mut c = Cluster {
            cfg,
            voters,
            ids: ids.clone(),
            replicas: BTreeMap::new(),
            disks: ids.iter().map(|s| (*s, Disk::default())).collect(),
            net: Net::default(),
            checker: Checker::default(),
            now_ms: 0,
            spent: Spent::default(),
            writes: 0,
            snapshots: 0,
            snap_syncs: 0,
            recent: Vec::new(),
            traces: BTreeMap::new(),
            steps: 0,
            sends: BTreeMap::new(),
            starts: 0,
            events: 0,
            compactions: Default::default(),
        };
        for &s in &ids {
            c.replicas.insert(s, None);
        }
        for s in ids {
            c.start(s).expect("a fresh start breaks nothing");
        }
        c
    }

    fn replica_config(&self, s: ServerId) -> Config {
        let observers: Vec<ServerId> = self
            .ids
            .iter()
            .copied()
            .filter(|i| !self.voters.contains(i))
            .collect();
        let voters: Vec<ServerId> = self.voters.iter().copied().collect();
        Config {
            init_limit: 40,
            sync_limit: 20,
            finalize_wait: 2,
            not_timeout: (3, 30),
            seed: self.cfg.seed.wrapping_mul(31).wrapping_add(s),
            last_counter: self.cfg.last_counter,
            bug: self.cfg.bug,
            snap_count: self.cfg.snap_count,
            ..Config::new(s, &voters, &observers)
        }
    }

    fn start(&mut self, s: ServerId) -> Result<(), Violation> {
        let durable = self
            .disks
            .get_mut(&s)
            .unwrap()
            .durable()
            .map_err(|source| Violation::Disk { server: s, source })?;
        let config = self.replica_config(s);
        let recorded = self.cfg.record.then(|| (config.clone(), durable.clone()));
        let (r, out) = Replica::new(config, durable, M::genesis(&self.client_sessions()))
            .map_err(|source| Violation::Restart { server: s, source })?;
        self.starts += 1;
        let life = self.starts;
        self.sends.insert(s, trace::SendNumbers::new(life));
        if let Some((config, durable)) = recorded {
            let at_ns = self.steps;
            self.traces.entry(s).or_default().push(Record::Start {
                at_ns,
                life,
                tree: Default::default(),
                config,
                durable,
                effects: trace::effects(&out),
            });
        }
        self.checker.restarted(s);
        self.replicas.insert(s, Some(r));
        self.execute(s, out)
    }

    /// Each server's client writes through one session, its id the server's.
    fn client_sessions(&self) -> Vec<i64> {
        self.ids.iter().map(|&s| s as i64).collect()
    }

    fn up(&self, s: ServerId) -> bool {
        self.replicas[&s].is_some()
    }

    /// Feeds an input to a live server and executes its outputs.
    fn input(&mut self, s: ServerId, input: Input) -> Result<(), Violation> {
        self.input_received(s, input, None)
    }

    /// `input`, for a peer's message that arrived as `received`.
    fn input_received(
        &mut self,
        s: ServerId,
        input: Input,
        received: Option<trace::MsgId>,
    ) -> Result<(), Violation> {
        let Some(r) = self.replicas.get_mut(&s).and_then(|r| r.as_mut()) else {
            return Ok(());
        };
        let recorded = self.cfg.record.then(|| input.clone());
        let out = r.step(input);
        if let Some(input) = recorded {
            self.steps += 1;
            let at_ns = self.steps;
            self.traces.entry(s).or_default().push(Record::Step {
                at_ns,
                input,
                received,
                effects: trace::effects(&out),
            });
        }
        self.execute(s, out)
    }

    /// Executes outputs in order: the ordering contract is what makes the disk right.
    fn execute(&mut self, s: ServerId, out: Vec<Output<M::Outcome>>) -> Result<(), Violation> {
        if let Some(r) = self.replicas[&s].as_ref() {
            self.checker.on_outputs(s, r, &out)?;
        }
        if self.cfg.trace {
            for o in &out {
                eprintln!("  s{s} -> {o:?}");
            }
        }
        let mut follow_ups = Vec::new();
        for o in out {
            self.snapshots += usize::from(matches!(o, Output::SaveSnapshot { .. }));
            self.snap_syncs += usize::from(matches!(
                &o,
                Output::Send {
                    msg: PeerMsg::Quorum(Packet::Snap { .. }),
                    ..
                }
            ));
            let disk = self.disks.get_mut(&s).unwrap();
            let disk_error = |source| Violation::Disk { server: s, source };
            let Some(o) = disk.execute(o).map_err(disk_error)? else {
                continue;
            };
            match o {
                Output::Send { to, msg } => {
                    let id = self.sends.get_mut(&s).expect("a started server").next(to);
                    if self.up(to) {
                        self.net.send(s, to, msg, id);
                    }
                }
                Output::Disconnect { peer } => {
                    let told = if self.cfg.zabd_links {
                        self.net.close(s, peer)
                    } else {
                        self.net.drop_pair(s, peer, Plane::Quorum);
                        true
                    };
                    if told {
                        follow_ups.push((peer, Input::Disconnected { peer: s }));
                    }
                }
                // The client retries a write no server could take.
                Output::WriteRejected { .. } => self.writes -= 1,
                _ => {}
            }
        }
        for (peer, input) in follow_ups {
            self.input(peer, input)?;
        }
        Ok(())
    }

    /// Runs one event, then checks every property.
    pub fn apply(&mut self, e: Event) -> Result<(), Violation> {
        if self.recent.len() == 40 {
            self.recent.remove(0);
        }
        self.recent.push(format!("{e:?}"));
        if self.cfg.trace {
            eprintln!("event {e:?}");
            for (s, r) in self.replicas.iter() {
                if let Some(r) = r {
                    eprintln!(
                        "  s{s} {:?} {:?} acc={} cur={} processed={} committed={} log={:?} applied={:?}",
                        r.server_state(),
                        r.phase(),
                        r.accepted_epoch(),
                        r.current_epoch(),
                        r.last_processed(),
                        r.committed(),
                        r.log().iter().map(|e| e.zxid().to_string()).collect::<Vec<_>>(),
                        r.state_machine().values()
                    );
                }
            }
        }
        match e {
            Event::Tick(s) => {
                self.now_ms += 10;
                let now_ms = self.now_ms;
                self.input(s, Input::Tick { now_ms })?;
            }
            Event::Deliver(link) => {
                if let Some((msg, id)) = self.net.pop(link) {
                    let from = link.from;
                    self.input_received(link.to, Input::Peer { from, msg }, Some(id))?;
                }
            }
            Event::SyncFlush(s) => {
                let flushed = self.disks.get_mut(&s).unwrap().flush();
                if let Some(zxid) =
                    flushed.map_err(|source| Violation::Disk { server: s, source })?
                {
                    self.input(s, Input::Fsynced { zxid })?;
                }
            }
            Event::ClientRequest(s) => {
                self.writes += 1;
                let v = self
                    .cfg
                    .seed
                    .wrapping_mul(1000)
                    .wrapping_add(self.writes as u64);
                let body = Arc::new(M::write(v));
                self.input(
                    s,
                    Input::Write {
                        session_id: s as i64,
                        cxid: self.writes as i32,
                        body,
                    },
                )?;
            }
            Event::Crash(s) => {
                self.spent.crashes += 1;
                self.replicas.insert(s, None);
                self.disks.get_mut(&s).unwrap().crash();
                self.net.drop_server(s);
                for p in self.ids.clone() {
                    self.input(p, Input::Disconnected { peer: s })?;
                }
            }
            Event::Restart(s) => self.start(s)?,
            Event::Partition(side) => {
                self.spent.partitions += 1;
                self.net.partition(side.clone());
                for a in self.ids.clone() {
                    for b in self.ids.clone() {
                        if side.contains(&a) != side.contains(&b) {
                            self.input(a, Input::Disconnected { peer: b })?;
                        }
                    }
                }
            }
            Event::Heal => self.net.partition(BTreeSet::new()),
            Event::Lose(link) => {
                self.spent.losses += 1;
                if link.plane == Plane::Election {
                    self.net.pop(link);
                } else {
                    // TCP does not lose a packet and go on: the connection breaks.
                    self.net.drop_pair(link.from, link.to, Plane::Quorum);
                    self.input(link.from, Input::Disconnected { peer: link.to })?;
                    self.input(link.to, Input::Disconnected { peer: link.from })?;
                }
            }
        }
        self.events += 1;
        self.compact_round(self.events)?;
        self.checker
            .check(&self.replicas, &self.disks, &self.voters)
    }
}
