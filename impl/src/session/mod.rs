//! Sessions: what the leader's session tracker says about a requesting session
//! ([`SessionStatus`]), timeout negotiation, session ids unique across restarts, random
//! session [`Password`]s, and the [`SessionTracker`] with its expiry buckets.

mod password;
mod tracker;

#[cfg(test)]
mod tests;

pub use password::{NoRandomness, Password, PASSWORD_LEN};
pub use tracker::{SessionTracker, Timeouts};

use crate::data_tree::node::CONTAINER_EPHEMERAL_OWNER;
use crate::error::ZkError;
use serde::{Deserialize, Serialize};

/// `SessionTrackerImpl.initializeNextSessionId`: the server id in the high byte, the start
/// time in milliseconds in the 40 bits below it, the low 16 bits zero for a counter. Two
/// servers never share a high byte, and a restarted server starts from a later time, so ids
/// stay unique across restarts unless one server creates more than 2^16 sessions per
/// millisecond of downtime. The one id that would read as the container marker is skipped.
pub fn initial_session_id(server_id: u8, now_ms: i64) -> i64 {
    let time_bits = ((now_ms as u64) << 24) >> 8;
    let id = (time_bits | (u64::from(server_id) << 56)) as i64;
    if id == CONTAINER_EPHEMERAL_OWNER {
        id + 1
    } else {
        id
    }
}

/// The state of the requesting session when the leader prepares its request
/// (`SessionTracker.checkSession`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SessionStatus {
    /// Known, open, owned by the connection the request came through.
    #[default]
    Active,
    /// A local session (`localSessionsEnabled`): usable, but it cannot own ephemerals.
    Local,
    /// The tracker does not know it.
    Unknown,
    /// Expired or closed, its close-session transaction under way.
    Closing,
    /// The client reconnected to another server, which now owns the session.
    Moved,
}

impl SessionStatus {
    /// `checkSession`.
    pub fn check(self) -> Result<(), ZkError> {
        match self {
            SessionStatus::Active | SessionStatus::Local => Ok(()),
            SessionStatus::Unknown => Err(ZkError::UnknownSession),
            SessionStatus::Closing => Err(ZkError::SessionExpired),
            SessionStatus::Moved => Err(ZkError::SessionMoved),
        }
    }

    /// `checkGlobalSession`, for ephemeral creates: an unknown session counts as expired, and
    /// a local one cannot own an ephemeral.
    pub fn check_global(self) -> Result<(), ZkError> {
        match self {
            SessionStatus::Local => Err(ZkError::EphemeralOnLocalSession),
            SessionStatus::Unknown => Err(ZkError::SessionExpired),
            other => other.check(),
        }
    }
}
