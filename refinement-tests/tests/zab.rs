//! The whole protocol — Fast Leader Election, discovery, synchronization (DIFF, TRUNC, SNAP)
//! and broadcast, with crashes, restarts, partitions and losses — replayed on real replicas
//! one model action at a time, the views compared after every step.
//!
//! The scope is the one `specs/refinement.md` ("Scope") names: 3 servers, `--election fle`, 2
//! client writes, 1 crash, 1 partition (epochs 3, rounds 4). `ZAB_REFINE_PATHS_DEPTH` and `ZAB_REFINE_GRAPH_DEPTH`
//! replay deeper than CI does; `ZAB_REFINE_WALKS` replays more random walks.

mod common;

use common::{assert_covers, env_or, report, scope};
use std::time::Instant;
use zab_refinement::model_to_impl::simulation::{simulate, Simulation};
use zab_refinement::model_to_impl::walk::{all_paths, random_walks, state_graph, Walks};
use zab_refinement::shared::coverage::{MESSAGES, ROLES, SYNC_MODES, ZAB_KINDS};

#[test]
fn every_path_to_depth_refines_the_model() {
    let t = Instant::now();
    let depth = env_or("ZAB_REFINE_PATHS_DEPTH", 7);
    let s = all_paths(&scope(0, 0), None, depth).unwrap_or_else(|m| panic!("{m}"));
    report(&format!("every path to depth {depth}"), &s, t);
    assert!(s.traces > 500_000, "depth {depth} has {} paths", s.traces);
}

#[test]
fn every_transition_of_the_state_graph_to_depth_refines_the_model() {
    let t = Instant::now();
    let depth = env_or("ZAB_REFINE_GRAPH_DEPTH", 16);
    let s = state_graph(&scope(0, 0), None, depth).unwrap_or_else(|m| panic!("{m}"));
    report(&format!("every transition to depth {depth}"), &s, t);
    assert!(s.distinct_states > 400_000, "{} states", s.distinct_states);
    // Deep enough that learners connect, discovery runs and syncs begin.
    assert_covers(&s, &["Connect", "SyncLearner", "ACKEPOCH", "DIFF"]);
}

#[test]
fn random_walks_through_every_phase_refine_the_model() {
    let t = Instant::now();
    let w = Walks {
        fault_percent: Some(5),
        // Around states deep in the protocol, every interleaving of the next two steps.
        around_every: 40,
        around_depth: 2,
        ..Walks::new(env_or("ZAB_REFINE_WALKS", 6_000), 250)
    };
    let s = random_walks(&scope(0, 1), None, w)
        .unwrap_or_else(|(seed, m)| panic!("walk seed {seed}: {m}"));
    report("random walks (3 servers, 1 loss)", &s, t);
    assert_covers(&s, ZAB_KINDS);
    let voters_only: Vec<&str> = MESSAGES
        .iter()
        .copied()
        .filter(|m| *m != "INFORM")
        .collect();
    assert_covers(&s, &voters_only);
    assert_covers(&s, SYNC_MODES);
    assert_covers(&s, &ROLES[..3]);
}

/// Long walks from stateright's own simulation checker, which checks every property on the
/// way; its chooser replays each step on the implementation.
#[test]
fn stateright_simulation_walks_refine_the_model() {
    let t = Instant::now();
    let states = env_or("ZAB_REFINE_SIM_STATES", 1_000_000);
    let run = Simulation {
        seed: 7,
        states,
        depth: 400,
        fault_percent: 5,
    };
    let s = simulate(&scope(0, 1), None, run)
        .unwrap_or_else(|(seed, m)| panic!("simulation walk seed {seed}: {m}"));
    report("stateright simulation walks", &s, t);
    assert!(s.steps as usize >= states / 2, "{} steps", s.steps);
    assert_covers(&s, ZAB_KINDS);
    assert_covers(&s, SYNC_MODES);
}

#[test]
fn an_observer_refines_the_model() {
    let t = Instant::now();
    let w = Walks {
        fault_percent: Some(5),
        ..Walks::new(env_or("ZAB_REFINE_WALKS", 6_000) / 2, 250)
    };
    let s = random_walks(&scope(1, 1), None, w)
        .unwrap_or_else(|(seed, m)| panic!("walk seed {seed}: {m}"));
    report("random walks (3 servers + 1 observer)", &s, t);
    assert_covers(&s, &["INFORM", "OBSERVING", "SNAP", "UPTODATE"]);
}

/// Linearizable reads by read index (`specs/reads.md`): READINDEX, the CONFIRM round and
/// READINDEXREPLY replayed message by message, each read answered at the index the model's
/// leader confirmed, through crashes, a partition and a loss.
#[test]
fn linearizable_reads_refine_the_model() {
    use zab_model::{Config, ZabModel};
    let t = Instant::now();
    let model = ZabModel::new(Config {
        reads: 3,
        ..scope(0, 1).cfg
    });
    let w = Walks {
        fault_percent: Some(5),
        ..Walks::new(env_or("ZAB_REFINE_WALKS", 6_000) / 2, 250)
    };
    let s =
        random_walks(&model, None, w).unwrap_or_else(|(seed, m)| panic!("walk seed {seed}: {m}"));
    report("random walks with linearizable reads", &s, t);
    assert_covers(&s, zab_refinement::shared::coverage::READ_KINDS);
}

/// A longer hunt than CI runs, over larger budgets: `cargo test --release -p zab-refinement
/// --test zab -- --ignored`.
#[test]
#[ignore]
fn long_random_walks_over_larger_budgets() {
    use zab_model::{Config, Election, ZabModel};
    let t = Instant::now();
    let walks = env_or("ZAB_REFINE_WALKS", 50_000);
    for (observers, txns, crashes, partitions, losses, faults) in [
        (0u8, 3u8, 2u8, 2u8, 2u8, 10u64),
        (1, 3, 2, 1, 2, 10),
        (0, 4, 3, 2, 3, 20),
        (2, 2, 2, 1, 1, 10),
    ] {
        let model = ZabModel::new(Config {
            servers: 3,
            observers,
            txns,
            crashes,
            partitions,
            losses,
            transmits: losses,
            premature_timeouts: losses,
            epochs: 4,
            rounds: 6,
            election: Election::Fle,
            ..Config::default()
        });
        let w = Walks {
            fault_percent: Some(faults),
            ..Walks::new(walks, 400)
        };
        let s = random_walks(&model, None, w)
            .unwrap_or_else(|(seed, m)| panic!("{}: walk seed {seed}: {m}", model.cfg.summary()));
        report(&model.cfg.summary(), &s, t);
    }
}
