use super::*;

fn op(process: u32, from: u64, to: u64, o: LockOp, ret: Option<LockRet>) -> LockOperation {
    let outcome = if ret.is_some() {
        Outcome::Ok
    } else {
        Outcome::Fail
    };
    Operation {
        process,
        op: o,
        invoked_us: from,
        completed: Some((to, outcome, ret)),
    }
}

fn acquire(p: u32, from: u64, to: u64, session: i64) -> LockOperation {
    op(
        p,
        from,
        to,
        LockOp::Acquire,
        Some(LockRet::Acquired { session }),
    )
}

fn renew(p: u32, from: u64, to: u64, session: i64, owner: i64) -> LockOperation {
    let ret = LockRet::Renewed { session, owner };
    op(p, from, to, LockOp::Renew, Some(ret))
}

fn release(p: u32, from: u64, to: u64) -> LockOperation {
    op(p, from, to, LockOp::Release, Some(LockRet::Released))
}

/// Session 1 holds the lock from 10 to 40, then session 2 from 60.
fn handed_over() -> Vec<LockOperation> {
    vec![
        acquire(1, 0, 10, 1),
        renew(1, 20, 30, 1, 1),
        release(1, 40, 50),
        op(2, 5, 15, LockOp::Acquire, None), // NodeExists
        acquire(2, 55, 60, 2),
        renew(2, 70, 80, 2, 2),
    ]
}

#[test]
fn a_lock_handed_over_is_sound() {
    assert_eq!(check(&handed_over()), vec![]);
}

#[test]
fn two_sessions_renewing_at_once_are_caught() {
    // Session 2 acquired while session 1 held, renewed after: both held at 25.
    let mut h = handed_over();
    h.push(acquire(3, 12, 18, 3));
    h.push(renew(3, 25, 35, 3, 3));
    let found = check(&h);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(matches!(
        found[0],
        LockAnomaly::TwoHolders {
            first: 1,
            second: 3,
            ..
        }
    ));
}

#[test]
fn a_holder_that_may_have_expired_proves_nothing_after_its_last_renew() {
    // Session 1's last renew is called at 20; from then on it may have expired (its later
    // requests unknown), so session 3's hold from 30 overlaps nothing certain.
    let h = vec![
        acquire(1, 0, 10, 1),
        renew(1, 20, 25, 1, 1),
        Operation {
            process: 1,
            op: LockOp::Renew,
            invoked_us: 26,
            completed: Some((400, Outcome::Unknown, None)),
        },
        acquire(3, 29, 30, 3),
        renew(3, 35, 40, 3, 3),
    ];
    assert_eq!(check(&h), vec![]);
}

#[test]
fn a_live_holders_node_that_vanishes_is_caught() {
    let h = vec![
        acquire(1, 0, 10, 1),
        renew(1, 20, 30, 1, 1),
        op(1, 40, 50, LockOp::Renew, Some(LockRet::Gone { session: 1 })),
    ];
    assert_eq!(check(&h), vec![LockAnomaly::Vanished { op: 2, session: 1 }]);
    // Or someone else's node in its place.
    let h = vec![acquire(1, 0, 10, 1), renew(1, 40, 50, 1, 7)];
    assert_eq!(check(&h), vec![LockAnomaly::Vanished { op: 1, session: 1 }]);
    // After asking to release, a missing node is no surprise.
    let h = vec![
        acquire(1, 0, 10, 1),
        release(1, 20, 30),
        op(1, 40, 50, LockOp::Renew, Some(LockRet::Gone { session: 1 })),
    ];
    assert_eq!(check(&h), vec![]);
}
