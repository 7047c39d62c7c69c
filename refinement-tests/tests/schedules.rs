//! proptest-generated schedules: each choice picks the next model action among those enabled
//! (`walk::replay_choices`); a schedule on which the implementation diverges is shrunk by
//! proptest to a minimal trace, which the failure prints.

mod common;

use common::scope;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, RngAlgorithm, TestError, TestRng, TestRunner};
use zab::replica::Fault;
use zab_refinement::walk::replay_choices;

fn schedule() -> impl Strategy<Value = Vec<u16>> {
    proptest::collection::vec(any::<u16>(), 1..300)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct("tests/schedules.proptest-regressions"),
        )),
        .. ProptestConfig::default()
    })]

    #[test]
    fn proptest_schedules_refine_the_model(choices in schedule()) {
        let model = scope(0, 1);
        if let Err(m) = replay_choices(&model, None, &choices) {
            return Err(TestCaseError::fail(m.to_string()));
        }
    }
}

/// A failure shrinks to a minimal trace: with a leader that commits without a quorum, the
/// shrunk schedule is a short run to the first write the leader proposes, and replaying it
/// reports the divergence there (a client write at the leader, or the forwarded REQUEST).
#[test]
fn a_failing_schedule_shrinks_to_a_minimal_trace() {
    let model = scope(0, 1);
    let fault = Some(Fault::CommitWithoutQuorum);
    let config = RunnerConfig {
        cases: 512,
        failure_persistence: None,
        ..RunnerConfig::default()
    };
    // A fixed seed: the same schedules, the same shrunk trace, on every run.
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let outcome = runner.run(&schedule(), |choices| {
        replay_choices(&model, fault, &choices)
            .map(|_| ())
            .map_err(|m| TestCaseError::fail(m.to_string()))
    });
    let Err(TestError::Fail(_, minimal)) = outcome else {
        panic!("no schedule diverged: {outcome:?}");
    };
    let m = replay_choices(&model, fault, &minimal).expect_err("the shrunk schedule diverges");
    println!("shrunk to {} choices:\n{m}", minimal.len());
    let at_write = m.action.contains("client write") || m.action.contains("REQUEST");
    assert!(at_write, "{}", m.action);
    assert!(m.reason.contains("views differ"), "{}", m.reason);
    // Short: an election, discovery and sync of a quorum, a write, and little else.
    assert!(m.step <= 60, "{} steps", m.step);
}
