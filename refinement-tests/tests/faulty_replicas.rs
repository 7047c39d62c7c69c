//! The checks can fail: replicas with a deliberately wrong behaviour (`zab::replica::Bug`,
//! the `faults` cargo feature) are caught at the step where they diverge, by every route the
//! suites use — model → implementation replays, proptest schedules, implementation → model
//! trace validation, and a real `zabd` ensemble. Run with
//! `cargo test --release --target-dir target/faults -p zab-refinement --features faults
//! --test faulty_replicas`: a separate target directory, so the release `zabd` never carries
//! a fault (cargo would merge the feature into every build of `zab` in one run).

mod common;

use common::real_ensemble::{model, record, write_and_read, write_two};
use common::{election, schedule, scope};
use proptest::test_runner::{
    Config as RunnerConfig, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner,
};
use std::collections::HashSet;
use zab::replica::Bug;
use zab_refinement::impl_to_model::ensemble::validate as validate_ensemble;
use zab_refinement::impl_to_model::validate::{run, Event as ValidateEvent, Failure, Run};
use zab_refinement::model_to_impl::simulation::{simulate, Simulation};
use zab_refinement::model_to_impl::walk::{
    all_paths, random_walks, replay_choices, Summary, Walks,
};
use zab_refinement::shared::divergence::Divergence;

/// The check can fail: a leader that commits its own proposals without a quorum of ACKs
/// diverges from the model at the client write that makes it commit.
#[test]
fn a_leader_that_commits_without_a_quorum_is_caught_at_the_write() {
    let err = random_walks(
        &scope(0, 0),
        Some(Bug::CommitWithoutQuorum),
        Walks::new(500, 250),
    )
    .expect_err("a commit without a quorum must diverge");
    println!("caught (walk seed {}): {}", err.0, err.1);
    let m = err.1;
    assert!(m.action.contains("client write"), "{}", m.action);
    assert!(matches!(m.reason, Divergence::Views(_)), "{}", m.reason);
    assert_eq!(m.trace.len(), m.step);
    // The simulation checker's walks catch it too.
    let run = Simulation {
        seed: 7,
        states: 50_000,
        depth: 250,
        fault_percent: 5,
    };
    let (seed, m) = simulate(&scope(0, 0), Some(Bug::CommitWithoutQuorum), run)
        .expect_err("a commit without a quorum must diverge in simulation too");
    println!("caught in simulation (walk seed {seed}): {m}");
    let at_write = m.action.contains("client write") || m.action.contains("REQUEST");
    assert!(at_write, "{}", m.action);
}

/// The check can fail: a server that answers a linearizable read from its own state, without
/// a read index, diverges at the read it opens (the model's server is still asking).
#[test]
fn a_server_reading_without_a_read_index_is_caught_at_the_read() {
    let model = zab_model::ZabModel::new(zab_model::Config {
        reads: 1,
        ..scope(0, 0).cfg
    });
    let err = random_walks(&model, Some(Bug::LocalRead), Walks::new(500, 250))
        .expect_err("a local read must diverge");
    println!("caught (walk seed {}): {}", err.0, err.1);
    assert!(
        err.1.action.contains("linearizable read"),
        "{}",
        err.1.action
    );
    assert!(
        matches!(err.1.reason, Divergence::Views(_)),
        "{}",
        err.1.reason
    );
}

/// The check can fail: a follower that does not truncate what TRUNC tells it to diverges at
/// the delivery of that TRUNC.
#[test]
fn a_follower_that_skips_trunc_is_caught_at_the_trunc() {
    let w = Walks {
        fault_percent: Some(10),
        ..Walks::new(20_000, 250)
    };
    let err = random_walks(&scope(0, 1), Some(Bug::SkipTrunc), w)
        .expect_err("skipping TRUNC must diverge");
    println!("caught (walk seed {}): {}", err.0, err.1);
    assert!(err.1.action.contains("TRUNC"), "{}", err.1.action);
    assert!(
        matches!(err.1.reason, Divergence::Views(_)),
        "{}",
        err.1.reason
    );
}

/// The check can fail: replicas with ZOOKEEPER-1419's vote order diverge from the model, and
/// the report names the step.
#[test]
fn a_wrong_vote_order_is_caught_at_the_step_it_diverges() {
    let model = election(0, 0, 0);
    let err = all_paths(&model, Some(Bug::VoteOrderIgnoresEpoch), 4)
        .expect_err("the broken vote order must diverge");
    println!("caught: {err}");
    assert!(err.step >= 1 && err.step <= 4);
    assert!(
        err.action.contains("reaches") || err.action.contains("NOTIFICATION"),
        "{}",
        err.action
    );
    assert!(matches!(err.reason, Divergence::Views(_)), "{}", err.reason);
}

