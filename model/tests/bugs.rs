//! Every bug switch is found by the checker on its smallest configuration, against the
//! invariant the published work names, and the same configuration without the switch passes.
//! This is what shows the checker can fail.

mod common;
use common::{check, status};
use stateright::Model;
use zab_model::bugs::{Bug, ALL_BUGS};
use zab_model::check::{run_liveness, Counterexample};
use zab_model::route::Route;
use zab_model::{Config, ZabModel};

fn without_bug(c: &Config) -> Config {
    Config {
        bug: None,
        ..c.clone()
    }
}

fn assert_found(bug: Bug) {
    let c = bug.smallest_config();
    let r = check(&c, &[bug.property()]);
    assert_eq!(r.result, "fail", "{} not found on {}", bug.name(), r.config);
    assert_eq!(status(&r, bug.property()), "violated");
    assert!(!r.counterexamples.is_empty());
    explorer_route_ends_at_the_violation(&c, bug.property(), &r.counterexamples[0]);
    let clean = check(&without_bug(&c), &[]);
    assert_eq!(
        clean.result, "pass",
        "{} without the switch: {:?}",
        clean.config, clean.counterexamples
    );
    assert!(clean.complete);
}

/// The counterexample's Explorer route, walked on the model the Explorer serves (no
/// symmetry), breaks `property` at its last step and not before.
fn explorer_route_ends_at_the_violation(c: &Config, property: &str, cx: &Counterexample) {
    let model = ZabModel::new(Config {
        symmetry: false,
        ..c.clone()
    });
    let route: Route = cx.explorer.as_deref().expect("a route").parse().unwrap();
    let (states, _) = route.walk(&model).expect("the route exists in the model");
    assert_eq!(
        states.len(),
        cx.steps.len() - 1,
        "one state per printed step"
    );
    let p = model
        .properties()
        .into_iter()
        .find(|p| p.name == property)
        .unwrap();
    let holds: Vec<bool> = states.iter().map(|s| (p.condition)(&model, s)).collect();
    assert_eq!(
        holds.iter().position(|h| !h),
        Some(states.len() - 1),
        "{property}"
    );
}

#[test]
fn every_bug_has_a_name_a_property_and_a_configuration() {
    assert_eq!(ALL_BUGS.len(), 11);
    for b in ALL_BUGS {
        assert_eq!(Bug::parse(b.name()), Some(b));
        let c = b.smallest_config();
        assert_eq!(c.bug, Some(b));
        c.validate().unwrap();
    }
}

#[test]
fn zk_1419_vote_order_and_livelock() {
    assert_found(Bug::Zk1419);
    let c = Bug::Zk1419.smallest_config();
    let broken = run_liveness(&c, 5_000_000, false);
    assert_eq!(broken.result, "fail");
    let lasso = &broken.properties[0];
    assert_eq!(lasso.name, "leader_eventually_established");
    assert!(!lasso.holds && !lasso.cycle.is_empty());
    // The cycle is votes going round: only notifications, nobody decides.
    assert!(lasso.cycle.iter().all(|s| s.contains("NOTIFICATION")));
    let fixed = run_liveness(&without_bug(&c), 5_000_000, false);
    assert_eq!(fixed.result, "pass");
    assert!(fixed.complete);
}

#[test]
fn zk_2845_retained_database() {
    assert_found(Bug::Zk2845);
}

#[test]
fn zk_3911_newleader_acked_before_logging() {
    assert_found(Bug::Zk3911);
}

#[test]
fn zk_3023_synced_txns_applied_late() {
    assert_found(Bug::Zk3023);
}

#[test]
fn zk_4394_commit_after_newleader() {
    assert_found(Bug::Zk4394);
}

#[test]
fn zk_4643_epoch_before_log() {
    assert_found(Bug::Zk4643);
}

#[test]
fn zk_4646_ack_before_sync_thread() {
    assert_found(Bug::Zk4646);
}

#[test]
fn zk_4685_proposal_ack_before_newleader_ack() {
    assert_found(Bug::Zk4685);
}

#[test]
fn zk_4712_sync_thread_outlives_shutdown() {
    assert_found(Bug::Zk4712);
}

#[test]
fn stale_ack_found_by_this_model() {
    assert_found(Bug::StaleAck);
    // With a connection loss too, the committed transaction is actually lost: a new leader
    // is established without it.
    let c = Config {
        losses: 1,
        ..Bug::StaleAck.smallest_config()
    };
    let r = check(&c, &["initial_history_integrity"]);
    assert_eq!(status(&r, "initial_history_integrity"), "violated");
}

#[test]
fn zk_1675_read_index_without_quorum_round() {
    // A leader cut off from its followers answers a read from its own commit point while the
    // majority side has elected a new leader and committed a write.
    assert_found(Bug::Zk1675);
}
