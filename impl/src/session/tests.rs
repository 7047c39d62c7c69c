//! Sessions: ids, timeout negotiation, expiry buckets, and expiry as a transaction.

use super::*;
use crate::acl::Acl;
use crate::data_tree::{CreateRequest, DataTree, Request, RequestContext, TxnResult};
use crate::txn::{CreateMode, TxnEntry};
use crate::zxid::Zxid;

#[test]
fn session_ids_carry_the_server_id_and_start_time() {
    let t = 0x0123_4567_89ab_i64;
    let id = initial_session_id(3, t);
    assert_eq!(id as u64 >> 56, 3);
    assert_eq!(
        (id as u64 >> 16) & ((1 << 40) - 1),
        t as u64 & ((1 << 40) - 1)
    );
    assert_eq!(id & 0xffff, 0);
    assert_eq!(
        initial_session_id(0x80, 0),
        i64::MIN + 1,
        "never the container marker"
    );
}

#[test]
fn ids_are_unique_across_servers_and_restarts() {
    let mut first = SessionTracker::new(1, 1_000, 2_000);
    let a: Vec<i64> = (0..3).map(|_| first.next_session_id()).collect();
    assert_eq!(a[1], a[0] + 1);
    assert_eq!(a[2], a[0] + 2);
    let mut restarted = SessionTracker::new(1, 1_001, 2_000);
    assert!(restarted.next_session_id() > a[2]);
    let mut other = SessionTracker::new(2, 1_000, 2_000);
    assert_ne!(other.next_session_id() >> 56, a[0] >> 56);
}

#[test]
fn timeouts_are_negotiated_into_two_to_twenty_ticks() {
    let t = Timeouts::from_tick(2_000);
    assert_eq!((t.min_ms, t.max_ms), (4_000, 40_000));
    assert_eq!(t.negotiate(1), 4_000);
    assert_eq!(t.negotiate(10_000), 10_000);
    assert_eq!(t.negotiate(100_000), 40_000);
    assert_eq!(t.negotiate(-5), 4_000);
    let odd = Timeouts {
        tick_ms: 10,
        min_ms: 50,
        max_ms: 30,
    };
    assert_eq!(
        odd.negotiate(40),
        30,
        "max wins over a larger min, no panic"
    );
}

#[test]
fn deadlines_round_up_to_the_next_tick() {
    let mut t = SessionTracker::new(1, 0, 2_000);
    t.add(7, 5_000, 1_000);
    assert_eq!(
        t.deadline(7),
        Some(8_000),
        "6000 rounds to the next boundary after it"
    );
    t.add(8, 5_000, 1_500);
    assert_eq!(t.deadline(8), Some(8_000), "same bucket");
    t.add(9, 4_000, 0);
    assert_eq!(t.deadline(9), Some(6_000));
    assert_eq!(t.next_deadline(), Some(6_000));
}

#[test]
fn expired_returns_due_sessions_once_and_marks_them_closing() {
    let mut t = SessionTracker::new(1, 0, 2_000);
    t.add(7, 5_000, 1_000);
    t.add(8, 5_000, 1_500);
    t.add(9, 4_000, 0);
    assert!(t.expired(5_999).is_empty());
    assert_eq!(t.expired(6_000), vec![9]);
    assert_eq!(t.check(9, 1), SessionStatus::Closing);
    assert!(!t.touch(9, 6_000), "a closing session cannot be revived");
    assert_eq!(
        t.expired(100_000),
        vec![7, 8],
        "several ticks caught up at once"
    );
    assert!(t.expired(200_000).is_empty());
    assert_eq!(t.len(), 3, "tracked until their close transactions apply");
}

#[test]
fn touching_moves_a_session_to_a_later_bucket() {
    let mut t = SessionTracker::new(1, 0, 1_000);
    t.add(7, 3_000, 0);
    assert_eq!(t.deadline(7), Some(4_000));
    assert!(t.touch(7, 2_500));
    assert_eq!(t.deadline(7), Some(6_000));
    assert!(
        t.expired(5_000).is_empty(),
        "the old bucket no longer holds it"
    );
    assert_eq!(t.expired(6_000), vec![7]);
    assert!(!t.touch(99, 0), "unknown");
}

