//! Every guided scenario still exists in the model: its path is found, walking the Explorer
//! route reaches a state that meets the goal, every state on the way meets the scenario's
//! condition, and the path has the length pinned here (a change to the model that lengthens
//! or shortens a scenario shows up here first, and its explanation may need a look).

use stateright::Model;
use zab_model::route::Route;
use zab_model::scenarios::{self, SCENARIOS};
use zab_model::state::{State, SyncMode};
use zab_model::types::ServerState;
use zab_model::ZabModel;

/// The states a scenario's route walks through, checked as the Explorer would walk them.
fn walk(name: &str) -> Vec<State> {
    let sc = scenarios::find(name).unwrap();
    let route = sc
        .route()
        .unwrap_or_else(|| panic!("{name}: goal unreachable"));
    // The route survives its printed form, as `check --bug` and the CLI print it.
    let printed: Route = route.to_string().parse().unwrap();
    assert_eq!(printed, route);
    let model = ZabModel::new(sc.config());
    let (states, _) = route.walk(&model).expect("every position exists");
    if let Some(i) = states.iter().position(|s| !sc.allows(s)) {
        panic!("{name}: step {i} leaves its way: {:?}", states[i]);
    }
    assert!(sc.reached(states.last().unwrap()), "{name}: goal not met");
    assert!(
        !states[..states.len() - 1].iter().any(|s| sc.reached(s)),
        "{name}: the goal is met before the last step"
    );
    let text = words(&format!("{:?}", states.last().unwrap()));
    for shown in sc.shows {
        assert!(
            text.contains(&words(shown)),
            "{name}: {shown:?} not in\n{text}"
        );
    }
    states
}

/// `s` with every run of whitespace as one space: the Explorer's page pads columns
/// differently from `Debug`.
fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_scenario_reaches_its_goal_in_its_pinned_number_of_steps() {
    let pinned = [
        ("commit-survives-leader-crash", 32),
        ("uncommitted-write-truncated", 34),
        ("split-brain-averted", 27),
        ("fle-vote-order", 6),
        ("observer-inform", 32),
    ];
    assert_eq!(pinned.len(), SCENARIOS.len());
    let found: Vec<(&str, usize)> = pinned
        .iter()
        .map(|(name, _)| (*name, walk(name).len() - 1))
        .collect();
    assert_eq!(found, pinned);
}

#[test]
fn the_committed_write_outlives_its_leader() {
    let states = walk("commit-survives-leader-crash");
    let last = states.last().unwrap();
    let new = ZabModel::leader_of(last).unwrap();
    let crashed = last.ids().find(|&s| !last.server(s).up);
    assert!(crashed.is_some_and(|c| c != new), "the old leader is down");
    assert_eq!(last.server(new).current_epoch, 2);
    assert_eq!(last.ghost.committed.len(), 1);
    assert!(last
        .server(new)
        .hist
        .contains_txn(last.ghost.committed.get(0).unwrap()));
}

#[test]
fn the_truncated_server_rejoins_without_the_write() {
    let states = walk("uncommitted-write-truncated");
    let last = states.last().unwrap();
    let write = last.ghost.proposed.get(0).unwrap();
    let truncated = last
        .servers
        .iter()
        .find(|v| v.learner.sync_mode == SyncMode::Trunc)
        .unwrap();
    assert_eq!(truncated.role, ServerState::Following);
    assert!(!truncated.log.contains_txn(write), "gone from its log too");
    // Earlier on the path it had logged the write.
    assert!(states
        .iter()
        .any(|s| s.servers.iter().any(|v| v.log.contains_txn(write))));
}

#[test]
fn two_leaders_but_one_commits() {
    let states = walk("split-brain-averted");
    let last = states.last().unwrap();
    let leading = last
        .servers
        .iter()
        .filter(|v| v.up && v.role == ServerState::Leading)
        .count();
    assert_eq!(leading, 2);
    assert!(!last.env.partition.is_empty());
}

#[test]
fn the_lowest_id_wins_on_its_zxid() {
    let states = walk("fle-vote-order");
    let model = ZabModel::new(scenarios::find("fle-vote-order").unwrap().config());
    assert!(
        model.init_states().len() > 1,
        "the route picks one of many starts"
    );
    let last = states.last().unwrap();
    assert!(last.fle.iter().all(|f| f.vote.leader == Some(0)));
}

#[test]
fn the_observer_applies_an_inform_and_never_counts() {
    let states = walk("observer-inform");
    let last = states.last().unwrap();
    let observer = last.server(3);
    assert_eq!(observer.role, ServerState::Observing);
    assert_eq!(observer.committed, 1);
    assert!(states
        .iter()
        .all(|s| s.ghost.epoch_leaders.iter().all(|m| !m.contains(3))));
}
