//! A session resumed on a learner that lags behind (ZooKeeper's REVALIDATE). A client may
//! resume its session on a follower or observer that has not yet applied the session's
//! creation: the client created it through another server and lost that connection before
//! it saw any later zxid, so nothing in its handshake tells this learner it is behind.
//! Answering "expired" would end a live session, and its client would start over.
//!
//! ZooKeeper's learner asks the leader whether the session is alive. Here the learner asks
//! the leader how far it has got (the round trip of a client's `sync`), waits until it has
//! applied that much, and checks its own table again: the table then holds every session
//! the leader had created when it answered, each with its random password, so the password
//! is still checked locally. A session the leader does not know either is expired.

use super::core::{ConnId, Core};
use crate::replica::ServerState;
use crate::wire::ConnectRequest;
use crate::zxid::Zxid;

/// A handshake waiting for this learner to catch up with the leader.
pub(super) struct PendingResume {
    conn: ConnId,
    req: ConnectRequest,
    /// What the leader had reached when it answered; `None` until it has.
    until: Option<Zxid>,
}

impl Core {
    /// A resume this learner's table cannot grant: asks the leader how far it has got.
    /// Returns false if there is no one to ask (this server leads) or nothing to learn (the
    /// session is in the table and the password is wrong).
    pub(super) fn revalidate(&mut self, conn: ConnId, req: &ConnectRequest) -> bool {
        let known = self
            .replica
            .state_machine()
            .session_password(req.session_id)
            .is_some();
        let leader = match self.leader {
            Some(l) if self.state != ServerState::Leading && !known => l,
            _ => return false,
        };
        let token = self.sync_request(Some(leader));
        let pending = PendingResume {
            conn,
            req: req.clone(),
            until: None,
        };
        self.resumes.insert(token, pending);
        true
    }

    /// The leader answered `token` with `zxid`; false if the token was not a resume's.
    pub(super) fn resume_reply(&mut self, token: u64, zxid: Zxid) -> bool {
        let Some(p) = self.resumes.get_mut(&token) else {
            return false;
        };
        p.until = Some(zxid);
        self.retry_resumes();
        true
    }

    /// After an apply: the resumes whose leader's zxid is applied are decided, for good.
    pub(super) fn retry_resumes(&mut self) {
        if self.resumes.is_empty() {
            return;
        }
        let applied = self.replica.last_processed();
        let ready: Vec<u64> = self
            .resumes
            .iter()
            .filter(|(_, p)| p.until.is_some_and(|z| z <= applied))
            .map(|(&token, _)| token)
            .collect();
        for token in ready {
            if let Some(p) = self.resumes.remove(&token) {
                self.resume_session(p.conn, p.req, false);
            }
        }
    }

    /// The connection closed: its handshake waits for nothing any more.
    pub(super) fn forget_resume(&mut self, conn: ConnId) {
        self.resumes.retain(|_, p| p.conn != conn);
    }
}
