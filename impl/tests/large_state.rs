//! Large state between servers: a learner that needs a SNAP gets it streamed in chunks,
//! serialized on the leader's link and restored on the learner's as it arrives
//! (`links::snap_stream`). The chunks are made small here (`zab.fault.snapChunkBytes`, a
//! switch of the faults build) so that a small tree takes many. Run with `cargo test
//! --release --target-dir target/faults -p zab --features faults --test large_state`
//! (`scripts/test.sh` does).

use std::time::{Duration, Instant};
use support::process::{kill, respawn, server_process};
use support::raw::{conn, create_request, exists, handshake, recv, send};
use support::Ensemble;
use zab::wire::{Reader, ReplyHeader};

mod support;

/// `Node count` as `srvr` on `port` reports it, if the server answers.
fn node_count(port: u16) -> Option<u64> {
    let text = zab::server::fourlw::ask(port, "srvr")?;
    text.split("Node count: ")
        .nth(1)?
        .lines()
        .next()?
        .parse()
        .ok()
}

/// A follower that missed more than the leader's log keeps (snapCount=20) catches up by
/// SNAP: with chunks of 4 KiB its snapshot of 400 znodes of 1 KB arrives in about a hundred
/// frames, and it serves every znode the others hold.
#[test]
fn a_learner_gets_a_snap_in_chunks_and_serves_all_of_it() {
    let e = Ensemble::zabd_with(3, 0, &["snapCount=20", "zab.fault.snapChunkBytes=4096"]);
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
        assert!(
            Instant::now() < deadline,
            "the follower holds {:?} znodes, the leader {expected}:\n{}",
            node_count(follower),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut f = conn(follower);
    assert!(handshake(&mut f, 0, vec![0; 16]).session_id != 0);
    for (xid, i) in [0, 199, 399].into_iter().enumerate() {
        assert!(exists(&mut f, xid as i32 + 1, &format!("/n{i}")), "/n{i}");
    }
    let text = std::fs::read_to_string(&log).unwrap();
    let received = text
        .lines()
        .find(|l| l.contains("SNAP received"))
        .unwrap_or_else(|| panic!("no SNAP received:\n{text}"));
    let chunks: u64 = received
        .split("chunks=")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no chunk count in {received}"));
    println!("{received}");
    assert!(chunks >= 100, "{chunks} chunks: {received}");
    let _ = restarted.kill();
    let _ = restarted.wait();
}