/// A failure shrinks to a minimal trace: with a leader that commits without a quorum, the
/// shrunk schedule is a short run to the first write the leader proposes, and replaying it
/// reports the divergence there (a client write at the leader, or the forwarded REQUEST).
#[test]
fn a_failing_schedule_shrinks_to_a_minimal_trace() {
    let model = scope(0, 1);
    let bug = Some(Bug::CommitWithoutQuorum);
    let config = RunnerConfig {
        cases: 512,
        failure_persistence: None,
        ..RunnerConfig::default()
    };
    // A fixed seed: the same schedules, the same shrunk trace, on every run.
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let outcome = runner.run(&schedule(), |choices| {
        replay_choices(&model, bug, &choices)
            .map(|_| ())
            .map_err(|m| TestCaseError::fail(m.to_string()))
    });
    let Err(TestError::Fail(_, minimal)) = outcome else {
        panic!("no schedule diverged: {outcome:?}");
    };
    let m = replay_choices(&model, bug, &minimal).expect_err("the shrunk schedule diverges");
    println!("shrunk to {} choices:\n{m}", minimal.len());
    let at_write = m.action.contains("client write") || m.action.contains("REQUEST");
    assert!(at_write, "{}", m.action);
    assert!(matches!(m.reason, Divergence::Views(_)), "{}", m.reason);
    // Short: an election, discovery and sync of a quorum, a write, and little else.
    assert!(m.step <= 60, "{} steps", m.step);
}

/// A trace the model cannot produce fails: a leader that commits without a quorum.
#[test]
fn a_trace_the_model_cannot_produce_is_a_failure() {
    let failure = first_failed_run(&scope(0, 0), Bug::CommitWithoutQuorum);
    assert!(
        matches!(failure.event, ValidateEvent::ClientRequest(_)),
        "{:?}",
        failure.event
    );
}

/// A trace the model cannot produce fails: a server that answers a linearizable read from its
/// own state is caught at the read (the model's server is still asking its leader).
#[test]
fn a_trace_with_a_local_read_is_a_failure() {
    let model = zab_model::ZabModel::new(zab_model::Config {
        reads: 1,
        ..scope(0, 0).cfg
    });
    let failure = first_failed_run(&model, Bug::LocalRead);
    assert!(
        matches!(failure.event, ValidateEvent::Read(_)),
        "{:?}",
        failure.event
    );
}

/// The first of 200 seeded trace-validation runs with `bug` that fails, which it must, at an
/// event no model step explains.
fn first_failed_run(model: &zab_model::ZabModel, bug: Bug) -> Failure {
    let mut sum = Summary::default();
    let seeded = |seed| Run {
        seed,
        events: 300,
        fault_percent: 5,
    };
    let failure = (0..200)
        .find_map(|seed| {
            run(
                model,
                Some(bug),
                seeded(seed),
                &mut sum,
                &mut HashSet::new(),
            )
            .err()
        })
        .unwrap_or_else(|| panic!("no run with {bug:?} failed"));
    println!("{failure}");
    assert!(
        matches!(failure.reason, Divergence::Unexplained { .. }),
        "{}",
        failure.reason
    );
    failure
}

/// The check can fail: servers whose leader commits a proposal without a quorum of ACKs
/// (`zab.bug=CommitWithoutQuorum`) make a run the model cannot produce, and the validation
/// says where.
#[test]
fn a_real_ensemble_that_commits_without_a_quorum_is_caught() {
    let traces = record(&["zab.bug=CommitWithoutQuorum"], 3, |e| {
        write_two(e.leader().expect("a leader"))
    });
    let f = validate_ensemble(&model(0), traces).expect_err("a commit without a quorum");
    println!(
        "caught: {}",
        f.reason.to_string().lines().next().unwrap_or("")
    );
    assert!(
        matches!(&f.reason, Divergence::Unexplained { what, .. } if what.contains("client write")),
        "{}",
        f.reason
    );
}

/// The check can fail: a real ensemble under `zab.reads=linearizable` whose servers answer a
/// read from their own state (`zab.bug=LocalRead`) makes a run the model cannot produce, at
/// that read.
#[test]
fn a_real_ensemble_that_reads_locally_is_caught_at_the_read() {
    let cfg = ["zab.reads=linearizable", "zab.bug=LocalRead"];
    let traces = record(&cfg, 3, |e| {
        let leader = e.leader().expect("a leader");
        let follower = *e.ports.iter().find(|p| **p != leader).unwrap();
        write_and_read(follower);
    });
    let f = validate_ensemble(&model(0), traces).expect_err("a read without a read index");
    println!(
        "caught: {}",
        f.reason.to_string().lines().next().unwrap_or("")
    );
    assert!(
        matches!(&f.reason, Divergence::Unexplained { what, .. } if what.contains("read")),
        "{}",
        f.reason
    );
}
