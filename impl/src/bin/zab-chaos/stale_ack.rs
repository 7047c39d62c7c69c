//! `zab-chaos stale-ack`: the model's `stale-ack` schedule on real servers, its steps and
//! its verdict.

use super::{zabd_path, Ensemble, Servers};
use std::path::PathBuf;
use std::process::ExitCode;
use zab::chaos::cluster::Target;
use zab::chaos::stale_ack;

/// Runs the schedule; exit 1 when an acknowledged write was lost, 3 when it could not run.
pub(crate) fn run(ensemble: Ensemble, dir: Option<PathBuf>) -> ExitCode {
    let Ensemble {
        target,
        zabd,
        servers,
    } = ensemble;
    if servers != 3 && servers != 5 {
        eprintln!("zab-chaos: --servers must be 3 or 5");
        return ExitCode::from(2);
    }
    let target = match target {
        Servers::Zookeeper => Target::ZooKeeper,
        Servers::Zabd => match zabd_path(zabd) {
            Ok(p) => Target::Zabd(p),
            Err(e) => {
                eprintln!("zab-chaos: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let dir = dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("zab-stale-ack-{}", std::process::id()))
    });
    println!(
        "zab-chaos stale-ack: target {} servers {servers} in {}",
        target.name(),
        dir.display()
    );
    let Ok(rt) = tokio::runtime::Runtime::new() else {
        eprintln!("zab-chaos: no runtime");
        return ExitCode::from(3);
    };
    match rt.block_on(stale_ack::run(target, servers, &dir)) {
        Ok(out) => {
            for s in &out.steps {
                println!("{s}");
            }
            if out.lost() {
                println!("verdict: an acknowledged create was lost");
                ExitCode::from(1)
            } else {
                println!(
                    "verdict: nothing acknowledged was lost (acknowledged: {}, R held first: {}, \
                     /w after failover: {:?}, at the end: {:?})",
                    out.acknowledged, out.held_before_ack, out.after_failover, out.finally
                );
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("zab-chaos: {e}");
            ExitCode::from(3)
        }
    }
}
