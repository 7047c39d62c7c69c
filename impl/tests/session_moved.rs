//! SESSIONMOVED on a real 3-server `zabd ensemble`: once a client has resumed its session on
//! another server, a connection it left open on the first server cannot write in the
//! session's name.

use support::raw::{closed, conn, create, exists, handshake, request};
use support::Ensemble;
use zab::error::ZkError;
use zab::wire::opcode;

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
        // The second server may not have applied the session's creation yet: a `sync`
        // there waits for it (a lagging learner does not know the session yet, see
        // specs/compatibility.md).
        let mut helper = conn(p[to]);
        handshake(&mut helper, 0, vec![0; 16]);
        let synced = request(&mut helper, 1, opcode::SYNC, |w| {
            w.ustring("/");
        });
        assert_eq!(synced.err, 0);
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
