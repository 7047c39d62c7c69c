//! Session owners (SESSIONMOVED): which server each session's client is connected to, as a
//! leader knows it. ZooKeeper's leader keeps an owner per session in its session tracker,
//! set by the server that created the session and by each server a client resumes it on
//! (REVALIDATE); a write of the session that comes through any other server fails with
//! `SessionMoved`, and that server closes the client's connection. So a client's old
//! connection, still open on a server it has left, cannot write in the session's name after
//! the client moved on.
//!
//! Owners are not replicated: a new leader starts with none, and takes the first server a
//! session's write comes through as its owner, as ZooKeeper's `checkSession` does.

use super::Core;
use crate::data_tree::Request;
use crate::database::ClientWrite;
use crate::replica::{ServerId, ServerState};
use crate::session::SessionTracker;
use std::collections::HashMap;
use std::sync::Arc;

impl Core {
    /// A write of `session` reached the leader through server `via`: the body to propose,
    /// the same one if `via` owns the session (or it has no owner yet, and `via` becomes
    /// it), else the write wrapped as `Request::Moved`.
    pub(in crate::server) fn owned_write(
        &mut self,
        session: i64,
        via: ServerId,
        body: Arc<Vec<u8>>,
    ) -> Arc<Vec<u8>> {
        if self.state != ServerState::Leading {
            return body;
        }
        let Some(owner) = owner_of(&mut self.owners, self.tracker.as_ref(), session, via) else {
            // Not an open session: its write fails as expired when applied.
            return body;
        };
        match owner {
            owner if owner == via => body,
            owner => {
                tracing::info!(
                    session = format!("0x{session:x}"),
                    via,
                    owner,
                    "a write of a session that moved"
                );
                moved(&body).map_or(body, Arc::new)
            }
        }
    }

    /// A client resumed `session` on this server: while leading, this server owns it now;
    /// a learner tells its leader.
    pub(in crate::server) fn claim_owner(&mut self, session: i64) {
        if self.state == ServerState::Leading {
            set_owner(
                &mut self.owners,
                self.tracker.as_ref(),
                session,
                self.info.my_id,
            );
        } else if let Some(leader) = self.leader {
            self.send(leader, super::super::links::Envelope::SetOwner { session });
        }
    }
}

/// Whether the leader's tracker holds `session`. Only such a session gets an owner: an entry
/// for a closed or expired one would never be removed, since only its close being applied
/// removes one.
fn open(tracker: Option<&SessionTracker>, session: i64) -> bool {
    tracker.is_some_and(|t| t.deadline(session).is_some())
}

/// The owner of `session`, `via` if it has none yet; `None` for a session not `open`.
fn owner_of(
    owners: &mut HashMap<i64, ServerId>,
    tracker: Option<&SessionTracker>,
    session: i64,
    via: ServerId,
) -> Option<ServerId> {
    open(tracker, session).then(|| *owners.entry(session).or_insert(via))
}

/// Makes `owner` the owner of `session` if it is `open` (a `SetOwner` or a resume that
/// arrives after its close was applied records nothing).
pub(super) fn set_owner(
    owners: &mut HashMap<i64, ServerId>,
    tracker: Option<&SessionTracker>,
    session: i64,
    owner: ServerId,
) {
    if open(tracker, session) {
        owners.insert(session, owner);
    }
}

/// `body`'s write wrapped as moved; `None` if it does not decode (the leader then proposes
/// it as it came, and it fails as malformed).
fn moved(body: &[u8]) -> Option<Vec<u8>> {
    let w = ClientWrite::decode(body).ok()?;
    Some(ClientWrite::new(w.caller, Request::Moved(Box::new(w.request))).encode())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write or a `SetOwner` of a session the tracker no longer holds (its close applied)
    /// leaves no owner behind; an open session's first server becomes its owner.
    #[test]
    fn only_open_sessions_get_owners() {
        let mut tracker = SessionTracker::new(1, 0, 2000);
        tracker.add(7, 4000, 0);
        let mut owners = HashMap::new();
        assert_eq!(owner_of(&mut owners, Some(&tracker), 7, 2), Some(2));
        assert_eq!(owner_of(&mut owners, Some(&tracker), 7, 3), Some(2));
        tracker.remove(7);
        owners.remove(&7);
        assert_eq!(owner_of(&mut owners, Some(&tracker), 7, 3), None);
        set_owner(&mut owners, Some(&tracker), 7, 3);
        set_owner(&mut owners, None, 8, 3);
        assert!(owners.is_empty(), "{owners:?}");
        set_owner(&mut owners, Some(&tracker), 9, 3);
        tracker.add(9, 4000, 0);
        set_owner(&mut owners, Some(&tracker), 9, 3);
        assert_eq!(owners.get(&9), Some(&3));
    }
}
