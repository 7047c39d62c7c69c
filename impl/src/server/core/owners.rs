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
        match *self.owners.entry(session).or_insert(via) {
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
            self.owners.insert(session, self.info.my_id);
        } else if let Some(leader) = self.leader {
            self.send(leader, super::super::links::Envelope::SetOwner { session });
        }
    }
}

/// `body`'s write wrapped as moved; `None` if it does not decode (the leader then proposes
/// it as it came, and it fails as malformed).
fn moved(body: &[u8]) -> Option<Vec<u8>> {
    let w = ClientWrite::decode(body).ok()?;
    Some(ClientWrite::new(w.caller, Request::Moved(Box::new(w.request))).encode())
}
