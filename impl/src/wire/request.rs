//! The request records of `zookeeper.jute`, decoded into one typed [`ClientOp`]. A body that
//! does not parse is a [`DecodeError`]; what the server answers for each is its business
//! (`Unimplemented` and close for an unknown opcode, close for a malformed body).

use super::jute::{JuteError, Reader};
use super::opcode as op;
use crate::acl::{Acl, Id};
use crate::data_tree::{CreateRequest, Op};
use crate::error::ZkError;
use crate::txn::CreateMode;
use crate::watch::SetWatches;
use crate::zxid::Zxid;

/// Why a request body cannot be served.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// An opcode this server does not serve (reconfig and SASL among them): ZooKeeper answers
    /// `Unimplemented` and closes the connection.
    #[error("unknown opcode {0}")]
    UnknownOp(i32),
    /// The body is not the record its opcode calls for: the connection is closed.
    #[error("malformed request: {0}")]
    Jute(#[from] JuteError),
    /// The body parsed but names something that does not exist (a create flag, a watch
    /// mode): ZooKeeper answers with this error and keeps the connection.
    #[error("invalid request: {0}")]
    Invalid(ZkError),
}

/// A read inside `multiRead`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadOp {
    /// `getChildren` of a node.
    GetChildren {
        /// The node whose children are listed.
        path: String,
    },
    /// `getData` of a node.
    GetData {
        /// The node whose data is read.
        path: String,
    },
}

/// One client request after the handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientOp {
    /// `opcode` is create, create2, createContainer or createTTL: it decides the reply.
    Create {
        /// The create opcode the request came as.
        opcode: i32,
        /// Path, data, ACL, mode and TTL (-1 unless createTTL), as the DataTree takes them.
        req: CreateRequest,
    },
    /// `DeleteRequest`: delete a node without children.
    Delete {
        /// The node to delete.
        path: String,
        /// The data version the node must have, or -1 for any.
        version: i32,
    },
    /// `ExistsRequest`: the node's Stat, or `NoNode`.
    Exists {
        /// The node asked about.
        path: String,
        /// Leave a data watch; it is left even when the node does not exist (to fire on its
        /// creation).
        watch: bool,
    },
    /// `GetDataRequest`: the node's data and Stat.
    GetData {
        /// The node to read.
        path: String,
        /// Leave a data watch on the node.
        watch: bool,
    },
    /// `SetDataRequest`: replace the node's data.
    SetData {
        /// The node to change.
        path: String,
        /// The new data.
        data: Vec<u8>,
        /// The data version the node must have, or -1 for any.
        version: i32,
    },
    /// `GetACLRequest`: the node's ACL and Stat.
    GetAcl {
        /// The node whose ACL is read.
        path: String,
    },
    /// `SetACLRequest`: replace the node's ACL.
    SetAcl {
        /// The node to change.
        path: String,
        /// The new ACL, before `fixupACL`.
        acl: Vec<Acl>,
        /// The ACL version (`aversion`) the node must have, or -1 for any.
        version: i32,
    },
    /// getChildren, or getChildren2 (`with_stat`).
    GetChildren {
        /// The node whose children are listed.
        path: String,
        /// Leave a child watch on the node.
        watch: bool,
        /// getChildren2: the reply carries the node's Stat too.
        with_stat: bool,
    },
    /// `SyncRequest`: answered once this server has applied every write committed before it.
    Sync {
        /// Echoed in the reply; the sync covers the whole tree, whatever the path.
        path: String,
    },
    /// A ping (xid -2), which keeps the session alive.
    Ping,
    /// `CheckVersionRequest`: fail unless the node is at a version; a write that changes nothing.
    Check {
        /// The node checked.
        path: String,
        /// The data version the node must have, or -1 for any.
        version: i32,
    },
    /// Each op with the opcode it came as (create vs create2 changes its reply entry).
    Multi(Vec<(i32, Op)>),
    /// multiRead: reads answered together against one state; each fails or succeeds alone.
    MultiRead(Vec<ReadOp>),
    /// `CheckWatchesRequest`: `NoWatcher` unless the connection holds such a watch.
    CheckWatches {
        /// The watched node.
        path: String,
        /// The `WatcherType` code: 1 children, 2 data, 3 any, 4 persistent, 5 recursive.
        kind: i32,
    },
    /// `RemoveWatchesRequest`: drop the connection's watches of a kind on a node.
    RemoveWatches {
        /// The watched node.
        path: String,
        /// The `WatcherType` code: 1 children, 2 data, 3 any, 4 persistent, 5 recursive.
        kind: i32,
    },
    /// `SetWatches` or `SetWatches2`: the watches a reconnecting client re-registers.
    SetWatches(SetWatches),
    /// `AddWatchRequest`: a watch that stays after it fires.
    AddWatch {
        /// The node to watch.
        path: String,
        /// The `AddWatchMode`: 0 persistent, 1 persistent recursive.
        mode: i32,
    },
    /// `GetEphemeralsRequest`: the session's ephemeral nodes.
    GetEphemerals {
        /// Only paths starting with this string are listed (empty or `/` for all).
        prefix: String,
    },
    /// `GetAllChildrenNumberRequest`: how many nodes lie below a node, at any depth.
    GetAllChildrenNumber {
        /// The node whose descendants are counted.
        path: String,
    },
    /// whoAmI: the connection's authenticated identities.
    WhoAmI,
    /// `AuthPacket` (`addAuth`): add an identity to the connection.
    Auth {
        /// The scheme; only `digest` is served, anything else is `AuthFailed` and a close.
        scheme: String,
        /// The credentials; for `digest`, `user:password`.
        auth: Vec<u8>,
    },
    /// closeSession: end the session; its ephemerals are deleted.
    CloseSession,
}

