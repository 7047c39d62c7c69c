//! A deterministic cluster simulator: replicas, a simulated network (per-link FIFO, drops,
//! partitions), simulated disks (unsynced writes lost on a crash), crashes and restarts, all
//! driven by a seed. A run is a safety phase with faults, checked after every step, then a
//! fault-free liveness phase that must elect a leader and converge with every acknowledged
//! write present everywhere. The same seed replays the same run exactly.

pub mod checks;
pub mod disk;
mod liveness;
pub mod net;
pub mod values;
pub mod workload;

use crate::replica::messages::Packet;
use crate::replica::{Config, Fault, Input, Output, PeerMsg, Replica, ServerId};
use crate::server::trace::{self, Record};
use checks::Checker;
use disk::Disk;
use net::{Link, Net};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use values::Values;
use workload::Workload;

/// One simulated run's parameters.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Voting servers, ids 1 to `voters`.
    pub voters: u64,
    /// Observers (non-voting learners), numbered after the voters.
    pub observers: u64,
    /// Drives every choice of the run (and each replica's own seed): the same seed replays
    /// the same run.
    pub seed: u64,
    /// Steps of the safety phase (with faults).
    pub fault_steps: usize,
    /// Most steps the liveness phase may take to converge.
    pub settle_steps: usize,
    /// Most server crashes the safety phase injects.
    pub crashes: usize,
    /// Most partitions the safety phase injects (one server cut off at a time).
    pub partitions: usize,
    /// Most message drops the safety phase injects: an election notification is lost, a
    /// quorum connection breaks.
    pub drops: usize,
    /// Client writes to submit over the whole run (a rejected write is retried).
    pub writes: usize,
    /// The leader's last zxid counter before it must roll over to a new epoch.
    pub last_counter: u32,
    /// A deliberate bug to inject into every replica, to show the checks catch it.
    pub fault: Option<Fault>,
    /// The replicas' `snap_count` (periodic snapshots that move the in-memory base).
    pub snap_count: Option<u64>,
    /// Print every event and every output to stderr (set `ZAB_SIM_TRACE=1` to replay a
    /// failing seed step by step).
    pub trace: bool,
    /// Record each server's trace as `zabd` does (`server::trace`), for validation against
    /// the model; `Cluster::traces` holds them.
    pub record: bool,
    /// Close quorum connections as `zabd` does: a server that closes its connection to a
    /// peer (`Output::Disconnect`) tells the peer only if it had opened it (sent a packet
    /// there), so a learner whose FOLLOWERINFO reached a server not leading yet keeps trying.
    /// Off by default: the peer is told at once, and such a learner gives up sooner than
    /// ZooKeeper's would, a harsher schedule than the model's timing assumption allows.
    pub zabd_links: bool,
}

impl SimConfig {
    /// The defaults for `seed`: three voters, 1,500 fault steps with two crashes, one partition
    /// and two drops, six writes, tracing if `ZAB_SIM_TRACE` is set.
    pub fn new(seed: u64) -> SimConfig {
        SimConfig {
            voters: 3,
            observers: 0,
            seed,
            fault_steps: 1500,
            settle_steps: 20_000,
            crashes: 2,
            partitions: 1,
            drops: 2,
            writes: 6,
            last_counter: u32::MAX - 1,
            fault: None,
            snap_count: None,
            trace: std::env::var_os("ZAB_SIM_TRACE").is_some(),
            record: false,
            zabd_links: false,
        }
    }
}

