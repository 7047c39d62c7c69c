//! zab-chaos: a fault campaign on a real ensemble on loopback. It starts the servers behind
//! fault-injecting proxies, runs a workload through a phase of faults chosen from a seed
//! (printed first, so a run can be replayed) and a quiet healing phase, writes the history,
//! checks it, and prints one table row.
//!
//! Exit codes: 0 no anomaly, 1 anomalies found (listed), 2 bad arguments, 3 the campaign
//! could not run (the ensemble did not come up, say).

mod report;
mod schedules;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use zab::chaos::campaign::{self, Campaign, WorkloadKind};
use zab::chaos::cluster::{Spec, Target};
use zab::chaos::namespace;
use zab::chaos::nemesis::{FaultKind, Schedule};
use zab::chaos::register::Reads;
use zab::chaos::schedule::{diff_sync_race, epoch_before_log, newleader_ack, sync_outlives};

#[derive(Parser)]
#[command(
    name = "zab-chaos",
    version,
    about = "Fault campaigns on a real ensemble"
)]
struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a campaign and check its history.
    Run(RunArgs),
    /// Drive the model's `stale-ack` counterexample on real servers (`specs/findings.md`).
    StaleAck {
        #[command(flatten)]
        ensemble: Ensemble,
        /// Where the servers, their logs and the shim go (default: a new temporary directory).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// ZOOKEEPER-4646 on three servers: a follower ACKs NEWLEADER before its synced
    /// transactions are durable; a create a client read is then lost.
    NewleaderAck(schedules::ThreeServers),
    /// ZOOKEEPER-4643 on three servers: a follower writes its new currentEpoch before it
    /// logs the synced transactions, crashes, and wins the next election with that epoch.
    EpochBeforeLog(schedules::ThreeServers),
    /// ZOOKEEPER-4785 on three servers: a DIFF-synced follower writes its new currentEpoch
    /// and ACKs before its sync thread logs; the leader dies; the follower, still running,
    /// wins the next election with that epoch.
    DiffSyncRace(schedules::ThreeServers),
    /// ZOOKEEPER-4712 on three servers: a follower's sync thread outlives its shutdown and
    /// logs a transaction after the follower rebuilt its state; the servers then disagree.
    SyncOutlives(schedules::ThreeServers),
    /// A follower that ACKs before its fsync, on three zabd servers: with `--cfg
    /// zab.bug=AckBeforePersist` (faults build) an acknowledged create is lost.
    AckBeforePersist {
        /// The zabd executable (default: the one beside this program).
        #[arg(long)]
        zabd: Option<PathBuf>,
        /// An extra zoo.cfg line for every server (repeatable).
        #[arg(long = "cfg", value_name = "KEY=VALUE")]
        extra: Vec<String>,
        /// Where the servers, their logs and the shim go (default: a new temporary directory).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Check a history written by an earlier run.
    Check {
        /// The history (JSON lines).
        history: PathBuf,
        /// Check reads as linearizable too.
        #[arg(long)]
        linearizable_reads: bool,
    },
}

/// The servers a campaign runs.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum Servers {
    /// zabd.
    Zabd,
    /// Apache ZooKeeper from Debian's package.
    Zookeeper,
}

/// Which servers, and how many.
#[derive(clap::Args)]
pub(crate) struct Ensemble {
    /// The servers.
    #[arg(long, value_enum, default_value_t = Servers::Zabd)]
    target: Servers,
    /// The zabd executable (default: the one beside this program).
    #[arg(long)]
    zabd: Option<PathBuf>,
    /// Voting servers (`stale-ack`: 3, where the leader's own fsync is the slow one, or 5,
    /// a follower's).
    #[arg(long, default_value_t = 3)]
    servers: usize,
}

#[derive(clap::Args)]
struct RunArgs {
    #[command(flatten)]
    ensemble: Ensemble,
    /// The faults.
    #[arg(long, value_enum, default_value_t = FaultKind::Mixed)]
    faults: FaultKind,
    /// The workload.
    #[arg(long, value_enum, default_value_t = WorkloadKind::Register)]
    workload: WorkloadKind,
    /// The seed (default: drawn, and printed).
    #[arg(long)]
    seed: Option<u64>,
    /// Seconds of faults.
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// Seconds of the quiet healing phase after them.
    #[arg(long, default_value_t = 5)]
    healing: u64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 6)]
    clients: usize,
    /// Registers.
    #[arg(long, default_value_t = 4)]
    keys: u32,
    /// tickTime of the servers, ms.
    #[arg(long, default_value_t = 200)]
    tick_ms: u32,
    /// Where the servers and the history go (default: a new temporary directory).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// An extra zoo.cfg line for every server (repeatable), e.g. `zab.bug=...` in a faults build.
    #[arg(long = "cfg", value_name = "KEY=VALUE")]
    extra: Vec<String>,
    /// zabd's `zab.reads`; with `linearizable` the register's reads are checked as
    /// linearizable too.
    #[arg(long, value_enum, default_value_t = Reads::Sequential)]
    reads: Reads,
}

