//! The liveness checker: passes where ZooKeeper makes progress, reports lassos where it does
//! not, and never invents one from a bound.

mod common;
use common::cfg;
use zab_model::check::run_liveness;
use zab_model::Election;

#[test]
fn default_ensemble_elects_and_commits() {
    let r = run_liveness(&cfg(|_| {}), 5_000_000, false);
    assert_eq!(r.result, "pass", "{:?}", r.properties);
    assert!(r.complete);
    assert_eq!(r.properties.len(), 2);
    assert!(r.properties.iter().all(|p| p.holds));
}

#[test]
fn fast_leader_election_with_zab_makes_progress() {
    let r = run_liveness(
        &cfg(|c| {
            c.election = Election::Fle;
            c.crashes = 0;
        }),
        15_000_000,
        false,
    );
    assert_eq!(r.result, "pass", "{:?}", r.properties);
    assert!(r.complete);
}

#[test]
fn a_partition_that_keeps_no_quorum_together_is_not_a_violation() {
    // With every server split off from the others, no leader can be expected; the checker
    // must not report the runs that stay partitioned.
    let r = run_liveness(
        &cfg(|c| {
            c.crashes = 0;
            c.partitions = 1;
            c.txns = 0;
        }),
        5_000_000,
        false,
    );
    assert_eq!(r.result, "pass", "{:?}", r.properties);
}
