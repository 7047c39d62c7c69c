//! Implementation → model for a real ensemble: three `zabd` processes record their traces
//! (`zab.traceDir`) while a client writes and, in the second test, the leader is killed and
//! restarted; the merged run must be a behaviour of the model (`ensemble.rs`).

mod common;

use common::real_ensemble::{
    model, read_and_leave, record, wait_for, write_and_read, write_two, Ensemble,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use zab::server::trace;
use zab_model::{Config, ZabModel};
use zab_refinement::impl_to_model::ensemble::validate;

#[test]
fn a_real_ensembles_run_is_a_behaviour_of_the_model() {
    validated("fault-free run", 0, 3, |e| {
        let follower = e
            .ports
            .iter()
            .copied()
            .find(|p| e.mode(*p).contains("Mode: follower"))
            .expect("a follower");
        write_two(follower);
    });
}

/// Linearizable reads (`zab.reads=linearizable`): a client at a follower reads after its
/// write, then a client at the leader reads it too; the READINDEX, CONFIRM rounds and
/// READINDEXREPLY the servers recorded, and each read answered once applied, are model steps.
#[test]
fn a_real_ensemble_reading_linearizably_is_a_behaviour_of_the_model() {
    let cfg = ["zab.reads=linearizable"];
    let s = validated_with(&cfg, &model(0), "linearizable reads", 3, |e| {
        let leader = e.leader().expect("a leader");
        let follower = *e.ports.iter().find(|p| **p != leader).unwrap();
        write_and_read(follower);
        read_and_leave(leader);
    });
    let missing = s
        .coverage
        .missing(zab_refinement::shared::coverage::READ_KINDS);
    assert!(missing.is_empty(), "never exercised: {missing:?}");
}

/// Records and validates a scenario, and prints what the validation went through.
fn validated(name: &str, kills: u8, starts: usize, scenario: impl Fn(&Ensemble)) {
    validated_with(&[], &model(kills), name, starts, scenario);
}

fn validated_with(
    cfg: &[&str],
    model: &ZabModel,
    name: &str,
    starts: usize,
    scenario: impl Fn(&Ensemble),
) -> zab_refinement::impl_to_model::ensemble::Summary {
    let traces = record(cfg, starts, &scenario);
    let records: usize = traces.iter().map(Vec::len).sum();
    let s = validate(model, traces).unwrap_or_else(|f| panic!("{name}: {f}"));
    println!(
        "{name}: {records} records, {} events explained by {} model actions, {} model states\n{}",
        s.events,
        s.actions,
        s.distinct_states,
        s.coverage.table()
    );
    s
}

#[test]
fn a_real_ensemble_whose_leader_is_killed_and_restarted_is_a_behaviour_of_the_model() {
    validated("leader killed and restarted", 1, 4, |e| {
        let leader = e.leader().expect("a leader");
        let follower = *e.ports.iter().find(|p| **p != leader).unwrap();
        write_two(follower);
        let (pid, cmdline) = e.process(leader);
        Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap();
        wait_for("a new leader", || e.leader().is_some_and(|l| l != leader));
        let child = Command::new(&cmdline[0])
            .args(&cmdline[1..])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        e.restarted.borrow_mut().push(child);
        wait_for("the restarted server follows and catches up", || {
            let z: Vec<_> = e.ports.iter().map(|p| e.zxid(*p)).collect();
            e.mode(leader).contains("Mode: follower")
                && z[0].is_some()
                && z.iter().all(|x| *x == z[0])
        });
    });
}

/// A run recorded on 2026-12-02 (leader killed and restarted, both cores loaded) in which a
/// server read a notification after its sender had queued a newer one: the older one was in
/// TCP. The model explains it with `Transmit`; without it (latest-wins links only), nothing
/// does.
#[test]
fn a_recorded_run_that_reads_a_superseded_notification_is_explained_by_transmit() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/recorded/superseded-notification");
    let read = || -> Vec<Vec<trace::Record>> {
        (1..=3)
            .map(|id| trace::read(&dir.join(format!("trace.{id}"))).unwrap())
            .collect()
    };
    let s = validate(&model(1), read()).unwrap_or_else(|f| panic!("{f}"));
    println!(
        "recorded run: {} events, {} model actions",
        s.events, s.actions
    );
    assert!(s.coverage.missing(&["Transmit"]).is_empty(), "no Transmit");
    let latest_wins_only = ZabModel::new(Config {
        transmits: 0,
        ..model(1).cfg
    });
    let f = validate(&latest_wins_only, read()).expect_err("outside latest-wins links");
    println!(
        "without Transmit: {}",
        f.reason.to_string().lines().next().unwrap_or("")
    );
}

/// Validates traces kept by an earlier run (`ZAB_KEEP_TRACES`): `ZAB_TRACES=dir cargo test
/// --release -p zab-refinement --test ensemble kept -- --ignored --nocapture`.
#[test]
#[ignore]
fn kept_traces() {
    let dir = PathBuf::from(std::env::var("ZAB_TRACES").expect("ZAB_TRACES=dir"));
    let traces: Vec<Vec<trace::Record>> = (1..=3)
        .map(|id| trace::read(&dir.join(format!("trace.{id}"))).unwrap())
        .collect();
    let latest_wins_only = ZabModel::new(Config {
        transmits: 0,
        ..model(1).cfg
    });
    let without = validate(&latest_wins_only, traces.clone()).map(|_| ());
    let s = validate(&model(1), traces).unwrap_or_else(|f| panic!("{f}"));
    println!(
        "kept traces: {} events, {} model actions; with latest-wins links only: {}\n{}",
        s.events,
        s.actions,
        match without {
            Ok(()) => "explained".to_string(),
            Err(f) => format!(
                "not explained: {}",
                f.reason.to_string().lines().next().unwrap_or("")
            ),
        },
        s.coverage.table()
    );
}
