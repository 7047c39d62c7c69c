//! Sessions: what the leader's session tracker says about a requesting session
//! ([`SessionStatus`]), timeout negotiation, session ids unique across restarts, and the
//! [`SessionTracker`] with its expiry buckets.

use crate::error::ZkError;
use serde::{Deserialize, Serialize};

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
