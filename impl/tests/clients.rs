//! Real ZooKeeper clients against a 3-server `zabd ensemble` of separate processes: the
//! kazoo suite (`tests/clients/kazoo_suite.py`) exercises the client API, kills the leader
//! and checks that its clients move with their sessions and no acknowledged write is lost.
//! kazoo is installed with pip when missing (pinned), as `.ci/run` would.

use std::process::Command;
use std::time::Instant;
use support::{ensure_kazoo, Ensemble};

mod support;

#[test]
fn kazoo_suite_passes_against_a_three_server_ensemble() {
    ensure_kazoo();
    let e = Ensemble::zabd(3, 0);
    let suite = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/kazoo_suite.py");
    let started = Instant::now();
    let out = Command::new("timeout")
        .args(["180", "python3", suite, &e.hosts])
        .arg(e.dir.path())
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "kazoo suite failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("checks passed"));
    println!("kazoo suite: {:.1} s", started.elapsed().as_secs_f64());
}
