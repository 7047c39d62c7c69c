//! The checks can fail: the simulator catches replicas with a deliberately wrong behaviour
//! (`zab::replica::Bug`, the `faults` cargo feature), and only a `faults` build of `zabd`
//! takes the `zab.bug` key. Run with `cargo test --release --target-dir target/faults -p zab
//! --features faults --test faulty_replicas` (a separate target directory, so the release
//! `zabd` never carries a bug).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::process::Zabd;
use support::raw::{conn, create_request, handshake, recv, send};
use zab::replica::Bug;
use zab::sim::{run_seed, SimConfig, Violation};

mod support;

/// The first of 500 seeds on which a replica with `bug` breaks a checked property.
fn first_failure(bug: Bug) -> Option<Box<zab::sim::Failure>> {
    (0..500).find_map(|seed| {
        let mut cfg = SimConfig::new(seed);
        cfg.bug = Some(bug);
        run_seed(cfg).err()
    })
}

/// A check that cannot fail proves nothing: a follower that ACKs before its disk has the
/// proposal must be caught (an acknowledged write is then on too few disks, or lost).
#[test]
fn a_follower_acking_before_persisting_is_caught() {
    let fail = first_failure(Bug::AckBeforePersist)
        .expect("the simulator never noticed ACK-before-persist");
    println!(
        "caught at seed {} step {}: {}",
        fail.seed, fail.step, fail.reason
    );
    assert!(
        matches!(
            fail.reason,
            Violation::Durability { .. } | Violation::WriteLost { .. }
        ),
        "{}",
        fail.reason
    );
    // The report names what replays it: the seed and the scheduler's weights.
    let report = fail.to_string();
    assert!(
        report.starts_with(&format!("seed {} (weights: Deliver 16 Lose 1", fail.seed)),
        "{report}"
    );
}

#[test]
fn a_leader_committing_without_a_quorum_is_caught() {
    let fail = first_failure(Bug::CommitWithoutQuorum)
        .expect("the simulator never noticed a commit without quorum");
    println!(
        "caught at seed {} step {}: {}",
        fail.seed, fail.step, fail.reason
    );
}

/// A `faults` build of `zabd` takes `zab.bug` and says so at start (the release build
/// refuses it: `zabd_cli.rs`).
#[test]
fn a_faults_build_of_zabd_takes_the_fault_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("zoo.cfg");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let text = format!(
        "dataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\nzab.bug=CommitWithoutQuorum\n",
        dir.path().display()
    );
    std::fs::write(&cfg, text).unwrap();
    let mut child = Command::new("timeout")
        .args(["30", env!("CARGO_BIN_EXE_zabd"), "--config"])
        .arg(&cfg)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let warned = stderr
        .lines()
        .map_while(Result::ok)
        .any(|l| l.contains("a deliberately wrong behaviour is switched on"));
    let _ = child.kill();
    let _ = child.wait();
    assert!(warned, "the faults build did not start with zab.bug");
}

/// The transaction log's fsync fails with EIO (a failing disk, through the faults build's
/// `zab.fault.fsyncFailsAfter`): the server logs the cause once and exits with code 4, as it
/// does when its dataLogDir fills (`server_failures.rs`), instead of serving on.
#[test]
fn a_server_whose_fsync_fails_with_eio_exits_4_and_says_why() {
    let mut zabd = Zabd::start("zab.fault.fsyncFailsAfter=20\n", &[]);
    let mut s = conn(zabd.port);
    assert!(handshake(&mut s, 0, vec![0; 16]).session_id != 0);
    let mut acknowledged = 0;
    for i in 1..=200 {
        send(&mut s, &create_request(i, &format!("/n{i}"), b"x"));
        if recv(&mut s).is_none() {
            break;
        }
        acknowledged += 1;
    }
    let failed = Instant::now();
    let status = zabd.wait_exit(Duration::from_secs(10));
    let log = zabd.log();
    assert_eq!(status.and_then(|s| s.code()), Some(4), "{log}");
    println!(
        "{acknowledged} writes acknowledged; exit 4 {:.0} ms after the connection dropped",
        failed.elapsed().as_secs_f64() * 1e3
    );
    assert_eq!(log.matches("halting").count(), 1, "{log}");
    assert!(log.contains("Input/output error"), "{log}");
    assert!((5..200).contains(&acknowledged), "{acknowledged}: {log}");
}
