//! What the refinement suites share: the model scopes, reports and coverage gates.

#![allow(dead_code)]

pub mod real_ensemble;

use std::time::Instant;
use zab_model::{Config, Election, Scope, ZabModel};
use zab_refinement::model_to_impl::walk::Summary;

/// The replayed scope (`specs/refinement.md`, "Scope"): 3 voters (and `observers`), Fast Leader Election, 2 client writes, 1
/// crash, 1 partition, `losses` lost packets, as many notifications written to TCP before
/// their receiver read them (`Transmit`) and as many leaders giving up too early
/// (`PrematureTimeout`).
pub fn scope(observers: u8, losses: u8) -> ZabModel {
    ZabModel::new(Config {
        servers: 3,
        observers,
        txns: 2,
        crashes: 1,
        partitions: 1,
        losses,
        transmits: losses,
        premature_timeouts: losses,
        epochs: 3,
        rounds: 4,
        election: Election::Fle,
        ..Config::default()
    })
}

/// Fast Leader Election alone (`--phase election`) on 3 servers, epochs 1, rounds 3.
pub fn election(crashes: u8, partitions: u8, losses: u8) -> ZabModel {
    ZabModel::new(Config {
        servers: 3,
        txns: 0,
        crashes,
        partitions,
        losses,
        transmits: losses,
        premature_timeouts: losses,
        epochs: 1,
        rounds: 3,
        election: Election::Fle,
        scope: Scope::Election,
        ..Config::default()
    })
}

/// A proptest schedule: each choice picks the next model action among those enabled
/// (`walk::replay_choices`).
pub fn schedule() -> impl proptest::strategy::Strategy<Value = Vec<u16>> {
    proptest::collection::vec(proptest::arbitrary::any::<u16>(), 1..300)
}

/// The model a recorded run (a real ensemble's or the simulator's) is validated against: 3
/// servers, the 4 transactions a run writes, `crashes` crashes, and budgets no run exhausts
/// for losses, notifications in TCP, premature timeouts, epochs and rounds.
pub fn recorded_run_model(crashes: u8) -> ZabModel {
    ZabModel::new(Config {
        servers: 3,
        txns: 4,
        reads: 4,
        crashes,
        losses: 200,
        transmits: 200,
        premature_timeouts: 200,
        epochs: 8,
        rounds: 100,
        election: Election::Fle,
        ..Config::default()
    })
}

/// A number from the environment, or `default`.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn report(name: &str, s: &Summary, t: Instant) {
    println!(
        "{name}: {} traces replayed, {} steps checked, {} distinct model states, {:.1} s\n{}",
        s.traces,
        s.steps,
        s.distinct_states,
        t.elapsed().as_secs_f64(),
        s.coverage.table()
    );
}

/// Fails naming what in `expected` the replays never exercised.
pub fn assert_covers(s: &Summary, expected: &[&'static str]) {
    let missing = s.coverage.missing(expected);
    assert!(missing.is_empty(), "never exercised: {missing:?}");
    println!(
        "covered {}/{} of {:?}.. (100%)",
        expected.len(),
        expected.len(),
        &expected[..expected.len().min(3)]
    );
}
