//! ZooKeeper's error codes (`KeeperException.Code`), as the client protocol carries them.

use serde::{Deserialize, Serialize};

/// An error a ZooKeeper operation can return; `code()` is the value on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
pub enum ZkError {
    /// -1: the start of the system-error range (`SYSTEMERROR`); ZooKeeper never returns it.
    #[error("system error")]
    SystemError,
    /// -2: a runtime inconsistency. In a failed multi, every op after the failing one reports
    /// it (`RUNTIMEINCONSISTENCY`).
    #[error("runtime inconsistency")]
    RuntimeInconsistency,
    /// -3: a data inconsistency was found (`DATAINCONSISTENCY`).
    #[error("data inconsistency")]
    DataInconsistency,
    /// -4: the connection to the server was lost (`CONNECTIONLOSS`); here, a read for a
    /// connection that has already gone.
    #[error("connection loss")]
    ConnectionLoss,
    /// -5: a record could not be (de)serialized (`MARSHALLINGERROR`): a read or unknown op
    /// inside a write multi, a bad multiRead op, or stored bytes that do not decode.
    #[error("marshalling error")]
    MarshallingError,
    /// -6: the operation is not implemented (`UNIMPLEMENTED`): an opcode zabd does not serve
    /// (reconfig, SASL or an unknown one; the connection is then closed), or a TTL create
    /// while TTL is off.
    #[error("unimplemented")]
    Unimplemented,
    /// -7: the operation timed out (`OPERATIONTIMEOUT`); a client-side code.
    #[error("operation timeout")]
    OperationTimeout,
    /// -8: invalid arguments (`BADARGUMENTS`): a malformed path, an unknown create flag, watch
    /// type or watch mode, a TTL out of range.
    #[error("bad arguments")]
    BadArguments,
    /// -12: the session tracker does not know the requesting session (`UNKNOWNSESSION`,
    /// server-internal).
    #[error("unknown session")]
    UnknownSession,
    /// -13: no quorum of the new configuration is connected and up to date with the leader
    /// (`NEWCONFIGNOQUORUM`, reconfig only).
    #[error("new config has no quorum")]
    NewConfigNoQuorum,
    /// -14: another reconfiguration is in progress (`RECONFIGINPROGRESS`, reconfig only).
    #[error("reconfig in progress")]
    ReconfigInProgress,
    /// -100: the start of the API-error range (`APIERROR`); ZooKeeper never returns it.
    #[error("API error")]
    ApiError,
    /// -101: the node (or, for a create, its parent) does not exist (`NONODE`).
    #[error("no node")]
    NoNode,
    /// -102: the caller's identities lack the permission the node's ACL requires (`NOAUTH`).
    #[error("not authenticated")]
    NoAuth,
    /// -103: the expected version is not the node's current one (`BADVERSION`); an expected
    /// version of -1 matches any.
    #[error("bad version")]
    BadVersion,
    /// -108: a create under an ephemeral node (`NOCHILDRENFOREPHEMERALS`).
    #[error("ephemeral nodes may not have children")]
    NoChildrenForEphemerals,
    /// -110: a create of a node that already exists (`NODEEXISTS`).
    #[error("node exists")]
    NodeExists,
    /// -111: a delete of a node that still has children (`NOTEMPTY`).
    #[error("directory not empty")]
    NotEmpty,
    /// -112: the session has expired or is closing (`SESSIONEXPIRED`); also an ephemeral create
    /// by a session the tracker does not know.
    #[error("session expired")]
    SessionExpired,
    /// -113: an invalid callback was given (`INVALIDCALLBACK`); a client-side code.
    #[error("invalid callback")]
    InvalidCallback,
    /// -114: the ACL is empty, malformed, of an unknown scheme, or uses `auth` without any
    /// authenticated identity (`INVALIDACL`).
    #[error("invalid ACL")]
    InvalidAcl,
    /// -115: authentication failed (`AUTHFAILED`): an auth packet of a scheme other than
    /// `digest`; the connection is then closed.
    #[error("authentication failed")]
    AuthFailed,
    /// -118: the session has moved to another server, so the request is ignored
    /// (`SESSIONMOVED`).
    #[error("session moved")]
    SessionMoved,
    /// -119: a state-changing request reached a read-only server (`NOTREADONLY`).
    #[error("not a read-only call")]
    NotReadOnly,
    /// -120: an ephemeral create by a local session, which cannot own ephemerals
    /// (`EPHEMERALONLOCALSESSION`).
    #[error("ephemeral on local session")]
    EphemeralOnLocalSession,
    /// -121: checkWatches or removeWatches named a watch the connection does not have
    /// (`NOWATCHER`).
    #[error("no watcher")]
    NoWatcher,
    /// -122: the request did not complete within the allowed time (`REQUESTTIMEOUT`).
    #[error("request timeout")]
    RequestTimeout,
    /// -123: a reconfig while reconfiguration is disabled (`RECONFIGDISABLED`).
    #[error("reconfig disabled")]
    ReconfigDisabled,
    /// -124: the server closed the session because it requires SASL authentication
    /// the client did not complete (`SESSIONCLOSEDREQUIRESASLAUTH`).
    #[error("session closed, SASL auth required")]
    SessionClosedRequireSaslAuth,
    /// -125: the write would exceed a quota set on the path (`QUOTAEXCEEDED`).
    #[error("quota exceeded")]
    QuotaExceeded,
    /// -127: the server is overloaded and did not execute the operation; retry with backoff
    /// (`THROTTLEDOP`).
    #[error("throttled")]
    Throttled,
}

