//! The lock workload's operations and checks. The lock is one ephemeral znode: a session
//! acquires it by creating the node, proves it still holds it by writing to it (`Renew`:
//! the setData's `Stat.ephemeralOwner` names the session whose node it wrote), and
//! releases it by deleting it.
//!
//! What ZooKeeper promises: at most one session whose node is the lock at any time, and a
//! session's ephemeral node lives as long as the session does (unless the session deletes
//! it). A write is checked against the session by the leader in zxid order, so an
//! acknowledged `Renew` shows, at its commit point (between its call and its answer), a
//! live session and the node it names. Two things are checked from the history alone:
//! - `TwoHolders`: two sessions each certainly held the lock over overlapping times. A
//!   session certainly holds it from its `Acquire`'s answer to the call of its last
//!   acknowledged `Renew` naming it, before it asks to release;
//! - `Vanished`: a session that holds the lock and has not asked to release it renews
//!   while alive and finds the node gone or someone else's.

use super::history::{Operation, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The lock's node.
pub const PATH: &str = "/chaos-lock";

/// An operation on the lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockOp {
    /// Create the ephemeral node.
    Acquire,
    /// setData on the node.
    Renew,
    /// Delete the node at the version last renewed.
    Release,
}

/// What a lock operation returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockRet {
    /// The node was created by `session`.
    Acquired {
        /// The session.
        session: i64,
    },
    /// The node written belongs to `owner` (its `ephemeralOwner`); `session` wrote it.
    Renewed {
        /// The writing session.
        session: i64,
        /// The node's owner.
        owner: i64,
    },
    /// The node was deleted.
    Released,
    /// The node was not there (a renew's NoNode), seen by `session`.
    Gone {
        /// The session.
        session: i64,
    },
}

/// An operation of the history.
pub type LockOperation = Operation<LockOp, LockRet>;

/// Something the history shows that ZooKeeper does not allow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LockAnomaly {
    /// Two sessions held the lock at once.
    #[error(
        "sessions {first:#x} and {second:#x} both held the lock: operations {first_op} and \
         {second_op} show it over overlapping times"
    )]
    TwoHolders {
        /// One session.
        first: i64,
        /// Its last renew in the overlap.
        first_op: usize,
        /// The other.
        second: i64,
        /// Its last renew in the overlap.
        second_op: usize,
    },
    /// A live holder's node disappeared without its release.
    #[error("operation {op}: session {session:#x} holds the lock, is alive, and its node is gone")]
    Vanished {
        /// The renew that found it gone.
        op: usize,
        /// The session.
        session: i64,
    },
}

/// One session's certain hold: from the acquire's answer to the last renew's call.
#[derive(Clone, Copy, Debug)]
struct Hold {
    session: i64,
    from_us: u64,
    to_us: u64,
    /// The renew whose call ends it.
    op: usize,
}

/// Every anomaly of a lock history.
pub fn check(ops: &[LockOperation]) -> Vec<LockAnomaly> {
    let (holds, mut found) = holds(ops);
    found.extend(overlaps(&holds));
    found
}

/// The holds of each process, and the renews that found a held node gone.
fn holds(ops: &[LockOperation]) -> (Vec<Hold>, Vec<LockAnomaly>) {
    let mut by_process: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, op) in ops.iter().enumerate() {
        by_process.entry(op.process).or_default().push(i);
    }
    let (mut holds, mut vanished) = (Vec::new(), Vec::new());
    for indices in by_process.values_mut() {
        indices.sort_by_key(|&i| ops[i].invoked_us);
        // The hold being proven: (session, acquired at, the proof so far).
        let mut current: Option<Hold> = None;
        for &i in indices.iter() {
            let op = &ops[i];
            let answer = match op.completed {
                Some((at, Outcome::Ok, Some(ret))) => Some((at, ret)),
                _ => None,
            };
            match (op.op, answer) {
                (LockOp::Acquire, Some((at, LockRet::Acquired { session }))) => {
                    current = Some(Hold {
                        session,
                        from_us: at,
                        to_us: at,
                        op: i,
                    });
                }
                (LockOp::Renew, Some((_, LockRet::Renewed { session, owner }))) => {
                    match current.as_mut() {
                        Some(h) if owner == h.session => {
                            h.to_us = op.invoked_us.max(h.from_us);
                            h.op = i;
                        }
                        Some(h) => {
                            vanished.push(LockAnomaly::Vanished { op: i, session });
                            holds.push(*h);
                            current = None;
                        }
                        None => {}
                    }
                }
                (LockOp::Renew, Some((_, LockRet::Gone { session }))) => {
                    if let Some(h) = current.take() {
                        vanished.push(LockAnomaly::Vanished { op: i, session });
                        holds.push(h);
                    }
                }
                // A release asked for ends what can be proven of the hold.
                (LockOp::Release, _) => holds.extend(current.take()),
                _ => {}
            }
        }
        holds.extend(current);
    }
    (holds, vanished)
}

/// Pairs of holds by different sessions whose certain times overlap.
fn overlaps(holds: &[Hold]) -> Vec<LockAnomaly> {
    let mut sorted: Vec<Hold> = holds
        .iter()
        .copied()
        .filter(|h| h.to_us > h.from_us)
        .collect();
    sorted.sort_by_key(|h| h.from_us);
    let mut found = Vec::new();
    // The hold reaching furthest among those begun so far.
    let mut furthest: Option<Hold> = None;
    for h in sorted {
        if let Some(f) = furthest {
            if f.to_us > h.from_us && f.session != h.session {
                found.push(LockAnomaly::TwoHolders {
                    first: f.session,
                    first_op: f.op,
                    second: h.session,
                    second_op: h.op,
                });
            }
        }
        if furthest.is_none_or(|f| h.to_us > f.to_us) {
            furthest = Some(h);
        }
    }
    found
}

#[cfg(test)]
mod tests;