/// The checker's search budget per key: far beyond what a campaign's histories need
/// (tens of thousands of steps), and a bound on a pathological one.
const BUDGET: u64 = 10_000_000;

fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Cmd::Run(a) => run(a),
        Cmd::StaleAck { ensemble, dir } => schedules::stale_ack(ensemble, dir),
        Cmd::NewleaderAck(a) => schedules::three_servers("newleader-ack", a, newleader_ack::run),
        Cmd::SyncOutlives(a) => schedules::three_servers("sync-outlives", a, sync_outlives::run),
        Cmd::EpochBeforeLog(a) => {
            schedules::three_servers("epoch-before-log", a, epoch_before_log::run)
        }
        Cmd::DiffSyncRace(a) => schedules::three_servers("diff-sync-race", a, diff_sync_race::run),
        Cmd::AckBeforePersist { zabd, extra, dir } => {
            schedules::ack_before_persist(zabd, extra, dir)
        }
        Cmd::Check {
            history,
            linearizable_reads,
        } => report::check(&history, linearizable_reads),
    }
}

fn seed() -> u64 {
    let mut b = [0u8; 8];
    let _ = getrandom::fill(&mut b);
    u64::from_le_bytes(b) >> 16
}

/// The zabd to run: the one named, or the one beside this program.
pub(crate) fn zabd_path(named: Option<PathBuf>) -> Result<PathBuf, String> {
    match named {
        Some(p) => Ok(p),
        None => Ok(std::env::current_exe()
            .map_err(|e| e.to_string())?
            .with_file_name("zabd")),
    }
}

fn campaign_of(a: &RunArgs) -> Result<Campaign, String> {
    if a.ensemble.servers == 0 || a.clients == 0 || a.keys == 0 {
        return Err("--servers, --clients and --keys must be at least 1".into());
    }
    if matches!(
        (a.ensemble.target, a.faults),
        (Servers::Zookeeper, FaultKind::Disk)
    ) {
        return Err("--faults disk drives zabd's test-only fault switches: zabd only".into());
    }
    if matches!(
        (a.ensemble.target, a.reads),
        (Servers::Zookeeper, Reads::Linearizable)
    ) {
        return Err("--reads linearizable is zabd's zab.reads; ZooKeeper has no such mode".into());
    }
    let mut extra = a.extra.clone();
    if a.reads == Reads::Linearizable {
        extra.push("zab.reads=linearizable".into());
    }
    let zabd = zabd_path(a.ensemble.zabd.clone())?;
    let seed = a.seed.unwrap_or_else(seed);
    let dir = a.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("zab-chaos-{}-{seed}", std::process::id()))
    });
    let tick = Duration::from_millis(u64::from(a.tick_ms));
    let session_ms = 10 * a.tick_ms as i32;
    Ok(Campaign {
        spec: Spec {
            target: match a.ensemble.target {
                Servers::Zabd => Target::Zabd(zabd),
                Servers::Zookeeper => Target::ZooKeeper,
            },
            servers: a.ensemble.servers,
            tick_ms: a.tick_ms,
            dir,
            extra,
            env: Vec::new(),
            // A full disk is one of the disk faults: each dataDir on its own tmpfs.
            disk_bytes: (a.faults == FaultKind::Disk).then_some(namespace::DISK_BYTES),
        },
        schedule: Schedule {
            kind: a.faults,
            seed,
            faulty: Duration::from_secs(a.duration),
            quiet: (tick * 2, tick * 8),
            // Longer than syncLimit (5 ticks) and than the session timeout (10 ticks).
            held: (tick * 12, tick * 20),
        },
        healing: Duration::from_secs(a.healing),
        workload: a.workload,
        workers: a.clients,
        keys: a.keys,
        session_ms,
        timeout: Duration::from_millis(u64::from(a.tick_ms) * 5),
        reads: a.reads,
        budget: BUDGET,
    })
}

fn run(a: RunArgs) -> ExitCode {
    if a.faults == FaultKind::Disk && !namespace::entered() {
        // The tmpfs disks are mounted in a mount namespace of the campaign's own.
        return match namespace::reexec() {
            Ok(status) => ExitCode::from(status.code().map_or(3, |c| c as u8)),
            Err(e) => {
                eprintln!("zab-chaos: a full disk needs a private mount namespace: {e}");
                ExitCode::from(3)
            }
        };
    }
    let c = match campaign_of(&a) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("zab-chaos: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "zab-chaos: seed {} target {} faults {:?} servers {} in {}",
        c.schedule.seed,
        c.spec.target.name(),
        c.schedule.kind,
        c.spec.servers,
        c.spec.dir.display()
    );
    let Ok(rt) = tokio::runtime::Runtime::new() else {
        eprintln!("zab-chaos: no runtime");
        return ExitCode::from(3);
    };
    let began = Instant::now();
    match rt.block_on(campaign::run(&c)) {
        Ok(r) => report::print_report(&c, &r, began.elapsed()),
        Err(e) => {
            eprintln!("zab-chaos: {e}");
            ExitCode::from(3)
        }
    }
}
