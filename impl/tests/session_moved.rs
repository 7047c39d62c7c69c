//! Sessions moving between the servers of a real 3-server `zabd ensemble`: once a client has
//! resumed its session on another server, a connection it left open on the first server
//! cannot write in the session's name (SESSIONMOVED); and a server that has not yet applied
//! the session's creation resumes it all the same.

use std::process::Command;
use support::process::server_process;
use support::raw::{
    closed, conn, connect_request, create, create_request, exists, handshake, recv, send,
};
use support::Ensemble;
use zab::error::ZkError;
use zab::wire::{opcode, ConnectResponse, Reader, ReplyHeader, Writer};

mod support;

/// A session resumes on a second server while its first connection stays open. A write
/// through the new connection succeeds; a write through the old one is answered
/// SESSIONMOVED (-118), changes nothing, and the old connection closes, as ZooKeeper's
/// does. Before, both connections wrote.
#[test]
fn a_write_through_a_connection_the_client_left_fails_with_session_moved() {
    let e = Ensemble::zabd(3, 0);
    // Through each pair of servers, so the leader is the old server, the new one, or
    // neither.
    for (i, (from, to)) in [(0, 1), (1, 2), (2, 0)].into_iter().enumerate() {
        let p = e.client_ports();
        let mut old = conn(p[from]);
        let granted = handshake(&mut old, 0, vec![0; 16]);
        let mut new = conn(p[to]);
        let resumed = handshake(&mut new, granted.session_id, granted.passwd.clone());
        assert!(resumed.timeout_ms > 0, "resumed on the second server");
        // Answered only after the leader heard the new server claim the session (one link,
        // in order).
        assert_eq!(create(&mut new, 1, &format!("/by-new-{i}")).err, 0);
        // A client's xids go on counting across its connections (as ZooKeeper's clients'
        // do), so the old connection's write is not taken for the new one's.
        assert_eq!(
            create(&mut old, 10, &format!("/by-old-{i}")).err,
            ZkError::SessionMoved.code(),
            "servers {from} -> {to}"
        );
        assert!(
            closed(&mut old),
            "the old connection closes after SESSIONMOVED"
        );
        assert!(!exists(&mut new, 2, &format!("/by-old-{i}")));
        assert_eq!(create(&mut new, 3, &format!("/by-new-again-{i}")).err, 0);
    }
}

/// The same through a multi, whose header error is 0 and whose ops carry the errors: the
/// old connection's multi fails with SESSIONMOVED in its op, changes nothing, and the old
/// connection closes, as ZooKeeper's FinalRequestProcessor throws on a moved op and closes
/// it. Before, the multi was answered and the connection stayed open.
#[test]
fn a_multi_through_a_connection_the_client_left_closes_it() {
    let e = Ensemble::zabd(3, 0);
    let p = e.client_ports();
    let mut old = conn(p[0]);
    let granted = handshake(&mut old, 0, vec![0; 16]);
    let mut new = conn(p[1]);
    let resumed = handshake(&mut new, granted.session_id, granted.passwd.clone());
    assert!(resumed.timeout_ms > 0, "resumed on the second server");
    assert_eq!(create(&mut new, 1, "/by-new").err, 0);
    let mut w = Writer::new();
    w.int(10).int(opcode::MULTI);
    w.int(opcode::CREATE).boolean(false).int(-1);
    w.ustring("/by-old").buffer(b"").vector(&[()], |w, _| {
        w.int(31).ustring("world").ustring("anyone");
    });
    w.int(0);
    w.int(-1).boolean(true).int(-1);
    send(&mut old, &w.bytes);
    if let Some(reply) = recv(&mut old) {
        let mut r = Reader::new(&reply);
        let h = ReplyHeader::decode(&mut r).unwrap();
        let moved = ZkError::SessionMoved.code();
        let (kind, _done, err) = (r.int().unwrap(), r.boolean().unwrap(), r.int().unwrap());
        assert_eq!((h.xid, kind, err), (10, -1, moved), "an ErrorResult");
    }
    // Closed by the server: the end of the stream (or a reset), not a read timing out.
    old.set_read_timeout(Some(std::time::Duration::from_secs(2)))
        .unwrap();
    let ended = match std::io::Read::read(&mut old, &mut [0; 64]) {
        Ok(n) => n == 0,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    };
    assert!(ended, "the old connection closes after SESSIONMOVED");
    assert!(!exists(&mut new, 2, "/by-old"));
}

/// Writes committed while the follower is stopped, ahead of the session's creation.
const BACKLOG: i32 = 5000;

fn signal(pid: u32, sig: &str) {
    let sent = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill {sig} {pid}");
}

/// A client resumes its session on a follower that has not applied the session's creation:
/// the follower was stopped (SIGSTOP) while 5,000 writes and then the session's creation were
/// committed without it, and the client, which saw no zxid after the handshake, resumes
/// there as the follower continues. The follower must catch up with the leader and grant
/// the resume, as ZooKeeper's learner asks its leader (REVALIDATE). Before, it answered
/// "expired" from its own table, and a live session's client had to start over.
#[test]
fn a_session_resumed_on_a_follower_that_lags_is_granted() {
    let e = Ensemble::zabd(3, 0);
    let p = e.client_ports();
    let leader = e.leader().expect("a leader");
    let lagging = *p.iter().find(|&&q| q != leader).unwrap();
    let (pid, _) = server_process(e.dir.path(), lagging);
    let mut writer = conn(leader);
    handshake(&mut writer, 0, vec![0; 16]);
    signal(pid, "-STOP");
    // Within the leader's syncLimit, so the stopped follower stays in the ensemble.
    let stopped = std::time::Instant::now();
    for xid in 1..=BACKLOG {
        send(
            &mut writer,
            &create_request(xid, &format!("/backlog-{xid}"), b""),
        );
    }
    for _ in 1..=BACKLOG {
        recv(&mut writer).expect("a backlog write answered");
    }
    let mut first = conn(leader);
    let granted = handshake(&mut first, 0, vec![0; 16]);
    drop(first);
    let mut resumed = conn(lagging);
    send(
        &mut resumed,
        &connect_request(granted.session_id, granted.passwd.clone()),
    );
    signal(pid, "-CONT");
    println!("the follower was stopped for {:?}", stopped.elapsed());
    let answer = recv(&mut resumed).expect("the lagging follower answered the handshake");
    let answer = ConnectResponse::decode(&answer).unwrap();
    assert_eq!(
        (answer.session_id, answer.timeout_ms > 0),
        (granted.session_id, true),
        "the lagging follower declared a live session expired"
    );
    assert_eq!(create(&mut resumed, 1, "/after-resume").err, 0);
    // A session that does not exist is still expired, after the same round trip.
    let mut unknown = conn(lagging);
    send(
        &mut unknown,
        &connect_request(granted.session_id + 1, vec![0; 16]),
    );
    let answer = ConnectResponse::decode(&recv(&mut unknown).expect("answered")).unwrap();
    assert_eq!(answer.timeout_ms, 0, "an unknown session is expired");
}
