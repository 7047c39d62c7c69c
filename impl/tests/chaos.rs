//! Fault campaigns on a real zabd ensemble (`zab-chaos`): three server processes behind
//! fault-injecting proxies on loopback, a CAS-register workload through kills, pauses and
//! partitions, its history checked. A release zabd must show no anomaly; the checks' power
//! to fail is shown on deliberately broken servers in `tests/chaos_faults.rs` (faults build).

use std::process::Command;

mod chaos_run;
use chaos_run::campaign;

const EXE: &str = env!("CARGO_BIN_EXE_zab-chaos");

/// A short mixed campaign: every fault kind, no anomaly, and enough work done to mean it.
#[test]
fn a_short_mixed_campaign_finds_no_anomaly_in_zabd() {
    let dir = tempfile::tempdir().unwrap();
    let (out, row) = campaign(EXE, dir.path(), &["--faults", "mixed"], 20);
    assert!(out.status.success(), "zab-chaos failed");
    assert_eq!(row.anomalies, 0);
    assert!(row.faults >= 3, "only {} faults in 20 s", row.faults);
    assert!(row.ok >= 1000, "only {} operations acknowledged", row.ok);
    assert_eq!(row.invoked, row.ok + row.failed + row.unknown);
}

/// The same campaign runs against Apache ZooKeeper 3.8 (Debian's), through the same
/// proxies and faults: it must run to a verdict. Its anomalies, if any, are printed, not
/// failed on: they are ZooKeeper's, to be explained in `specs/findings.md`.
#[test]
fn the_same_campaign_runs_on_apache_zookeeper() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--target", "zookeeper", "--faults", "mixed"];
    let (out, row) = campaign(EXE, dir.path(), &args, 20);
    assert!(matches!(out.status.code(), Some(0 | 1)), "no verdict");
    assert!(row.faults >= 3, "only {} faults in 20 s", row.faults);
    assert!(row.ok >= 500, "only {} operations acknowledged", row.ok);
}

/// `zab.reads=linearizable`: through partitions, reads too are linearizable (the same
/// history with ZooKeeper's reads is not: `tests/chaos_faults.rs` shows the check failing).
#[test]
fn linearizable_reads_stay_linearizable_through_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--faults", "partition", "--reads", "linearizable"];
    let (out, row) = campaign(EXE, dir.path(), &args, 15);
    assert!(out.status.success(), "zab-chaos failed");
    assert_eq!(row.anomalies, 0);
    assert!(row.ok >= 1000, "only {} operations acknowledged", row.ok);
    let history = std::fs::read_to_string(dir.path().join("history.jsonl")).unwrap();
    let reads = history.matches("{\"Read\":").count();
    assert!(reads >= 1000, "only {reads} reads");
}

/// The queue: every acknowledged sequential create is in the queue once, under its number,
/// in an order real time agrees with, through the same faults.
#[test]
fn a_short_queue_campaign_loses_nothing_in_zabd() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--workload", "queue", "--faults", "mixed"];
    let (out, row) = campaign(EXE, dir.path(), &args, 15);
    assert!(out.status.success(), "zab-chaos failed");
    assert_eq!((row.lost, row.anomalies), (Some(0), 0));
    assert!(row.ok >= 1000, "only {} enqueues acknowledged", row.ok);
}

/// The lock: never two live holders, and a live holder's node never gone, through the same
/// faults; and the lock changes hands.
#[test]
fn a_short_lock_campaign_finds_no_two_holders_in_zabd() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--workload", "lock", "--faults", "mixed"];
    let (out, row) = campaign(EXE, dir.path(), &args, 15);
    assert!(out.status.success(), "zab-chaos failed");
    assert_eq!(row.anomalies, 0);
    let history = std::fs::read_to_string(dir.path().join("history.jsonl")).unwrap();
    let acquired = history.matches("Acquired").count();
    assert!(acquired >= 20, "the lock was taken only {acquired} times");
}

/// Watches: per connection, no data before its event, no change missed by a persistent
/// watch, through the same faults; and events do arrive.
#[test]
fn a_short_watch_campaign_sees_every_event_in_order_in_zabd() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--workload", "watch", "--faults", "mixed"];
    let (out, row) = campaign(EXE, dir.path(), &args, 15);
    assert!(out.status.success(), "zab-chaos failed");
    assert_eq!(row.anomalies, 0);
    let history = std::fs::read_to_string(dir.path().join("history.jsonl")).unwrap();
    let events = history.matches("\"zxid\"").count();
    assert!(events >= 1000, "only {events} events");
}

/// A campaign's history is checked again from its file with the same verdict, and a torn
/// file is refused with the number of its bad line.
#[test]
fn a_written_history_checks_again_from_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let (out, row) = campaign(EXE, dir.path(), &["--faults", "partition"], 10);
    assert!(out.status.success());
    let history = dir.path().join("history.jsonl");
    let again = Command::new(EXE)
        .arg("check")
        .arg(&history)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success(), "{text}");
    assert!(
        text.starts_with(&format!("{} operations, 0 anomalies", row.invoked)),
        "{text}"
    );
    // A torn last line is reported with its number, not a panic.
    let lines = std::fs::read_to_string(&history).unwrap();
    std::fs::write(&history, format!("{lines}{{\"at_us\":")).unwrap();
    let torn = Command::new(EXE)
        .arg("check")
        .arg(&history)
        .output()
        .unwrap();
    assert_eq!(torn.status.code(), Some(2));
    let err = String::from_utf8_lossy(&torn.stderr);
    assert!(
        err.contains(&format!(":{}:", lines.lines().count() + 1)),
        "{err}"
    );
}
