//! Fast Leader Election refinement: the implementation's replicas follow the model's
//! `--phase election` traces step for step, from every initial combination of (epoch, zxid)
//! votes, with crashes, partitions and lost notifications.

mod common;

use common::{election, report};
use std::time::Instant;
use zab_refinement::model_to_impl::walk::{all_paths, random_walks, Walks};
use zab_refinement::shared::coverage::ELECTION_KINDS;

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
