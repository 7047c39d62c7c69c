//! The session tracker (`SessionTrackerImpl` with its `ExpiryQueue`): sessions expire in
//! buckets, one per tick. A session's deadline is rounded up to the next tick boundary, so a
//! tick's worth of sessions expires together and touching a session is a move between two
//! buckets. Expiring a session only marks it closing: the leader then proposes its
//! close-session transaction, and applying that transaction deletes its ephemerals and ends
//! the session here (`on_applied`).

use super::{initial_session_id, SessionStatus};
use crate::txn::{Txn, TxnEntry};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Session timeout bounds (`minSessionTimeout`, `maxSessionTimeout`), in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// `tickTime`, in milliseconds, the defaults derive from.
    pub tick_ms: i32,
    /// The shortest timeout a session gets (`minSessionTimeout`; default 2 ticks).
    pub min_ms: i32,
    /// The longest timeout a session gets (`maxSessionTimeout`; default 20 ticks).
    pub max_ms: i32,
}

impl Timeouts {
    /// ZooKeeper's defaults: 2 and 20 ticks.
    pub fn from_tick(tick_ms: i32) -> Timeouts {
        Timeouts {
            tick_ms,
            min_ms: tick_ms.saturating_mul(2),
            max_ms: tick_ms.saturating_mul(20),
        }
    }

