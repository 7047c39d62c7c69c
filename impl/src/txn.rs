//! Transactions: what the leader proposes and every replica applies to its DataTree, in zxid
//! order. They mirror ZooKeeper's `org.apache.zookeeper.txn` records. A transaction carries
//! everything applying it needs — including the time — so that applying the same committed
//! sequence always yields the same tree.

use crate::acl::Acl;
pub use crate::data_tree::node::{AclList, NodeData};
use crate::error::ZkError;
use crate::session::Password;
use crate::zxid::Zxid;
use serde::{Deserialize, Serialize};

/// `TxnHeader`: who asked (session and its request number), at which zxid, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnHeader {
    /// The session that issued the request (for a session's creation, its new id).
    pub session_id: i64,
    /// The xid of the client's request, so the server holding the connection can match the
    /// committed transaction to the request it answers.
    pub cxid: i32,
    /// The zxid the leader assigned: the transaction's place in the history.
    pub zxid: Zxid,
    /// Milliseconds since the epoch, chosen by the leader when it prepared the transaction.
    pub time: i64,
}

/// The kind of znode a create makes (`CreateMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CreateMode {
    /// A node that lives until it is deleted (flag 0).
    Persistent,
    /// A node owned by the creating session and deleted when the session ends (flag 1).
    Ephemeral,
    /// Persistent, its name suffixed with the parent's 10-digit cversion (flag 2).
    PersistentSequential,
    /// Ephemeral, its name suffixed with the parent's 10-digit cversion (flag 3).
    EphemeralSequential,
    /// A container (flag 4): the leader deletes it once it has had children and has none.
    Container,
    /// A persistent node the leader deletes when it has no children and has not been modified
    /// for its TTL (flag 5; only when TTL nodes are enabled).
    PersistentWithTtl,
    /// A sequential TTL node (flag 6).
    PersistentSequentialWithTtl,
    /// A container whose name gets a sequential suffix: `createContainer` sent with flag 2
    /// or 3. ZooKeeper has no flag for it, but its transaction type follows the opcode, so
    /// such a create makes one (`for_opcode`). Last, so that the encoding of the others
    /// is unchanged.
    ContainerSequential,
}

impl CreateMode {
    /// `CreateMode.toFlag`: the integer on the wire.
    pub fn flag(self) -> i32 {
        match self {
            CreateMode::Persistent => 0,
            CreateMode::Ephemeral => 1,
            CreateMode::PersistentSequential => 2,
            CreateMode::EphemeralSequential => 3,
            CreateMode::Container | CreateMode::ContainerSequential => 4,
            CreateMode::PersistentWithTtl => 5,
            CreateMode::PersistentSequentialWithTtl => 6,
        }
    }

    /// `CreateMode.fromFlag`: the mode a create's `flags` stand for, `None` for an unknown one
    /// (which the request decoder answers with `BadArguments`).
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

    /// The mode a create sent as `opcode` with this flag's mode makes. ZooKeeper's
    /// transaction type follows the opcode (`CreateContainerTxn` or `CreateTxn`), the flag
    /// deciding only the checks and the sequential suffix: `createContainer` makes a
    /// container whatever its flag (a TTL flag is left to fail its TTL check), and `create`
    /// or `create2` with the container flag a persistent node.
    pub fn for_opcode(self, opcode: i32) -> CreateMode {
        use crate::wire::opcode::{CREATE, CREATE2, CREATE_CONTAINER};
        match (opcode, self) {
            (CREATE | CREATE2, CreateMode::Container) => CreateMode::Persistent,
            (
                CREATE_CONTAINER,
                CreateMode::PersistentSequential | CreateMode::EphemeralSequential,
            ) => CreateMode::ContainerSequential,
            (CREATE_CONTAINER, mode) if !mode.is_ttl() => CreateMode::Container,
            (_, mode) => mode,
        }
    }

    /// Whether the node belongs to its session (and so must not get children).
    pub fn is_ephemeral(self) -> bool {
        matches!(
            self,
            CreateMode::Ephemeral | CreateMode::EphemeralSequential
        )
    }

    /// Whether the create appends a sequence number to the path.
    pub fn is_sequential(self) -> bool {
        matches!(
            self,
            CreateMode::PersistentSequential
                | CreateMode::EphemeralSequential
                | CreateMode::PersistentSequentialWithTtl
                | CreateMode::ContainerSequential
        )
    }

    /// Whether the node is a container, a candidate for the container manager once empty.
    pub fn is_container(self) -> bool {
        matches!(
            self,
            CreateMode::Container | CreateMode::ContainerSequential
        )
    }

    /// Whether the node carries a TTL (and so needs TTL support and a TTL in range).
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
    CreateSession {
        /// The timeout negotiated at the handshake, in ms: the session expires when the
        /// servers hear nothing from it for this long.
        timeout_ms: i32,
        /// The password the creating server drew; a client resumes the session with it on
        /// any server. (ZooKeeper's `CreateSessionTxn` has none: its passwords follow from
        /// the session id.)
        password: Password,
    },
    /// `CloseSessionTxn`: the session ends (closed or expired); its ephemerals go.
    CloseSession,
    /// `CreateTxn` / `CreateContainerTxn` / `CreateTTLTxn`: `path` is final (a sequential
    /// suffix is already appended); `parent_cversion` is the parent's new cversion.
    Create {
        /// The new node's full path.
        path: String,
        /// The new node's data, shared with the node once applied (the in-memory log and
        /// the tree hold one copy).
        data: NodeData,
        /// The new node's ACL, as `fixupACL` left it (`auth` already expanded); interned,
        /// so the common ACL is one allocation for the log and the tree.
        acl: AclList,
        /// The kind of node: ephemeral ones are owned by the header's session.
        mode: CreateMode,
        /// The parent's cversion after the create (one more than before).
        parent_cversion: i32,
        /// Milliseconds, for TTL nodes.
        ttl: i64,
    },
    /// `DeleteTxn`.
    Delete {
        /// The node to delete; the leader checked it has no children.
        path: String,
    },
    /// `SetDataTxn`: `version` is the node's new data version.
    SetData {
        /// The node whose data changes.
        path: String,
        /// The node's new data, shared with the node once applied.
        data: NodeData,
        /// The node's data version after the change.
        version: i32,
    },
    /// `SetACLTxn`: `version` is the node's new ACL version.
    SetAcl {
        /// The node whose ACL changes.
        path: String,
        /// The node's new ACL, as `fixupACL` left it.
        acl: Vec<Acl>,
        /// The node's ACL version (`aversion`) after the change.
        version: i32,
    },
    /// `CheckVersionTxn` (inside a multi).
    Check {
        /// The node whose version was checked.
        path: String,
        /// The node's data version plus one, as ZooKeeper's `CheckVersionTxn` records it;
        /// applying the transaction changes nothing.
        version: i32,
    },
    /// `MultiTxn`: all succeed or the multi carries the failed op's error and `Error`s.
    Multi(Vec<Txn>),
    /// `ErrorTxn`: the request failed when the leader prepared it.
    Error(ZkError),
}

/// A transaction at its zxid, as logged and replicated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnEntry {
    /// Who asked, at which zxid, and the leader's time.
    pub header: TxnHeader,
    /// What applying the transaction does.
    pub txn: Txn,
}

impl TxnEntry {
    /// The transaction's zxid, from its header.
    pub fn zxid(&self) -> Zxid {
        self.header.zxid
    }
}
