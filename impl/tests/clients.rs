//! Real ZooKeeper clients against a 3-server `zabd ensemble` of separate processes: a
//! scripted `cli_mt` (C) session, a scripted `zkCli.sh` (Java) session, then the kazoo
//! (Python) suite, which exercises the client API, kills the leader and checks that its
//! clients move with their sessions and no acknowledged write is lost. The C and Java
//! clients come from Debian's `zookeeper` and `zookeeper-bin`, kazoo from pip; `scripts/test.sh`
//! installs them. The scripts are in `tests/clients/`; each one also passes against Apache
//! ZooKeeper 3.8 (`scripts/zookeeper-ensemble.sh`), which is how their expectations were
//! checked.

use std::process::Command;
use std::time::Instant;
use support::{ensure_kazoo, Ensemble};

mod support;

/// Runs `program args..` under a time limit and asserts it succeeded and printed `done`.
fn suite(name: &str, program: &str, args: &[&str], done: &str) {
    let started = Instant::now();
    let out = Command::new("timeout")
        .arg("180")
        .arg(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success() && stdout.contains(done),
        "{name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{name}: {:.1} s", started.elapsed().as_secs_f64());
}

fn script(name: &str) -> String {
    format!("{}/tests/clients/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn real_clients_pass_against_a_three_server_ensemble() {
    ensure_kazoo();
    for tool in [
        "/usr/lib/zookeeper/bin/cli_mt",
        "/usr/share/zookeeper/bin/zkCli.sh",
    ] {
        assert!(
            std::path::Path::new(tool).exists(),
            "{tool} is needed: run scripts/test.sh, or apt-get install zookeeper zookeeper-bin"
        );
    }
    // A small snapCount: the servers snapshot while the suites run, and the restarted
    // server of the failover check may need a SNAP. Autopurge on (hourly, and at start).
    let e = Ensemble::zabd_with(3, 0, &["snapCount=40", "autopurge.purgeInterval=1"]);
    let hosts = e.hosts.as_str();
    suite(
        "cli_mt",
        "bash",
        &[&script("cli_mt_session.sh"), hosts],
        "checks passed",
    );
    suite(
        "zkCli.sh",
        "bash",
        &[&script("zkcli_session.sh"), hosts],
        "checks passed",
    );
    // Last: it kills the leader.
    let dir = e.dir.path().to_str().unwrap();
    let kazoo = script("kazoo_suite.py");
    suite("kazoo", "python3", &[&kazoo, hosts, dir], "checks passed");
    // snapCount=40: every server wrote snapshots. (The kazoo suite checks autopurge on the
    // server it restarts.)
    let counts: Vec<usize> = (1..=3)
        .map(|i| {
            std::fs::read_dir(e.dir.path().join(format!("d{i}")))
                .unwrap()
                .filter_map(|f| f.ok()?.file_name().into_string().ok())
                .filter(|name| name.starts_with("snapshot."))
                .count()
        })
        .collect();
    println!("periodic snapshots on disk per server: {counts:?}");
    assert!(counts.iter().all(|&n| n > 0), "snapCount=40: {counts:?}");
}
