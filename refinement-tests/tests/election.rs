//! Fast Leader Election refinement: the implementation's replicas follow the model's
//! `--phase election` traces step for step, from every initial combination of (epoch, zxid)
//! votes, with crashes, partitions and lost notifications.

mod common;

use common::report;
use std::time::Instant;
use zab::replica::Fault;
use zab_model::{Config, Election, Scope, ZabModel};
use zab_refinement::coverage::ELECTION_KINDS;
use zab_refinement::walk::{all_paths, random_walks, Walks};

fn election(crashes: u8, partitions: u8, losses: u8) -> ZabModel {
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

#[test]
fn random_walks_with_faults_refine_the_model() {
    let t = Instant::now();
    let model = election(2, 1, 2);
    let s = random_walks(&model, None, Walks::new(20_000, 80))
        .unwrap_or_else(|(seed, m)| panic!("walk seed {seed}: {m}"));
    report("election random walks", &s, t);
    let missing = s.coverage.missing(ELECTION_KINDS);
    assert!(missing.is_empty(), "never exercised: {missing:?}");
}

#[test]
fn every_path_to_depth_refines_the_model() {
    let t = Instant::now();
    let model = election(1, 0, 0);
    let s = all_paths(&model, None, 6).unwrap_or_else(|m| panic!("{m}"));
    report("election paths to depth 6", &s, t);
    assert!(s.steps > 1_000_000);
}

/// The check can fail: replicas with ZOOKEEPER-1419's vote order diverge from the model, and
/// the report names the step.
#[test]
fn a_wrong_vote_order_is_caught_at_the_step_it_diverges() {
    let model = election(0, 0, 0);
    let err = all_paths(&model, Some(Fault::VoteOrderIgnoresEpoch), 4)
        .expect_err("the broken vote order must diverge");
    println!("caught: {err}");
    assert!(err.step >= 1 && err.step <= 4);
    assert!(
        err.action.contains("reaches") || err.action.contains("NOTIFICATION"),
        "{}",
        err.action
    );
    assert!(err.reason.contains("views differ"), "{}", err.reason);
}
