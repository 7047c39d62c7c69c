//! Implementation → model: seeded runs of the replicas as servers run them, every event
//! explained by enabled model actions (`validate.rs`).

mod common;

use common::{assert_covers, env_or, report, scope};
use std::collections::HashSet;
use std::time::Instant;
use zab_model::ZabModel;
use zab_refinement::impl_to_model::validate::{run, validate, Run};
use zab_refinement::model_to_impl::walk::Summary;
use zab_refinement::shared::coverage::{READ_KINDS, ZAB_KINDS};

/// A seeded run of at most 300 events, a fault 5% of the times one is enabled.
fn seeded(seed: u64) -> Run {
    Run {
        seed,
        events: 300,
        fault_percent: 5,
    }
}

/// `runs` seeded runs of at most 300 events, each validated as it goes.
fn validate_runs(model: &ZabModel, runs: u64) -> Summary {
    let mut sum = Summary::default();
    let mut seen = HashSet::new();
    for seed in 0..runs {
        run(model, None, seeded(seed), &mut sum, &mut seen)
            .unwrap_or_else(|f| panic!("seed {seed}: {f}"));
    }
    sum.distinct_states = seen.len();
    sum
}

#[test]
fn the_implementations_own_traces_are_behaviours_of_the_model() {
    let t = Instant::now();
    let sum = validate_runs(&scope(0, 1), env_or("ZAB_VALIDATE_RUNS", 3_000));
    report("implementation traces validated (events as steps)", &sum, t);
    assert_covers(&sum, ZAB_KINDS);
    assert_covers(&sum, &["DIFF", "TRUNC", "SNAP", "COMMIT"]);
}

#[test]
fn an_observers_traces_are_behaviours_of_the_model() {
    let t = Instant::now();
    let sum = validate_runs(&scope(1, 1), env_or("ZAB_VALIDATE_RUNS", 3_000) / 2);
    report("implementation traces with an observer validated", &sum, t);
    assert_covers(&sum, &["INFORM", "OBSERVING"]);
}

/// Linearizable reads (`specs/reads.md`): the replicas open reads, ask their leader, run the
/// CONFIRM round and answer at the read index, and every event of it is a model step.
#[test]
fn traces_with_linearizable_reads_are_behaviours_of_the_model() {
    let t = Instant::now();
    let model = ZabModel::new(zab_model::Config {
        reads: 3,
        ..scope(0, 1).cfg
    });
    let sum = validate_runs(&model, env_or("ZAB_VALIDATE_RUNS", 3_000) / 2);
    report(
        "implementation traces with linearizable reads validated",
        &sum,
        t,
    );
    assert_covers(&sum, READ_KINDS);
}

#[test]
fn a_recorded_trace_validates_again_from_the_start() {
    let model = scope(0, 1);
    let mut sum = Summary::default();
    let events = run(&model, None, seeded(7), &mut sum, &mut HashSet::new()).unwrap();
    let actions = validate(&model, None, &events).unwrap_or_else(|f| panic!("{f}"));
    assert!(
        actions >= events.len() / 2,
        "{actions} actions for {} events",
        events.len()
    );
}
