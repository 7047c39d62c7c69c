//! A leader's premature timeout: a budgeted fault that ends its leadership while its quorum
//! could still form, which the timing assumption alone never allows.

mod common;
use common::{cfg, check, status};
use stateright::Model;
use zab_model::check::run_liveness;
use zab_model::types::ServerState;
use zab_model::{Action, Config, State, ZabModel};

fn enabled(m: &ZabModel, st: &State) -> Vec<Action> {
    let mut out = Vec::new();
    m.actions(st, &mut out);
    out
}

/// The oracle elects a leader: the state right after, and the leader.
fn elected(m: &ZabModel) -> (State, u8) {
    let s0 = m.init_states().remove(0);
    let elect = enabled(m, &s0)
        .into_iter()
        .find(|a| matches!(a, Action::Elect { .. }))
        .expect("an election is enabled at the start");
    let Action::Elect { leader, .. } = elect else {
        unreachable!()
    };
    (m.next_state(&s0, elect).expect("a step"), leader)
}

fn premature(budget: u8) -> Config {
    cfg(|c| {
        c.crashes = 0;
        c.premature_timeouts = budget;
    })
}

#[test]
fn a_leader_whose_quorum_may_still_form_gives_up_only_by_the_budget() {
    let without = ZabModel::new(premature(0));
    let (st, leader) = elected(&without);
    let acts = enabled(&without, &st);
    assert!(!acts.contains(&Action::LeaderTimeout(leader)), "{acts:?}");
    assert!(
        !acts.contains(&Action::PrematureTimeout(leader)),
        "{acts:?}"
    );

    let with = ZabModel::new(premature(1));
    let (st, leader) = elected(&with);
    let acts = enabled(&with, &st);
    assert!(acts.contains(&Action::PrematureTimeout(leader)), "{acts:?}");
    let after = with
        .next_state(&st, Action::PrematureTimeout(leader))
        .expect("a step");
    assert_eq!(after.server(leader).role, ServerState::Looking);
    assert_eq!(after.env.premature_timeouts, 1);
    // The budget is spent: no leader may give up early again in this run.
    let mut spent = st;
    spent.env.premature_timeouts = 1;
    assert!(!enabled(&with, &spent)
        .iter()
        .any(|a| matches!(a, Action::PrematureTimeout(_))));
}

#[test]
fn premature_timeouts_keep_safety_and_liveness() {
    let c = premature(1);
    let r = check(&c, &[]);
    assert_eq!(r.result, "pass");
    // 3 servers, 1 write, no crash, oracle election: pinned so that any change to the state
    // space is seen (8,347 states with no premature timeout).
    assert_eq!(
        r.unique_states, 215_280,
        "{}: state count changed",
        r.config
    );
    // A leader that gives up with its proposal logged but not committed comes back as a
    // follower ahead of the new leader: TRUNC, which this ensemble never needs without the
    // fault.
    assert_eq!(status(&r, "trunc_sync"), "reached");
    assert_eq!(
        status(&check(&premature(0), &[]), "trunc_sync"),
        "not reached"
    );
    let l = run_liveness(&c, 5_000_000, false);
    assert_eq!(l.result, "pass", "{:?}", l.properties);
    assert!(l.complete);
}
