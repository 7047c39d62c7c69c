//! `zab-chaos stale-ack`, `ack-before-persist` and the three-server schedules: the
//! scripted schedules on real servers, their steps and their verdicts.

use super::{zabd_path, Ensemble, Servers};
use std::path::PathBuf;
use std::process::ExitCode;
use zab::chaos::cluster::Target;
use zab::chaos::schedule::{ack_before_persist, stale_ack, ScheduleError, Verdict};

/// The model's `stale-ack` schedule; exit 1 when an acknowledged write was lost.
pub(crate) fn stale_ack(ensemble: Ensemble, dir: Option<PathBuf>) -> ExitCode {
    let Ensemble {
        target,
        zabd,
        servers,
    } = ensemble;
    if servers != 3 && servers != 5 {
        eprintln!("zab-chaos: --servers must be 3 or 5");
        return ExitCode::from(2);
    }
    let target = match target_of(target, zabd) {
        Ok(t) => t,
        Err(e) => return usage(&e),
    };
    let dir = dir_or_temp(dir, "stale-ack");
    println!(
        "zab-chaos stale-ack: target {} servers {servers} in {}",
        target.name(),
        dir.display()
    );
    run(|| stale_ack::run(target, servers, &dir))
}

/// A follower ACKing before its fsync (`--cfg zab.bug=AckBeforePersist`, faults build) on
/// three zabd servers; exit 1 when an acknowledged write was lost.
pub(crate) fn ack_before_persist(
    zabd: Option<PathBuf>,
    extra: Vec<String>,
    dir: Option<PathBuf>,
) -> ExitCode {
    let target = match zabd_path(zabd) {
        Ok(p) => Target::Zabd(p),
        Err(e) => return usage(&e),
    };
    let dir = dir_or_temp(dir, "ack-before-persist");
    println!(
        "zab-chaos ack-before-persist: zabd {extra:?} in {}",
        dir.display()
    );
    run(|| ack_before_persist::run(target, extra, &dir))
}

/// The servers of a three-server schedule (`newleader-ack`, `epoch-before-log`, …).
#[derive(clap::Args)]
pub(crate) struct ThreeServers {
    /// The servers.
    #[arg(long, value_enum, default_value_t = Servers::Zabd)]
    target: Servers,
    /// The zabd executable (default: the one beside this program).
    #[arg(long)]
    zabd: Option<PathBuf>,
    /// Where the servers, their logs and the shim go (default: a new temporary directory).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Runs the three-server schedule `name`; exit 1 when its verdict says it broke something.
pub(crate) fn three_servers<V: Verdict, Fut>(
    name: &str,
    args: ThreeServers,
    schedule: impl FnOnce(Target, PathBuf) -> Fut,
) -> ExitCode
where
    Fut: std::future::Future<Output = Result<V, ScheduleError>>,
{
    let target = match target_of(args.target, args.zabd) {
        Ok(t) => t,
        Err(e) => return usage(&e),
    };
    let dir = dir_or_temp(args.dir, name);
    println!(
        "zab-chaos {name}: target {} in {}",
        target.name(),
        dir.display()
    );
    run(|| schedule(target, dir))
}

fn target_of(target: Servers, zabd: Option<PathBuf>) -> Result<Target, String> {
    Ok(match target {
        Servers::Zookeeper => Target::ZooKeeper,
        Servers::Zabd => Target::Zabd(zabd_path(zabd)?),
    })
}

fn usage(e: &str) -> ExitCode {
    eprintln!("zab-chaos: {e}");
    ExitCode::from(2)
}

fn dir_or_temp(dir: Option<PathBuf>, name: &str) -> PathBuf {
    dir.unwrap_or_else(|| std::env::temp_dir().join(format!("zab-{name}-{}", std::process::id())))
}

/// Runs a schedule and prints its steps and verdict; exit 1 when it broke something.
fn run<V: Verdict, F, Fut>(schedule: F) -> ExitCode
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<V, ScheduleError>>,
{
    let Ok(rt) = tokio::runtime::Runtime::new() else {
        eprintln!("zab-chaos: no runtime");
        return ExitCode::from(3);
    };
    let out = match rt.block_on(schedule()) {
        Ok(out) => out,
        Err(e) => {
            eprintln!("zab-chaos: {e}");
            return ExitCode::from(3);
        }
    };
    for s in out.steps() {
        println!("{s}");
    }
    match out.verdict() {
        Ok(fine) => {
            println!("verdict: {fine}");
            ExitCode::SUCCESS
        }
        Err(broken) => {
            println!("verdict: {broken}");
            ExitCode::from(1)
        }
    }
}
