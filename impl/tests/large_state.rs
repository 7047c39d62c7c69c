//! Large state between servers: a learner that needs a SNAP gets it streamed in chunks,
//! serialized on the leader's link and restored on the learner's as it arrives
//! (`links::snap_stream`). The chunks are made small here (`zab.fault.snapChunkBytes`, a
//! switch of the faults build) so that a small tree takes many. Run with `cargo test
//! --release --target-dir target/faults -p zab --features faults --test large_state`
//! (`scripts/test.sh` does).

use std::time::{Duration, Instant};
use support::process::{kill, respawn, server_process};
use support::raw::{conn, create_request, exists, handshake, recv, send};
use support::{log_field, node_count, Ensemble};
use zab::wire::{Reader, ReplyHeader};

mod support;

/// Kills a follower of a 3-server ensemble started with `cfg`, creates 400 znodes of 1 KB
/// (with snapCount=20, more than the leader's log keeps), starts the follower again and
/// waits until it serves all of them: its log since the restart.
fn catch_up_by_snap(cfg: &[&str]) -> String {
    let mut cfg = cfg.to_vec();
    cfg.push("snapCount=20");
    let e = Ensemble::zabd_with(3, 0, &cfg);
    let ports = e.client_ports();
    let leader = e.leader().expect("a leader");
    let follower = *ports.iter().find(|&&p| p != leader).unwrap();
    let (pid, cmdline) = server_process(e.dir.path(), follower);
    kill(pid);

    let mut s = conn(leader);
    assert!(handshake(&mut s, 0, vec![0; 16]).session_id != 0);
    for i in 0..400 {
        send(
            &mut s,
            &create_request(i + 1, &format!("/n{i}"), &[i as u8; 1000]),
        );
        let reply = recv(&mut s).expect("reply");
        let header = ReplyHeader::decode(&mut Reader::new(&reply)).unwrap();
        assert_eq!(header.err, 0, "create /n{i}");
    }
    let expected = node_count(leader).expect("the leader answers srvr");

    let log = e.dir.path().join("restarted.log");
    let mut restarted = respawn(&cmdline, &log);
    let deadline = Instant::now() + Duration::from_secs(60);
    while node_count(follower) != Some(expected) {
        if Instant::now() > deadline {
            let _ = restarted.kill();
            panic!(
                "the follower holds {:?} znodes, the leader {expected}:\n{}",
                node_count(follower),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut f = conn(follower);
    assert!(handshake(&mut f, 0, vec![0; 16]).session_id != 0);
    for (xid, i) in [0, 199, 399].into_iter().enumerate() {
        assert!(exists(&mut f, xid as i32 + 1, &format!("/n{i}")), "/n{i}");
    }
    let _ = restarted.kill();
    let _ = restarted.wait();
    std::fs::read_to_string(&log).unwrap()
}

/// The lines of `log` that say a SNAP was received.
fn snaps_received(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("SNAP received"))
        .collect()
}

/// The number a log line gives after `key` (` chunks=`, ` ms=`).
fn number_after(line: &str, key: &str) -> u64 {
    let value = log_field(line, key);
    value
        .parse()
        .unwrap_or_else(|_| panic!("{key}{value} is not a number in {line}"))
}

/// A follower that missed more than the leader's log keeps catches up by SNAP: with chunks
/// of 4 KiB its snapshot of 400 znodes of 1 KB arrives in about a hundred frames, and it
/// serves every znode the others hold.
#[test]
fn a_learner_gets_a_snap_in_chunks_and_serves_all_of_it() {
    let text = catch_up_by_snap(&["zab.fault.snapChunkBytes=4096"]);
    let received = *snaps_received(&text)
        .first()
        .unwrap_or_else(|| panic!("no SNAP received:\n{text}"));
    let chunks = number_after(received, " chunks=");
    println!("{received}");
    assert!(chunks >= 100, "{chunks} chunks: {received}");
}

/// A SNAP that takes longer than initLimit but keeps arriving is not given up on, as
/// ZooKeeper's learner times its leader out per read: about a hundred chunks 25 ms apart
/// (2.6 s) against an initLimit of 3 ticks of 500 ms. (A learner that counted only whole
/// packets gave up after 1.5 s, every time: a 1.5 GB tree was sent four times.)
#[test]
fn a_snap_longer_than_init_limit_is_received_once() {
    let text = catch_up_by_snap(&[
        "initLimit=3",
        "zab.fault.snapChunkBytes=4096",
        "zab.fault.snapChunkDelayMs=25",
    ]);
    let received = snaps_received(&text);
    assert_eq!(received.len(), 1, "{text}");
    let ms = number_after(received[0], " ms=");
    assert!(
        ms > 1_500,
        "the SNAP took {ms} ms, not longer than initLimit"
    );
}
