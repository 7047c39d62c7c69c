//! Transactions: what the leader proposes and every replica applies to its DataTree, in zxid
//! order. They mirror ZooKeeper's `org.apache.zookeeper.txn` records. A transaction carries
//! everything applying it needs — including the time — so that applying the same committed
//! sequence always yields the same tree.

use crate::acl::Acl;
use crate::error::ZkError;
use crate::zxid::Zxid;
use serde::{Deserialize, Serialize};

/// `TxnHeader`: who asked (session and its request number), at which zxid, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnHeader {
    pub session_id: i64,
    pub cxid: i32,
    pub zxid: Zxid,
    /// Milliseconds since the epoch, chosen by the leader when it prepared the transaction.
    pub time: i64,
}

/// The kind of znode a create makes (`CreateMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CreateMode {
    Persistent,
    Ephemeral,
    PersistentSequential,
    EphemeralSequential,
    Container,
    PersistentWithTtl,
    PersistentSequentialWithTtl,
}

impl CreateMode {
    /// `CreateMode.toFlag`: the integer on the wire.
    pub fn flag(self) -> i32 {
        match self {
            CreateMode::Persistent => 0,
            CreateMode::Ephemeral => 1,
            CreateMode::PersistentSequential => 2,
            CreateMode::EphemeralSequential => 3,
            CreateMode::Container => 4,
            CreateMode::PersistentWithTtl => 5,
            CreateMode::PersistentSequentialWithTtl => 6,
        }
    }

    pub fn from_flag(flag: i32) -> Option<CreateMode> {
        Some(match flag {
            0 => CreateMode::Persistent,
            1 => CreateMode::Ephemeral,
            2 => CreateMode::PersistentSequential,
            3 => CreateMode::EphemeralSequential,
            4 => CreateMode::Container,
            5 => CreateMode::PersistentWithTtl,
            6 => CreateMode::PersistentSequentialWithTtl,
            _ => return None,
        })
    }

    pub fn is_ephemeral(self) -> bool {
        matches!(
            self,
            CreateMode::Ephemeral | CreateMode::EphemeralSequential
        )
    }

    pub fn is_sequential(self) -> bool {
        matches!(
            self,
            CreateMode::PersistentSequential
                | CreateMode::EphemeralSequential
                | CreateMode::PersistentSequentialWithTtl
        )
    }

    pub fn is_container(self) -> bool {
        self == CreateMode::Container
    }

    pub fn is_ttl(self) -> bool {
        matches!(
            self,
            CreateMode::PersistentWithTtl | CreateMode::PersistentSequentialWithTtl
        )
    }
}

/// One transaction body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Txn {
    /// `CreateSessionTxn`: a session with this (negotiated) timeout, in milliseconds.
    CreateSession { timeout_ms: i32 },
    /// `CloseSessionTxn`: the session ends (closed or expired); its ephemerals go.
    CloseSession,
    /// `CreateTxn` / `CreateContainerTxn` / `CreateTTLTxn`: `path` is final (a sequential
    /// suffix is already appended); `parent_cversion` is the parent's new cversion.
    Create {
        path: String,
        data: Vec<u8>,
        acl: Vec<Acl>,
        mode: CreateMode,
        parent_cversion: i32,
        /// Milliseconds, for TTL nodes.
        ttl: i64,
    },
    /// `DeleteTxn`.
    Delete { path: String },
    /// `SetDataTxn`: `version` is the node's new data version.
    SetData {
        path: String,
        data: Vec<u8>,
        version: i32,
    },
    /// `SetACLTxn`: `version` is the node's new ACL version.
    SetAcl {
        path: String,
        acl: Vec<Acl>,
        version: i32,
    },
    /// `CheckVersionTxn` (inside a multi).
    Check { path: String, version: i32 },
    /// `MultiTxn`: all succeed or the multi carries the failed op's error and `Error`s.
    Multi(Vec<Txn>),
    /// `ErrorTxn`: the request failed when the leader prepared it.
    Error(ZkError),
}

/// A transaction at its zxid, as logged and replicated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnEntry {
    pub header: TxnHeader,
    pub txn: Txn,
}

impl TxnEntry {
    pub fn zxid(&self) -> Zxid {
        self.header.zxid
    }
}