impl ClientOp {
    /// Decodes the body of a request of type `opcode`; the whole body must be used.
    pub fn decode(opcode: i32, r: &mut Reader<'_>) -> Result<ClientOp, DecodeError> {
        let req = decode_body(opcode, r)?;
        r.finish()?;
        Ok(req)
    }
}

fn decode_body(opcode: i32, r: &mut Reader<'_>) -> Result<ClientOp, DecodeError> {
    Ok(match opcode {
        op::CREATE | op::CREATE2 | op::CREATE_CONTAINER | op::CREATE_TTL => ClientOp::Create {
            opcode,
            req: create(opcode, r)?,
        },
        op::DELETE => ClientOp::Delete {
            path: r.ustring()?,
            version: r.int()?,
        },
        op::EXISTS => ClientOp::Exists {
            path: r.ustring()?,
            watch: r.boolean()?,
        },
        op::GET_DATA => ClientOp::GetData {
            path: r.ustring()?,
            watch: r.boolean()?,
        },
        op::SET_DATA => ClientOp::SetData {
            path: r.ustring()?,
            data: r.buffer()?,
            version: r.int()?,
        },
        op::GET_ACL => ClientOp::GetAcl { path: r.ustring()? },
        op::SET_ACL => ClientOp::SetAcl {
            path: r.ustring()?,
            acl: acl_list(r)?,
            version: r.int()?,
        },
        op::GET_CHILDREN | op::GET_CHILDREN2 => ClientOp::GetChildren {
            path: r.ustring()?,
            watch: r.boolean()?,
            with_stat: opcode == op::GET_CHILDREN2,
        },
        op::SYNC => ClientOp::Sync { path: r.ustring()? },
        op::PING => ClientOp::Ping,
        op::CHECK => ClientOp::Check {
            path: r.ustring()?,
            version: r.int()?,
        },
        op::MULTI => ClientOp::Multi(multi(r)?),
        op::MULTI_READ => ClientOp::MultiRead(multi_read(r)?),
        op::CHECK_WATCHES => ClientOp::CheckWatches {
            path: r.ustring()?,
            kind: r.int()?,
        },
        op::REMOVE_WATCHES => ClientOp::RemoveWatches {
            path: r.ustring()?,
            kind: r.int()?,
        },
        op::SET_WATCHES | op::SET_WATCHES2 => {
            ClientOp::SetWatches(set_watches(r, opcode == op::SET_WATCHES2)?)
        }
        op::ADD_WATCH => ClientOp::AddWatch {
            path: r.ustring()?,
            mode: r.int()?,
        },
        op::GET_EPHEMERALS => ClientOp::GetEphemerals {
            prefix: r.ustring()?,
        },
        op::GET_ALL_CHILDREN_NUMBER => ClientOp::GetAllChildrenNumber { path: r.ustring()? },
        op::WHO_AM_I => ClientOp::WhoAmI,
        op::AUTH => {
            let _type = r.int()?;
            ClientOp::Auth {
                scheme: r.ustring()?,
                auth: r.buffer()?,
            }
        }
        op::CLOSE_SESSION => ClientOp::CloseSession,
        other => return Err(DecodeError::UnknownOp(other)),
    })
}

