//! The nemesis: faults from a seed, each held for a few seconds and then healed, until the
//! campaign's fault phase ends; then everything is healed. The leader is picked more often
//! than the others, as it is the server whose loss matters most.

use super::cluster::Cluster;
use super::disk;
use super::proxy::Mode;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// The kinds of fault a campaign injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum FaultKind {
    /// Crash (SIGKILL) a server and restart it later.
    Kill,
    /// Pause (SIGSTOP) a server for longer than the session timeout and syncLimit.
    Pause,
    /// Partition the servers (isolated leader, majority and minority, bridge) or cut the
    /// clients off a server.
    Partition,
    /// Any of the above.
    Mixed,
    /// zabd's disk: a torn log tail at a crash, fsyncs that start failing, slow fsyncs (these
    /// two need a faults build of zabd), or a full disk (the dataDirs are tmpfs mounts).
    Disk,
}

/// One fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fault {
    /// SIGKILL this server; restarted when healed.
    Kill(usize),
    /// SIGSTOP this server; resumed when healed.
    Pause(usize),
    /// Only servers in the same group reach each other.
    Partition(Vec<Vec<usize>>),
    /// Clients of this server lose their connections, and new ones are closed.
    CutClients(usize),
    /// SIGKILL this server with a partial record at the end of its log; restarted at once.
    TornTail(usize),
    /// Restart this server on a disk whose fsyncs fail after this many; it should exit.
    FailingFsync(usize, u64),
    /// Restart this server on a disk whose every log fsync takes this many ms longer.
    SlowFsync(usize, u64),
    /// Fill this server's disk; it should exit (code 4). When healed the space is freed and
    /// it restarts on what its disk kept.
    FullDisk(usize),
}

/// A fault as it happened: when it began and when it was healed (µs since the run began).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRecord {
    /// The fault.
    pub fault: Fault,
    /// When it was injected.
    pub from_us: u64,
    /// When it was healed.
    pub to_us: u64,
}

/// splitmix64: small, seeded, and the same on every machine.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A duration between `lo` and `hi`.
    pub fn between(&mut self, lo: Duration, hi: Duration) -> Duration {
        let span = (hi.saturating_sub(lo)).as_millis() as u64 + 1;
        lo + Duration::from_millis(self.below(span))
    }
}

/// The next fault of `kind` for servers 1..=n, given the leader if one is known.
pub fn choose(rng: &mut Rng, kind: FaultKind, n: usize, leader: Option<usize>) -> Fault {
    let kind = match kind {
        FaultKind::Mixed => {
            [FaultKind::Kill, FaultKind::Pause, FaultKind::Partition][rng.below(3) as usize]
        }
        k => k,
    };
    // Half the time the leader, when one is known.
    let victim = match leader {
        Some(l) if rng.below(2) == 0 => l,
        _ => 1 + rng.below(n as u64) as usize,
    };
    match kind {
        FaultKind::Kill => Fault::Kill(victim),
        FaultKind::Pause => Fault::Pause(victim),
        FaultKind::Disk => match rng.below(4) {
            0 => Fault::TornTail(victim),
            1 => Fault::FailingFsync(victim, 1 + rng.below(200)),
            2 => Fault::SlowFsync(victim, 50 + rng.below(350)),
            _ => Fault::FullDisk(victim),
        },
        _ => partition(rng, n, victim),
    }
}

/// A partition around `victim`: isolated, in a minority, as a bridge, or its clients cut.
fn partition(rng: &mut Rng, n: usize, victim: usize) -> Fault {
    let others: Vec<usize> = (1..=n).filter(|&s| s != victim).collect();
    match rng.below(4) {
        0 => Fault::Partition(vec![vec![victim], others]),
        1 => {
            // A minority with the victim, the rest a majority.
            let mut shuffled = others.clone();
            for i in (1..shuffled.len()).rev() {
                shuffled.swap(i, rng.below(i as u64 + 1) as usize);
            }
            let mut minority = vec![victim];
            minority.extend(shuffled.iter().take(((n - 1) / 2).saturating_sub(1)));
            let majority = shuffled
                .into_iter()
                .filter(|s| !minority.contains(s))
                .collect();
            Fault::Partition(vec![minority, majority])
        }
        2 if n >= 3 => {
            // The victim bridges two halves that do not reach each other.
            let (left, right) = others.split_at(others.len() / 2);
            let mut a = left.to_vec();
            a.push(victim);
            let mut b = right.to_vec();
            b.push(victim);
            Fault::Partition(vec![a, b])
        }
        _ => Fault::CutClients(victim),
    }
}

/// Applies a fault.
pub fn inject(cluster: &mut Cluster, fault: &Fault, rng: &mut Rng) -> std::io::Result<()> {
    match fault {
        Fault::TornTail(id) => disk::tear_tail(cluster, *id, rng)?,
        Fault::FailingFsync(id, after) => disk::fail_fsync(cluster, *id, *after)?,
        Fault::SlowFsync(id, ms) => disk::slow_fsync(cluster, *id, *ms)?,
        Fault::FullDisk(id) => cluster.fill_disk(*id)?,
        Fault::Kill(id) => cluster.kill(*id),
        Fault::Pause(id) => cluster.pause(*id)?,
        Fault::Partition(groups) => partition_overlapping(cluster, groups),
        Fault::CutClients(id) => cluster.set_client_link(*id, Mode::Cut),
    }
    Ok(())
}

/// A partition whose groups may share a server (a bridge): a link passes when both ends
/// share some group.
fn partition_overlapping(cluster: &Cluster, groups: &[Vec<usize>]) {
    let pairs: Vec<Vec<usize>> = (1..=cluster.len())
        .flat_map(|a| (1..=cluster.len()).map(move |b| (a, b)))
        .filter(|&(a, b)| a != b && groups.iter().any(|g| g.contains(&a) && g.contains(&b)))
        .map(|(a, b)| vec![a, b])
        .collect();
    cluster.partition(&pairs);
}

/// What the fault phase does: its kind, how long, and how long each fault is held.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// The faults.
    pub kind: FaultKind,
    /// The seed of every choice.
    pub seed: u64,
    /// The fault phase's length.
    pub faulty: Duration,
    /// Quiet time between faults, at least and at most.
    pub quiet: (Duration, Duration),
    /// How long a fault is held, at least and at most.
    pub held: (Duration, Duration),
}

/// Runs the fault phase, then heals everything; the faults as they happened (`start` is
/// the run's origin).
pub async fn run(
    cluster: &mut Cluster,
    schedule: &Schedule,
    start: Instant,
) -> std::io::Result<Vec<FaultRecord>> {
    let mut rng = Rng::new(schedule.seed);
    let mut done = Vec::new();
    let end = Instant::now() + schedule.faulty;
    let us = |at: Instant| at.duration_since(start).as_micros() as u64;
    loop {
        tokio::time::sleep(rng.between(schedule.quiet.0, schedule.quiet.1)).await;
        let held = rng.between(schedule.held.0, schedule.held.1);
        if Instant::now() + held > end {
            break;
        }
        let leader = cluster.leader().await;
        let fault = choose(&mut rng, schedule.kind, cluster.len(), leader);
        let from = Instant::now();
        inject(cluster, &fault, &mut rng)?;
        tokio::time::sleep(held).await;
        cluster.heal()?;
        done.push(FaultRecord {
            fault,
            from_us: us(from),
            to_us: us(Instant::now()),
        });
    }
    cluster.heal()?;
    Ok(done)
}
