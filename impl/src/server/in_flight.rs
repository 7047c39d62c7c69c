//! The writes of this server's clients between submission and their transaction's apply,
//! matched to the request that made them.
//!
//! A committed transaction names its session and cxid, and a client chooses its cxids: two
//! in-flight writes may share one (a pipelining client that repeats an xid, a resumed session
//! whose new connection counts again from where the old one's writes still are). So a
//! transaction is matched to a request, not to a (session, cxid) pair: this server submits a
//! session's writes in order, the quorum link and the leader keep that order, so the
//! transactions of a session come back in the order of its writes here. The first write of
//! the session with the transaction's cxid is the one it answers.

use super::core::ConnId;
use std::collections::{HashMap, VecDeque};

/// One write in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InFlight {
    /// The client's xid for it.
    pub cxid: i32,
    /// The connection it came through (perhaps closed since).
    pub conn: ConnId,
    /// The request's number on this server, which its pending reply carries.
    pub request: u64,
}

/// Every session's writes in flight, in submission order.
#[derive(Debug, Default)]
pub struct InFlightWrites {
    by_session: HashMap<i64, VecDeque<InFlight>>,
    len: usize,
}

impl InFlightWrites {
    /// A write of `session` was handed to the replica.
    pub fn submitted(&mut self, session: i64, write: InFlight) {
        self.by_session.entry(session).or_default().push_back(write);
        self.len += 1;
    }

    /// The write the transaction (`session`, `cxid`) answers, no longer in flight: the
    /// session's first with that cxid. `None` if this server has none (it was another
    /// server's, or its connection went with a change of leader).
    pub fn take(&mut self, session: i64, cxid: i32) -> Option<InFlight> {
        let queue = self.by_session.get_mut(&session)?;
        let at = queue.iter().position(|w| w.cxid == cxid)?;
        let write = queue.remove(at);
        if queue.is_empty() {
            self.by_session.remove(&session);
        }
        self.len -= 1;
        write
    }

    /// How many writes are in flight (`srvr`'s `Outstanding`).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets every write: the server closed every connection (back to LOOKING), so none
    /// of them can be answered, and what the next leader applies is nobody's here.
    pub fn clear(&mut self) {
        self.by_session.clear();
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(cxid: i32, conn: ConnId, request: u64) -> InFlight {
        InFlight {
            cxid,
            conn,
            request,
        }
    }

    /// The case that answered a resumed session's create with another request's Stat: the
    /// old connection's write 5 is still in flight when the new connection sends its own 5.
    #[test]
    fn a_reused_cxid_is_answered_in_submission_order() {
        let mut f = InFlightWrites::default();
        f.submitted(7, w(5, 1, 10));
        f.submitted(7, w(5, 2, 11));
        f.submitted(8, w(5, 3, 12));
        assert_eq!(f.len(), 3);
        assert_eq!(f.take(7, 5), Some(w(5, 1, 10)), "the old connection's");
        assert_eq!(f.take(7, 5), Some(w(5, 2, 11)), "then the new one's");
        assert_eq!(f.take(7, 5), None);
        assert_eq!(f.take(8, 5), Some(w(5, 3, 12)));
        assert!(f.is_empty() && f.by_session.is_empty());
    }

    #[test]
    fn a_write_of_another_cxid_is_not_taken() {
        let mut f = InFlightWrites::default();
        f.submitted(7, w(1, 1, 1));
        f.submitted(7, w(2, 1, 2));
        assert_eq!(f.take(9, 1), None, "another session's");
        assert_eq!(f.take(7, 2), Some(w(2, 1, 2)));
        assert_eq!(f.take(7, 3), None);
        f.clear();
        assert!(f.is_empty() && f.take(7, 1).is_none());
    }
}