/// `CreateRequest` or `CreateTTLRequest`. An unknown flag is `BadArguments`, as
/// `CreateMode.fromFlag` throws, and so is `createTTL` with a flag that is not a TTL mode
/// (ZooKeeper proposes a TTL transaction with a negative TTL for it); the remaining checks
/// (TTL support and range, session) are the DataTree's, in ZooKeeper's order. The opcode,
/// not the flag, decides whether the node is a container (`CreateMode::for_opcode`).
fn create(opcode: i32, r: &mut Reader<'_>) -> Result<CreateRequest, DecodeError> {
    let path = r.ustring()?;
    let data = r.buffer()?;
    let acl = acl_list(r)?;
    let flags = r.int()?;
    let ttl = if opcode == op::CREATE_TTL {
        r.long()?
    } else {
        -1
    };
    let bad = DecodeError::Invalid(ZkError::BadArguments);
    let mode = CreateMode::from_flag(flags).ok_or(bad.clone())?;
    if opcode == op::CREATE_TTL && !mode.is_ttl() {
        return Err(bad);
    }
    Ok(CreateRequest::new(&path, &data, acl, mode.for_opcode(opcode)).with_ttl(ttl))
}

/// A vector of `ACL { perms, Id { scheme, id } }`; each takes at least 12 bytes.
pub fn acl_list(r: &mut Reader<'_>) -> Result<Vec<Acl>, JuteError> {
    r.vector(12, |r| {
        let perms = r.int()?;
        let scheme = r.ustring()?;
        let id = r.ustring()?;
        Ok(Acl {
            perms,
            id: Id { scheme, id },
        })
    })
}

fn strings(r: &mut Reader<'_>) -> Result<Vec<String>, JuteError> {
    r.vector(4, Reader::ustring)
}

/// `MultiHeader { type, done, err }`.
fn multi_header(r: &mut Reader<'_>) -> Result<(i32, bool), JuteError> {
    let kind = r.int()?;
    let done = r.boolean()?;
    let _err = r.int()?;
    Ok((kind, done))
}

/// `MultiOperationRecord`: headers and ops until a header with `done`.
fn multi(r: &mut Reader<'_>) -> Result<Vec<(i32, Op)>, DecodeError> {
    let mut ops = Vec::new();
    loop {
        let (kind, done) = multi_header(r)?;
        if done {
            return Ok(ops);
        }
        let op = match kind {
            op::CREATE | op::CREATE2 | op::CREATE_CONTAINER | op::CREATE_TTL => {
                Op::Create(create(kind, r)?)
            }
            op::DELETE => Op::Delete {
                path: r.ustring()?,
                version: r.int()?,
            },
            op::SET_DATA => Op::SetData {
                path: r.ustring()?,
                data: r.buffer()?,
                version: r.int()?,
            },
            op::CHECK => Op::Check {
                path: r.ustring()?,
                version: r.int()?,
            },
            // A read in a write multi, or an unknown type: ZooKeeper's deserializer throws.
            _ => return Err(DecodeError::Invalid(ZkError::MarshallingError)),
        };
        ops.push((kind, op));
    }
}

/// `multiRead`: getChildren and getData ops (with their unused watch flags).
fn multi_read(r: &mut Reader<'_>) -> Result<Vec<ReadOp>, DecodeError> {
    let mut ops = Vec::new();
    loop {
        let (kind, done) = multi_header(r)?;
        if done {
            return Ok(ops);
        }
        let path = r.ustring()?;
        let _watch = r.boolean()?;
        ops.push(match kind {
            op::GET_CHILDREN => ReadOp::GetChildren { path },
            op::GET_DATA => ReadOp::GetData { path },
            _ => return Err(DecodeError::Invalid(ZkError::MarshallingError)),
        });
    }
}

/// `SetWatches` (three lists) or `SetWatches2` (five).
fn set_watches(r: &mut Reader<'_>, two: bool) -> Result<SetWatches, JuteError> {
    let relative_zxid = Zxid(r.long()? as u64);
    let data = strings(r)?;
    let exist = strings(r)?;
    let child = strings(r)?;
    let (persistent, persistent_recursive) = if two {
        (strings(r)?, strings(r)?)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(SetWatches {
        relative_zxid,
        data,
        exist,
        child,
        persistent,
        persistent_recursive,
    })
}
