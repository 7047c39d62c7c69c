//! ZooKeeper's error codes (`KeeperException.Code`), as the client protocol carries them.

use serde::{Deserialize, Serialize};

/// An error a ZooKeeper operation can return; `code()` is the value on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
pub enum ZkError {
    #[error("system error")]
    SystemError,
    #[error("runtime inconsistency")]
    RuntimeInconsistency,
    #[error("data inconsistency")]
    DataInconsistency,
    #[error("connection loss")]
    ConnectionLoss,
    #[error("marshalling error")]
    MarshallingError,
    #[error("unimplemented")]
    Unimplemented,
    #[error("operation timeout")]
    OperationTimeout,
    #[error("bad arguments")]
    BadArguments,
    #[error("unknown session")]
    UnknownSession,
    #[error("new config has no quorum")]
    NewConfigNoQuorum,
    #[error("reconfig in progress")]
    ReconfigInProgress,
    #[error("API error")]
    ApiError,
    #[error("no node")]
    NoNode,
    #[error("not authenticated")]
    NoAuth,
    #[error("bad version")]
    BadVersion,
    #[error("ephemeral nodes may not have children")]
    NoChildrenForEphemerals,
    #[error("node exists")]
    NodeExists,
    #[error("directory not empty")]
    NotEmpty,
    #[error("session expired")]
    SessionExpired,
    #[error("invalid callback")]
    InvalidCallback,
    #[error("invalid ACL")]
    InvalidAcl,
    #[error("authentication failed")]
    AuthFailed,
    #[error("session moved")]
    SessionMoved,
    #[error("not a read-only call")]
    NotReadOnly,
    #[error("ephemeral on local session")]
    EphemeralOnLocalSession,
    #[error("no watcher")]
    NoWatcher,
    #[error("request timeout")]
    RequestTimeout,
    #[error("reconfig disabled")]
    ReconfigDisabled,
    #[error("session closed, SASL auth required")]
    SessionClosedRequireSaslAuth,
    #[error("quota exceeded")]
    QuotaExceeded,
    #[error("throttled")]
    Throttled,
}

impl ZkError {
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
