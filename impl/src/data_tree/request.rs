//! The write requests a client sends (what ZooKeeper's `CreateRequest`, `DeleteRequest`,
//! `SetDataRequest`, `SetACLRequest`, `CheckVersionRequest` and `MultiOperationRecord` carry),
//! and the context the server adds: who asked, from where, at which zxid and time.

use super::acl_check::Caller;
use crate::acl::Acl;
use crate::session::SessionStatus;
use crate::txn::CreateMode;
use crate::zxid::Zxid;
use serde::{Deserialize, Serialize};

/// `CreateRequest` / `CreateTTLRequest`. The mode decides the opcode the client library uses
/// (`create2`, `createContainer`, `createTTL`); `ttl` is -1 unless the mode is a TTL mode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRequest {
    pub path: String,
    pub data: Vec<u8>,
    pub acl: Vec<Acl>,
    pub mode: CreateMode,
    pub ttl: i64,
}

impl CreateRequest {
    pub fn new(path: &str, data: &[u8], acl: Vec<Acl>, mode: CreateMode) -> CreateRequest {
        CreateRequest {
            path: path.to_string(),
            data: data.to_vec(),
            acl,
            mode,
            ttl: -1,
        }
    }

    pub fn with_ttl(mut self, ttl: i64) -> CreateRequest {
        self.ttl = ttl;
        self
    }
}

/// One operation of a multi: ZooKeeper's `MultiOperationRecord` accepts exactly these.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    Create(CreateRequest),
    Delete {
        path: String,
        version: i32,
    },
    SetData {
        path: String,
        data: Vec<u8>,
        version: i32,
    },
    Check {
        path: String,
        version: i32,
    },
}

/// A request that changes state, so goes through `prepare` and becomes a transaction. Reads,
/// `sync` and the watch operations never become transactions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// The negotiated timeout; the session id is the context's.
    CreateSession {
        timeout_ms: i32,
    },
    CloseSession,
    Create(CreateRequest),
    Delete {
        path: String,
        version: i32,
    },
    /// Sent by the server itself for an empty container or an expired TTL node.
    DeleteContainer {
        path: String,
    },
    SetData {
        path: String,
        data: Vec<u8>,
        version: i32,
    },
    SetAcl {
        path: String,
        acl: Vec<Acl>,
        version: i32,
    },
    Check {
        path: String,
        version: i32,
    },
    Multi(Vec<Op>),
}

impl From<Op> for Request {
    fn from(op: Op) -> Request {
        match op {
            Op::Create(c) => Request::Create(c),
            Op::Delete { path, version } => Request::Delete { path, version },
            Op::SetData {
                path,
                data,
                version,
            } => Request::SetData {
                path,
                data,
                version,
            },
            Op::Check { path, version } => Request::Check { path, version },
        }
    }
}

/// Everything about a request that is not in its body. `zxid` and `time_ms` are what the
/// leader assigns to the transaction; `session` is what the session tracker says about the
/// requesting session when the leader prepares it (ZooKeeper's `checkSession`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestContext {
    pub session_id: i64,
    pub cxid: i32,
    pub zxid: Zxid,
    pub time_ms: i64,
    pub caller: Caller,
    pub session: SessionStatus,
}

impl RequestContext {
    /// An active session with no authentication, for the given zxid and time.
    pub fn new(session_id: i64, zxid: Zxid, time_ms: i64) -> RequestContext {
        RequestContext {
            session_id,
            cxid: 0,
            zxid,
            time_ms,
            caller: Caller::default(),
            session: SessionStatus::Active,
        }
    }

    pub fn with_caller(mut self, caller: Caller) -> RequestContext {
        self.caller = caller;
        self
    }

    pub fn with_session(mut self, session: SessionStatus) -> RequestContext {
        self.session = session;
        self
    }

    pub fn header(&self) -> crate::txn::TxnHeader {
        crate::txn::TxnHeader {
            session_id: self.session_id,
            cxid: self.cxid,
            zxid: self.zxid,
            time: self.time_ms,
        }
    }
}
