//! Compaction while a server idles (`zab.compactIdleMs`, `server::compaction`): every server
//! of an ensemble rebuilds its in-memory states once no transaction has been applied for a
//! while, swaps them in, and goes on serving the same tree; it compacts again only after
//! enough more was applied (a transaction per 64 znodes).

use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::raw::{conn, create, exists, handshake_for};
use support::{log_field, node_count, Ensemble};

mod support;

/// What a server's compaction log line says: the applied zxid and the znode count.
#[derive(Clone, Debug, PartialEq)]
struct Compaction {
    zxid: String,
    znodes: u64,
}

/// Every compaction server `id` logged so far.
fn compactions(e: &Ensemble, id: u32) -> Vec<Compaction> {
    let log = std::fs::read_to_string(e.dir.path().join(format!("z{id}.log"))).unwrap_or_default();
    log.lines()
        .filter(|l| l.contains("in-memory states compacted"))
        .map(|l| Compaction {
            zxid: log_field(l, " zxid=").to_string(),
            znodes: log_field(l, " znodes=").parse().expect("a count"),
        })
        .collect()
}

/// Waits until every server has logged a compaction of `znodes` znodes.
fn await_compactions(e: &Ensemble, znodes: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let seen: Vec<Vec<Compaction>> = (1..=3).map(|id| compactions(e, id)).collect();
        if seen.iter().all(|c| c.iter().any(|c| c.znodes == znodes)) {
            return;
        }
        assert!(Instant::now() < deadline, "compactions by server: {seen:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A session on `port` with the longest timeout `zabd ensemble` grants (10 s).
fn session(port: u16) -> TcpStream {
    let mut s = conn(port);
    let reply = handshake_for(&mut s, 0, vec![0; 16], 10_000);
    assert!(reply.session_id != 0, "a session on {port}");
    s
}

#[test]
fn idle_servers_compact_and_go_on_serving_the_same_tree() {
    // An idle second: longer than any pause between two of the creates below, so none
    // compacts before the last.
    let e = Ensemble::zabd_with(3, 0, &["zab.compactIdleMs=1000"]);
    let leader = e.leader().expect("a leader");
    let mut readers: Vec<TcpStream> = e.client_ports().into_iter().map(session).collect();
    let mut s = session(leader);
    for i in 0..300 {
        assert_eq!(
            create(&mut s, i + 1, &format!("/n{i}")).err,
            0,
            "create /n{i}"
        );
    }
    let first = node_count(leader).expect("the leader's node count");
    await_compactions(&e, first);

    // The compacted trees serve reads and take writes; more applied, compacted again.
    for (i, r) in readers.iter_mut().enumerate() {
        assert!(
            exists(r, 1, "/n0") && exists(r, 2, "/n299"),
            "server {}",
            i + 1
        );
    }
    // It waits for one transaction per 64 znodes since the last compaction: one create
    // and a rest are not enough for 300 znodes, five are.
    let before: Vec<usize> = (1..=3).map(|id| compactions(&e, id).len()).collect();
    assert_eq!(create(&mut s, 1000, "/after0").err, 0);
    std::thread::sleep(Duration::from_millis(2500));
    let after: Vec<usize> = (1..=3).map(|id| compactions(&e, id).len()).collect();
    assert_eq!(before, after, "compactions by server after one create");
    for i in 1..5 {
        assert_eq!(create(&mut s, 1000 + i, &format!("/after{i}")).err, 0);
    }
    await_compactions(&e, first + 5);
    for (i, r) in readers.iter_mut().enumerate() {
        assert!(exists(r, 3, "/after4"), "server {}", i + 1);
    }
    // Once per resting point: never twice at one applied zxid.
    std::thread::sleep(Duration::from_millis(2000));
    for id in 1..=3 {
        let done = compactions(&e, id);
        for (i, c) in done.iter().enumerate() {
            assert!(
                !done[..i].iter().any(|d| d.zxid == c.zxid),
                "server {id}: {done:?}"
            );
        }
    }
}

#[test]
fn a_zero_idle_time_turns_compaction_off() {
    let e = Ensemble::zabd_with(3, 0, &["zab.compactIdleMs=0"]);
    let leader = e.leader().expect("a leader");
    let mut s = session(leader);
    assert_eq!(create(&mut s, 1, "/a").err, 0);
    std::thread::sleep(Duration::from_secs(3));
    for id in 1..=3 {
        assert!(compactions(&e, id).is_empty(), "server {id}");
    }
}
