//! The write requests a client sends (what ZooKeeper's `CreateRequest`, `DeleteRequest`,
//! `SetDataRequest`, `SetACLRequest`, `CheckVersionRequest` and `MultiOperationRecord` carry),
//! and the context the server adds: who asked, from where, at which zxid and time.

use super::acl_check::Caller;
use crate::acl::Acl;
use crate::session::{Password, SessionStatus};
use crate::txn::CreateMode;
use crate::zxid::Zxid;
use serde::{Deserialize, Serialize};

/// `CreateRequest` / `CreateTTLRequest`. The mode decides the opcode the client library uses
/// (`create2`, `createContainer`, `createTTL`); `ttl` is -1 unless the mode is a TTL mode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRequest {
    /// The path to create; for a sequential mode, the prefix the parent's counter goes after.
    pub path: String,
    /// The data the node starts with (dataLength is its length).
    pub data: Vec<u8>,
    /// The ACL as the client sent it, before `fixupACL` (`auth` entries not yet expanded).
    pub acl: Vec<Acl>,
    /// The kind of node to make: persistent, ephemeral, container or TTL, and whether its name
    /// gets a sequential suffix.
    pub mode: CreateMode,
    /// For a TTL mode, ms without modification (and with no children) before the server
    /// deletes the node; -1 for every other mode.
    pub ttl: i64,
}

impl CreateRequest {
    /// A create without TTL (`ttl` -1); add one with `with_ttl` for a TTL mode.
    pub fn new(path: &str, data: &[u8], acl: Vec<Acl>, mode: CreateMode) -> CreateRequest {
        CreateRequest {
            path: path.to_string(),
            data: data.to_vec(),
            acl,
            mode,
            ttl: -1,
        }
    }

    /// The same request with a TTL of `ttl` ms, which a TTL mode needs (0 < ttl ≤ 2^40 − 1).
    pub fn with_ttl(mut self, ttl: i64) -> CreateRequest {
        self.ttl = ttl;
        self
    }
}

/// One operation of a multi: ZooKeeper's `MultiOperationRecord` accepts exactly these.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Create a znode.
    Create(CreateRequest),
    /// Delete a znode that has no children.
    Delete {
        /// The node to delete.
        path: String,
        /// The data version it must have, or -1 for any.
        version: i32,
    },
    /// Replace a znode's data.
    SetData {
        /// The node to write.
        path: String,
        /// The data that replaces the node's current data, whole.
        data: Vec<u8>,
        /// The data version it must have, or -1 for any.
        version: i32,
    },
    /// Fail the multi unless the node has this data version (`checkVersion`).
    Check {
        /// The node to check.
        path: String,
        /// The data version it must have, or -1 for any.
        version: i32,
    },
}

/// A request that changes state, so goes through `prepare` and becomes a transaction. Reads,
/// `sync` and the watch operations never become transactions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// The negotiated timeout; the session id is the context's.
    CreateSession {
        /// The session timeout, in ms.
        timeout_ms: i32,
        /// The password the server that took the handshake drew for the session.
        password: Password,
    },
    /// End the context's session, by the client's close or by expiry; its ephemerals go.
    CloseSession,
    /// Create a znode.
    Create(CreateRequest),
    /// Delete a znode that has no children.
    Delete {
        /// The node to delete.
        path: String,
        /// The data version it must have, or -1 for any.
        version: i32,
    },
    /// Sent by the server itself for an empty container or an expired TTL node.
    DeleteContainer {
        /// The node to delete; no session, ACL or version check applies.
        path: String,
    },
    /// Replace a znode's data.
    SetData {
        /// The node to write.
        path: String,
        /// The data that replaces the node's current data, whole.
        data: Vec<u8>,
        /// The data version it must have, or -1 for any.
        version: i32,
    },
    /// Replace a znode's ACL.
    SetAcl {
        /// The node whose ACL changes.
        path: String,
        /// The new ACL as the client sent it, before `fixupACL`.
        acl: Vec<Acl>,
        /// The ACL version (aversion) it must have, or -1 for any.
        version: i32,
    },
    /// Check a node's data version (`checkVersion`); changes nothing.
    Check {
        /// The node to check.
        path: String,
        /// The data version it must have, or -1 for any.
        version: i32,
    },
    /// Several operations applied atomically as one transaction: all or none.
    Multi(Vec<Op>),
    /// What a leader proposes in place of a write whose session's client has since
    /// connected to another server (`checkSession`'s owner test): the write inside,
    /// prepared with an active session taken as moved, so it fails with `SessionMoved`
    /// where ZooKeeper's does (a close-session is not checked, as in ZooKeeper).
    Moved(Box<Request>),
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
    /// The requesting session; ephemerals it creates are owned by it.
    pub session_id: i64,
    /// The client's request number (`xid`), carried into the transaction header.
    pub cxid: i32,
    /// The zxid the leader assigns to the transaction.
    pub zxid: Zxid,
    /// The transaction's time, in ms since the epoch: ctime and mtime of what it writes.
    pub time_ms: i64,
    /// The identities ACLs are checked against.
    pub caller: Caller,
    /// The requesting session's state, checked before most writes.
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

    /// The same context for a request from `caller`.
    pub fn with_caller(mut self, caller: Caller) -> RequestContext {
        self.caller = caller;
        self
    }

    /// The same context with the session in state `session` (closing, moved, unknown, local).
    pub fn with_session(mut self, session: SessionStatus) -> RequestContext {
        self.session = session;
        self
    }

    /// The transaction header for this request: session, cxid, zxid and time.
    pub fn header(&self) -> crate::txn::TxnHeader {
        crate::txn::TxnHeader {
            session_id: self.session_id,
            cxid: self.cxid,
            zxid: self.zxid,
            time: self.time_ms,
        }
    }
}
