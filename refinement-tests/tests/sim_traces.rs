//! Implementation → model for the implementation's own deterministic simulator (`zab::sim`):
//! its seeded runs record every server's trace as `zabd` does, and the real-ensemble validator
//! (`ensemble/`) must explain every event of them by enabled model actions.

mod common;

use common::recorded_run_model;
use std::sync::Arc;
use std::time::Instant;
use zab::database::ZkDatabase;
use zab::sim::workload::Workload;
use zab::sim::{Choices, Cluster, SimConfig};
use zab_refinement::coverage::Coverage;
use zab_refinement::ensemble::validate_from;

/// One seeded simulator run, recorded: the traces in server order.
fn record(cfg: SimConfig) -> Vec<Vec<zab::server::trace::Record>> {
    let seed = cfg.seed;
    let mut c = Cluster::<ZkDatabase>::new(SimConfig {
        record: true,
        zabd_links: true,
        ..cfg
    });
    c.run(&mut Choices::seeded(seed))
        .unwrap_or_else(|f| panic!("seed {seed}: the simulator's own checks: {f:?}"));
    c.traces.into_values().collect()
}

fn sim(seed: u64, crashes: usize, drops: usize, partitions: usize) -> SimConfig {
    SimConfig {
        crashes,
        partitions,
        drops,
        writes: 4,
        fault_steps: 300,
        ..SimConfig::new(seed)
    }
}

/// Validates `runs` seeded runs; what they went through.
fn validate_runs(runs: u64, crashes: usize, drops: usize, partitions: usize) -> Coverage {
    let t = Instant::now();
    let genesis = Arc::new(|| <ZkDatabase as Workload>::genesis(&[1, 2, 3]));
    let (mut events, mut actions, mut coverage) = (0, 0, Coverage::default());
    // `ZAB_SIM_RUNS=N` validates seeds 0..N instead (a deeper run than CI's), and
    // `ZAB_SIM_SEED=N` seed N alone.
    let runs = common::env_or("ZAB_SIM_RUNS", runs);
    let seeds = match std::env::var("ZAB_SIM_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(seed) => seed..seed + 1,
        None => 0..runs,
    };
    // `ZAB_SIM_KEEP_GOING=1` validates every seed and lists the failing ones at the end.
    let keep_going = common::env_or("ZAB_SIM_KEEP_GOING", 0) == 1;
    let (mut failed, mut explained) = (Vec::new(), 0);
    for seed in seeds {
        let traces = record(sim(seed, crashes, drops, partitions));
        let s = match validate_from(
            &recorded_run_model(crashes as u8 + 1),
            traces,
            genesis.clone(),
        ) {
            Ok(s) => s,
            Err(f) if keep_going => {
                println!("seed {seed}: {f}");
                failed.push(seed);
                continue;
            }
            Err(f) => panic!("seed {seed}: {f}"),
        };
        events += s.events;
        actions += s.actions;
        explained += 1;
        coverage.merge(&s.coverage);
    }
    println!(
        "simulator runs validated ({crashes} crashes, {drops} drops, {partitions} partitions): \
         {explained} runs, {events} events, {actions} model actions, {:.1} s\n{}",
        t.elapsed().as_secs_f64(),
        coverage.table()
    );
    assert!(failed.is_empty(), "seeds not explained: {failed:?}");
    coverage
}

#[test]
fn the_simulators_fault_free_runs_are_behaviours_of_the_model() {
    let c = validate_runs(50, 0, 0, 0);
    let expected = [
        "Notify",
        "Decide",
        "Connect",
        "Deliver",
        "SyncLearner",
        "NewLeaderStep",
        "SyncFlush",
        "ClientRequest",
        "DIFF",
        "COMMIT",
    ];
    let missing = c.missing(&expected);
    assert!(missing.is_empty(), "never exercised: {missing:?}");
}

#[test]
fn the_simulators_runs_with_a_crash_are_behaviours_of_the_model() {
    let c = validate_runs(50, 1, 0, 0);
    let missing = c.missing(&["Crash", "Restart", "LearnerTimeout", "Resend"]);
    assert!(missing.is_empty(), "never exercised: {missing:?}");
}

/// Two crashes and two dropped packets: a leader may give up in discovery (initLimit) while
/// its voters could still join it (seed 2), which the model explains by its budgeted
/// `PrematureTimeout`. `ZAB_SIM_SEED=N` validates one seed.
#[test]
fn the_simulators_runs_with_crashes_and_drops_are_behaviours_of_the_model() {
    let c = validate_runs(50, 2, 2, 0);
    let missing = c.missing(&[
        "Crash",
        "Restart",
        "PrematureTimeout",
        "Lose(quorum)",
        "Transmit",
    ]);
    assert!(missing.is_empty(), "never exercised: {missing:?}");
}

/// One partition, healed later: the validator has no mapping of its own for it, and explains
/// what the servers saw (packets that never arrived, connections that broke) by losses.
#[test]
fn the_simulators_runs_with_a_partition_are_behaviours_of_the_model() {
    let c = validate_runs(50, 0, 0, 1);
    let missing = c.missing(&["Lose(quorum)", "Lose(election)", "LearnerTimeout"]);
    assert!(missing.is_empty(), "never exercised: {missing:?}");
}

/// One partition and one crash.
#[test]
fn the_simulators_runs_with_a_partition_and_a_crash_are_behaviours_of_the_model() {
    let c = validate_runs(50, 1, 0, 1);
    let missing = c.missing(&["Crash", "Restart", "Lose(quorum)"]);
    assert!(missing.is_empty(), "never exercised: {missing:?}");
}

/// Every fault at once: two crashes, two dropped packets and a partition.
#[test]
fn the_simulators_runs_with_every_fault_are_behaviours_of_the_model() {
    let c = validate_runs(50, 2, 2, 1);
    let missing = c.missing(&["Crash", "Restart", "Lose(quorum)", "PrematureTimeout"]);
    assert!(missing.is_empty(), "never exercised: {missing:?}");
}

/// Prints a seed's recorded traces: `SEED=N` (`CRASHES`, default 1; `DROPS` and `PARTITIONS`,
/// default 0).
#[test]
#[ignore]
fn dump_seed() {
    let seed: u64 = std::env::var("SEED").unwrap().parse().unwrap();
    let traces = record(sim(
        seed,
        common::env_or("CRASHES", 1),
        common::env_or("DROPS", 0),
        common::env_or("PARTITIONS", 0),
    ));
    for (s, t) in traces.iter().enumerate() {
        for (i, r) in t.iter().enumerate() {
            let d = zab::server::trace::describe(r);
            println!("s{} #{i} @{}: {}", s + 1, r.at_ns(), &d[..d.len().min(260)]);
        }
    }
}
