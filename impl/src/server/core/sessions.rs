//! Sessions on the core: a learner's touches for its leader, and the leader's tracker, which
//! closes every session whose deadline passed on a clock no wall-clock step moves.

use super::Core;
use crate::replica::{Input, ServerState};
use crate::server::clients;
use crate::server::links::Envelope;
use crate::storage::StorageError;

impl Core {
    /// Sessions active on some server: the leader's tracker moves their deadlines on.
    pub(in crate::server) fn touch_all(&mut self, ids: &[i64]) {
        let now = self.session_clock_ms();
        if let Some(t) = self.tracker.as_mut() {
            for &id in ids {
                t.touch(id, now);
            }
        }
    }

    /// A client of this server was active: the leader's tracker hears at once, a learner's
    /// leader with its next touch.
    pub(in crate::server) fn touch(&mut self, session: i64) {
        if self.tracker.is_some() {
            self.touch_all(&[session]);
        } else {
            self.touched.insert(session);
        }
    }

    pub(super) fn send_touches(&mut self) {
        if self.touched.is_empty() {
            return;
        }
        let ids: Vec<i64> = self.touched.drain().collect();
        if let (Some(leader), false) = (self.leader, self.state == ServerState::Leading) {
            self.send(leader, Envelope::Touch(ids));
        }
    }

    /// The leader closes every session whose deadline passed (`SessionTrackerImpl.run`).
    pub(super) fn expire_sessions(&mut self, now_ms: i64) -> Result<(), StorageError> {
        let Some(t) = self.tracker.as_mut() else {
            return Ok(());
        };
        for id in t.expired(now_ms) {
            tracing::info!(session = format!("0x{id:x}"), "session expired");
            let write = clients::close_session_write();
            self.step(Input::Write {
                session_id: id,
                cxid: clients::EXPIRY_CXID,
                body: write,
            })?;
        }
        Ok(())
    }

    /// The clock of session deadlines: milliseconds since this server started, monotonic, so
    /// a step of the wall clock (NTP, an operator) neither expires every session at once nor
    /// keeps them all alive.
    pub(in crate::server) fn session_clock_ms(&self) -> i64 {
        i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX)
    }
}