impl ZkError {
    /// The error's number on the wire: the `err` of a `ReplyHeader` or of a multi result.
    pub fn code(self) -> i32 {
        use ZkError::*;
        match self {
            SystemError => -1,
            RuntimeInconsistency => -2,
            DataInconsistency => -3,
            ConnectionLoss => -4,
            MarshallingError => -5,
            Unimplemented => -6,
            OperationTimeout => -7,
            BadArguments => -8,
            UnknownSession => -12,
            NewConfigNoQuorum => -13,
            ReconfigInProgress => -14,
            ApiError => -100,
            NoNode => -101,
            NoAuth => -102,
            BadVersion => -103,
            NoChildrenForEphemerals => -108,
            NodeExists => -110,
            NotEmpty => -111,
            SessionExpired => -112,
            InvalidCallback => -113,
            InvalidAcl => -114,
            AuthFailed => -115,
            SessionMoved => -118,
            NotReadOnly => -119,
            EphemeralOnLocalSession => -120,
            NoWatcher => -121,
            RequestTimeout => -122,
            ReconfigDisabled => -123,
            SessionClosedRequireSaslAuth => -124,
            QuotaExceeded => -125,
            Throttled => -127,
        }
    }

    /// The error a wire number stands for; `None` for 0 (no error) and unknown numbers.
    pub fn from_code(code: i32) -> Option<ZkError> {
        use ZkError::*;
        const ALL: [ZkError; 31] = [
            SystemError,
            RuntimeInconsistency,
            DataInconsistency,
            ConnectionLoss,
            MarshallingError,
            Unimplemented,
            OperationTimeout,
            BadArguments,
            UnknownSession,
            NewConfigNoQuorum,
            ReconfigInProgress,
            ApiError,
            NoNode,
            NoAuth,
            BadVersion,
            NoChildrenForEphemerals,
            NodeExists,
            NotEmpty,
            SessionExpired,
            InvalidCallback,
            InvalidAcl,
            AuthFailed,
            SessionMoved,
            NotReadOnly,
            EphemeralOnLocalSession,
            NoWatcher,
            RequestTimeout,
            ReconfigDisabled,
            SessionClosedRequireSaslAuth,
            QuotaExceeded,
            Throttled,
        ];
        ALL.into_iter().find(|e| e.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        assert_eq!(ZkError::NoNode.code(), -101);
        assert_eq!(ZkError::NodeExists.code(), -110);
        assert_eq!(ZkError::from_code(-103), Some(ZkError::BadVersion));
        assert_eq!(ZkError::from_code(0), None);
        assert_eq!(ZkError::from_code(-9999), None);
    }
}
