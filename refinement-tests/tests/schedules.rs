//! proptest-generated schedules: each choice picks the next model action among those enabled
//! (`walk::replay_choices`); a schedule on which the implementation diverges is shrunk by
//! proptest to a minimal trace, which the failure prints (`faulty_replicas.rs` shows the shrinking
//! on a replica that commits without a quorum).

mod common;

use common::{schedule, scope};
use proptest::prelude::*;
use zab_refinement::model_to_impl::walk::replay_choices;

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