    /// The timeout a connecting client gets: what it asked for, clamped into [min, max].
    /// Not `clamp`: a misconfigured min above max must not panic; max wins, as in ZooKeeper.
    pub fn negotiate(&self, requested_ms: i32) -> i32 {
        requested_ms.max(self.min_ms).min(self.max_ms)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Session {
    timeout_ms: i32,
    expires_at: i64,
    closing: bool,
    /// The connection (server-side id) the session is attached to, once a request set it.
    owner: Option<u64>,
}

/// The leader's record of every open session and when each expires: deadlines in buckets
/// of one tick, a session's id allocator, and which connection owns each session.
#[derive(Clone, Debug)]
pub struct SessionTracker {
    tick_ms: i64,
    next_id: i64,
    sessions: HashMap<i64, Session>,
    /// Deadline (a tick boundary) → the sessions due then.
    buckets: BTreeMap<i64, BTreeSet<i64>>,
}

impl SessionTracker {
    /// A tracker for server `server_id` started at `now_ms`, with `tick_ms` buckets.
    pub fn new(server_id: u8, now_ms: i64, tick_ms: i32) -> SessionTracker {
        SessionTracker {
            tick_ms: i64::from(tick_ms.max(1)),
            next_id: initial_session_id(server_id, now_ms),
            sessions: HashMap::new(),
            buckets: BTreeMap::new(),
        }
    }

    /// A fresh id for a connecting client (the leader's or a local session's).
    pub fn next_session_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        id
    }

    /// `ExpiryQueue.roundToNextInterval`: the first tick boundary strictly after `time`.
    fn round_up(&self, time: i64) -> i64 {
        (time.div_euclid(self.tick_ms) + 1).saturating_mul(self.tick_ms)
    }

    /// Starts tracking a session (its create-session transaction was applied, or a snapshot
    /// or a new leader brought it). Re-adding a known session just touches it.
    pub fn add(&mut self, session_id: i64, timeout_ms: i32, now_ms: i64) {
        let session = Session {
            timeout_ms,
            expires_at: i64::MIN,
            closing: false,
            owner: None,
        };
        self.sessions
            .entry(session_id)
            .or_insert(session)
            .timeout_ms = timeout_ms;
        self.reschedule(session_id, now_ms);
    }

    /// The client was heard from: its deadline moves to a later bucket. False for a session
    /// that is unknown or closing (the client must be told it expired).
    pub fn touch(&mut self, session_id: i64, now_ms: i64) -> bool {
        match self.sessions.get(&session_id) {
            Some(s) if !s.closing => {
                self.reschedule(session_id, now_ms);
                true
            }
            _ => false,
        }
    }

    fn reschedule(&mut self, session_id: i64, now_ms: i64) {
        let Some(timeout_ms) = self.sessions.get(&session_id).map(|s| s.timeout_ms) else {
            return;
        };
        let due = self.round_up(now_ms.saturating_add(i64::from(timeout_ms)));
        self.schedule(session_id, due);
    }

    /// Moves a session from the bucket of its deadline to the bucket of `due`.
    fn schedule(&mut self, session_id: i64, due: i64) {
        let Some(previous) = self.sessions.get(&session_id).map(|s| s.expires_at) else {
            return;
        };
        if due == previous {
            return;
        }
        self.unschedule(session_id, previous);
        self.buckets.entry(due).or_default().insert(session_id);
        if let Some(session) = self.sessions.get_mut(&session_id) {
            session.expires_at = due;
        }
    }

    fn unschedule(&mut self, session_id: i64, due: i64) {
        if let Some(bucket) = self.buckets.get_mut(&due) {
            bucket.remove(&session_id);
            if bucket.is_empty() {
                self.buckets.remove(&due);
            }
        }
    }

    /// The sessions whose deadline has come by `now_ms`, in id order, now marked closing: the
    /// leader proposes a close-session transaction for each.
    pub fn expired(&mut self, now_ms: i64) -> Vec<i64> {
        let later = self.buckets.split_off(&now_ms.saturating_add(1));
        let due = std::mem::replace(&mut self.buckets, later);
        let ids: BTreeSet<i64> = due.into_values().flatten().collect();
        for id in &ids {
            if let Some(s) = self.sessions.get_mut(id) {
                s.closing = true;
            }
        }
        ids.into_iter().collect()
    }

    /// The close-session of an expired session could not be proposed (the leader was not
    /// serving): the session is no longer closing and is due again in one tick, so its close
    /// is retried rather than forgotten.
    pub fn close_refused(&mut self, session_id: i64, now_ms: i64) {
        let Some(s) = self.sessions.get_mut(&session_id) else {
            return;
        };
        s.closing = false;
        // Its old deadline has passed (it expired), so it is never the new one, `due`.
        let due = self.round_up(now_ms);
        self.schedule(session_id, due);
    }

    /// The client asked to close: no further request of it is accepted.
    pub fn set_closing(&mut self, session_id: i64) {
        if let Some(s) = self.sessions.get_mut(&session_id) {
            s.closing = true;
        }
    }

    /// Stops tracking a session (its close-session transaction was applied).
    pub fn remove(&mut self, session_id: i64) {
        if let Some(s) = self.sessions.remove(&session_id) {
            self.unschedule(session_id, s.expires_at);
        }
    }

    /// Keeps the tracker in step with the log: a create-session transaction adds the
    /// session, a close-session transaction removes it.
    pub fn on_applied(&mut self, entry: &TxnEntry, now_ms: i64) {
        match entry.txn {
            Txn::CreateSession { timeout_ms, .. } => {
                self.add(entry.header.session_id, timeout_ms, now_ms)
            }
            Txn::CloseSession => self.remove(entry.header.session_id),
            _ => {}
        }
    }

    /// `checkSession`: what `prepare` is told about a request arriving through connection
    /// `owner`. The first request attaches the session to its connection.
    pub fn check(&mut self, session_id: i64, owner: u64) -> SessionStatus {
        let Some(session) = self.sessions.get_mut(&session_id) else {
            return SessionStatus::Unknown;
        };
        if session.closing {
            return SessionStatus::Closing;
        }
        match session.owner {
            None => {
                session.owner = Some(owner);
                SessionStatus::Active
            }
            Some(o) if o == owner => SessionStatus::Active,
            Some(_) => SessionStatus::Moved,
        }
    }

    /// The client reconnected through another connection (`setOwner`).
    pub fn set_owner(&mut self, session_id: i64, owner: u64) -> SessionStatus {
        match self.sessions.get_mut(&session_id) {
            Some(s) if !s.closing => {
                s.owner = Some(owner);
                SessionStatus::Active
            }
            Some(_) => SessionStatus::Closing,
            None => SessionStatus::Unknown,
        }
    }

    /// Whether the session expired and its close is under way (`ExpiryQueue`'s closing flag).
    pub fn is_closing(&self, session_id: i64) -> bool {
        self.sessions.get(&session_id).is_some_and(|s| s.closing)
    }

    /// When a session is due, if it is tracked.
    pub fn deadline(&self, session_id: i64) -> Option<i64> {
        self.sessions.get(&session_id).map(|s| s.expires_at)
    }

    /// The negotiated timeout of a tracked session.
    pub fn timeout(&self, session_id: i64) -> Option<i32> {
        self.sessions.get(&session_id).map(|s| s.timeout_ms)
    }

    /// Each pending deadline (wall-clock milliseconds) with the sessions due then, earliest
    /// first (`dump`).
    pub fn buckets(&self) -> impl Iterator<Item = (i64, &BTreeSet<i64>)> {
        self.buckets.iter().map(|(due, ids)| (*due, ids))
    }

    /// The earliest deadline still pending: when `expired` next has work.
    pub fn next_deadline(&self) -> Option<i64> {
        self.buckets.keys().next().copied()
    }

    /// How many sessions are tracked, closing ones included.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether no session is tracked.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }
}