#[test]
fn check_reports_unknown_moved_and_closing() {
    let mut t = SessionTracker::new(1, 0, 1_000);
    assert_eq!(t.check(5, 1), SessionStatus::Unknown);
    t.add(5, 3_000, 0);
    assert_eq!(
        t.check(5, 1),
        SessionStatus::Active,
        "attaches to connection 1"
    );
    assert_eq!(t.check(5, 1), SessionStatus::Active);
    assert_eq!(t.check(5, 2), SessionStatus::Moved);
    assert_eq!(t.set_owner(5, 2), SessionStatus::Active);
    assert_eq!(t.check(5, 2), SessionStatus::Active);
    t.set_closing(5);
    assert_eq!(t.check(5, 2), SessionStatus::Closing);
    assert_eq!(t.set_owner(5, 3), SessionStatus::Closing);
    assert_eq!(SessionStatus::Closing.check(), Err(ZkError::SessionExpired));
    assert_eq!(SessionStatus::Moved.check(), Err(ZkError::SessionMoved));
}

/// The whole life of a session through transactions: created, owning an ephemeral, silent
/// past its deadline, expired by the leader, its close transaction deleting the ephemeral.
#[test]
fn expiry_is_a_close_session_transaction_that_deletes_ephemerals() {
    let timeouts = Timeouts::from_tick(1_000);
    let mut tracker = SessionTracker::new(1, 0, timeouts.tick_ms);
    let mut tree = DataTree::new();
    let mut zxid = Zxid::new(1, 0);
    let mut run =
        |tree: &mut DataTree, tracker: &mut SessionTracker, session, req: Request, now| {
            zxid = zxid.next().expect("counter");
            let ctx =
                RequestContext::new(session, zxid, now).with_session(tracker.check(session, 1));
            let entry = TxnEntry {
                header: ctx.header(),
                txn: tree.prepare_txn(&req, &ctx),
            };
            let out = tree.apply(&entry);
            tracker.on_applied(&entry, now);
            out.result
        };
    let session = tracker.next_session_id();
    let timeout_ms = timeouts.negotiate(5_000);
    let created = run(
        &mut tree,
        &mut tracker,
        session,
        Request::CreateSession {
            timeout_ms,
            password: crate::session::Password::default(),
        },
        0,
    );
    assert_eq!(created, TxnResult::SessionCreated { timeout_ms: 5_000 });
    assert_eq!(tracker.timeout(session), Some(5_000));
    let eph = Request::Create(CreateRequest::new(
        "/lock",
        b"",
        Acl::open_unsafe(),
        CreateMode::Ephemeral,
    ));
    run(&mut tree, &mut tracker, session, eph, 100);
    assert_eq!(tree.ephemerals_of(session), vec!["/lock"]);

    assert!(tracker.expired(5_999).is_empty());
    assert_eq!(tracker.expired(6_000), vec![session]);
    let late = Request::SetData {
        path: "/lock".into(),
        data: vec![],
        version: -1,
    };
    assert_eq!(
        run(&mut tree, &mut tracker, session, late, 6_000),
        TxnResult::Error(ZkError::SessionExpired)
    );
    let closed = run(
        &mut tree,
        &mut tracker,
        session,
        Request::CloseSession,
        6_000,
    );
    assert_eq!(
        closed,
        TxnResult::SessionClosed {
            deleted: vec!["/lock".into()]
        }
    );
    assert!(tree.node("/lock").is_none());
    assert!(tracker.is_empty());
    assert_eq!(tracker.check(session, 1), SessionStatus::Unknown);
}

/// An expired session whose close the leader could not propose (it was still synchronizing
/// its learners) is expired again a tick later. Before, it stayed marked closing, was never
/// due again, and its ephemerals outlived it for the leader's whole term.
#[test]
fn an_expiry_whose_close_was_refused_comes_due_again() {
    let mut t = SessionTracker::new(1, 0, 100);
    t.add(7, 400, 0);
    assert_eq!(t.expired(600), vec![7]);
    assert!(!t.touch(7, 600), "closing: a touch does not revive it");
    t.close_refused(7, 600);
    assert_eq!(
        t.expired(650),
        Vec::<i64>::new(),
        "not before the next tick"
    );
    assert_eq!(t.expired(700), vec![7], "due again");
}