/// What happens in one step.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The clock advances 10 ms and this server gets a tick (timeouts, heartbeats).
    Tick(ServerId),
    /// The oldest message on this link reaches its receiver.
    Deliver(Link),
    /// This server's sync thread fsyncs its disk and reports the last synced zxid.
    Flush(ServerId),
    /// A client submits a write to this server through the server's own session.
    Write(ServerId),
    /// This server crashes: its replica is gone, its unsynced records lost, its connections
    /// broken.
    Crash(ServerId),
    /// A crashed server starts again from what its disk holds.
    Restart(ServerId),
    /// These servers are cut off from the rest.
    Partition(BTreeSet<ServerId>),
    /// The partition ends.
    Heal,
    /// The oldest message on this link is lost: on the election plane just that message, on
    /// the quorum plane the whole connection breaks, as with TCP.
    Drop(Link),
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
    used: [usize; 3], // crashes, partitions, drops
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
}

/// A run that broke a property: the seed replays it.
#[derive(Debug)]
pub struct Failure {
    /// The run's seed.
    pub seed: u64,
    /// The step at which it broke, counted within its phase (the liveness phase starts at 0).
    pub step: usize,
    /// Which property broke, and how.
    pub reason: String,
    /// The last events before it (at most 40), oldest first.
    pub recent: Vec<String>,
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
            used: [0; 3],
            writes: 0,
            snapshots: 0,
            snap_syncs: 0,
            recent: Vec::new(),
            traces: BTreeMap::new(),
            steps: 0,
            sends: BTreeMap::new(),
            starts: 0,
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
            fault: self.cfg.fault,
            snap_count: self.cfg.snap_count,
            ..Config::new(s, &voters, &observers)
        }
    }

    fn start(&mut self, s: ServerId) -> Result<(), String> {
        let durable = self
            .disks
            .get_mut(&s)
            .unwrap()
            .durable()
            .map_err(|e| format!("s{s} cannot recover its disk: {e}"))?;
        let config = self.replica_config(s);
        let recorded = self.cfg.record.then(|| (config.clone(), durable.clone()));
        let (r, out) = Replica::new(config, durable, M::genesis(&self.client_sessions()))
            .map_err(|e| format!("s{s} cannot restart: {e}"))?;
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
    fn input(&mut self, s: ServerId, input: Input) -> Result<(), String> {
        self.input_received(s, input, None)
    }

    /// `input`, for a peer's message that arrived as `received`.
    fn input_received(
        &mut self,
        s: ServerId,
        input: Input,
        received: Option<trace::MsgId>,
    ) -> Result<(), String> {
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
    fn execute(&mut self, s: ServerId, out: Vec<Output<M::Outcome>>) -> Result<(), String> {
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
            let Some(o) = disk.execute(o).map_err(|e| format!("s{s}'s disk: {e}"))? else {
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
                        self.net.drop_pair(s, peer, false);
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

    /// The events possible now, with their weights.
    fn enabled(&self, faults: bool) -> Vec<(Event, u32)> {
        let mut ev = Vec::new();
        for link in self.net.ready() {
            ev.push((Event::Deliver(link), 16));
            if faults && self.used[2] < self.cfg.drops {
                ev.push((Event::Drop(link), 1));
            }
        }
        for &s in &self.ids {
            if self.up(s) {
                ev.push((Event::Tick(s), 4));
                if self.disks[&s].has_unsynced() {
                    ev.push((Event::Flush(s), 6));
                }
                if self.writes < self.cfg.writes {
                    ev.push((Event::Write(s), 1));
                }
                if faults && self.used[0] < self.cfg.crashes {
                    ev.push((Event::Crash(s), 1));
                }
            } else {
                ev.push((Event::Restart(s), 3));
            }
        }
        if faults && self.net.side.is_empty() && self.used[1] < self.cfg.partitions {
            for &s in &self.ids {
                ev.push((Event::Partition([s].into_iter().collect()), 1));
            }
        }
        if !self.net.side.is_empty() {
            ev.push((Event::Heal, 2));
        }
        ev
    }

    fn pick(&self, choices: &mut Choices, faults: bool) -> Option<Event> {
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

    /// Runs one event, then checks every property.
    pub fn apply(&mut self, e: Event) -> Result<(), String> {
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
            Event::Flush(s) => {
                let flushed = self.disks.get_mut(&s).unwrap().flush();
                if let Some(zxid) = flushed.map_err(|e| format!("s{s}'s disk: {e}"))? {
                    self.input(s, Input::Synced { zxid })?;
                }
            }
            Event::Write(s) => {
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
                self.used[0] += 1;
                self.replicas.insert(s, None);
                self.disks.get_mut(&s).unwrap().crash();
                self.net.drop_server(s);
                for p in self.ids.clone() {
                    self.input(p, Input::Disconnected { peer: s })?;
                }
            }
            Event::Restart(s) => self.start(s)?,
            Event::Partition(side) => {
                self.used[1] += 1;
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
            Event::Drop(link) => {
                self.used[2] += 1;
                if link.election {
                    self.net.pop(link);
                } else {
                    // TCP does not lose a packet and go on: the connection breaks.
                    self.net.drop_pair(link.from, link.to, false);
                    self.input(link.from, Input::Disconnected { peer: link.to })?;
                    self.input(link.to, Input::Disconnected { peer: link.from })?;
                }
            }
        }
        self.checker
            .check(&self.replicas, &self.disks, &self.voters)
    }
    /// A whole run: faults, then healing and convergence.
    pub fn run(&mut self, choices: &mut Choices) -> Result<RunStats, Failure> {
        let fail = |c: &Cluster<M>, step: usize, reason: String| Failure {
            seed: c.cfg.seed,
            step,
            reason,
            recent: c.recent.clone(),
        };
        for step in 0..self.cfg.fault_steps {
            let Some(e) = self.pick(choices, true) else {
                break;
            };
            self.apply(e).map_err(|r| fail(self, step, r))?;
        }
        // Liveness: heal, restart, no more faults.
        let mut settle: Vec<Event> = Vec::new();
        if !self.net.side.is_empty() {
            settle.push(Event::Heal);
        }
        settle.extend(
            self.ids
                .iter()
                .filter(|s| !self.up(**s))
                .map(|s| Event::Restart(*s)),
        );
        for e in settle {
            self.apply(e)
                .map_err(|r| fail(self, self.cfg.fault_steps, r))?;
        }
        let mut step = 0;
        while !self.converged() && step < self.cfg.settle_steps {
            let Some(e) = self.pick(choices, false) else {
                break;
            };
            self.apply(e).map_err(|r| fail(self, step, r))?;
            step += 1;
        }
        let stranded = self.settled().map_err(|r| fail(self, step, r))?;
        Ok(RunStats {
            acknowledged: self.checker.acknowledged.len(),
            settle_steps: step,
            stranded,
            snapshots: self.snapshots,
            snap_syncs: self.snap_syncs,
            max_counter: self
                .checker
                .applied_zxids()
                .map(|z| z.counter())
                .max()
                .unwrap_or(0),
        })
    }
}

/// What a passing run did.
#[derive(Clone, Copy, Debug)]
pub struct RunStats {
    /// Writes acknowledged to their clients (committed).
    pub acknowledged: usize,
    /// Steps the liveness phase took to converge.
    pub settle_steps: usize,
    /// Servers left out because their acceptedEpoch is above the leader's epoch.
    pub stranded: usize,
    /// The highest zxid counter applied anywhere.
    pub max_counter: u32,
    /// Periodic snapshots taken (with `snap_count`).
    pub snapshots: usize,
    /// Learners synchronized by SNAP.
    pub snap_syncs: usize,
}

/// One seeded run replicating the list of values.
pub fn run_seed(cfg: SimConfig) -> Result<RunStats, Failure> {
    run_seed_with::<Values>(cfg)
}

/// One seeded run replicating `M`.
pub fn run_seed_with<M: Workload>(cfg: SimConfig) -> Result<RunStats, Failure> {
    let seed = cfg.seed;
    Cluster::<M>::new(cfg).run(&mut Choices::seeded(seed))
}
