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
    #[error("unknown opcode {0}")]
    UnknownOp(i32),
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
    GetChildren { path: String },
    GetData { path: String },
}

/// One client request after the handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientOp {
    /// `opcode` is create, create2, createContainer or createTTL: it decides the reply.
    Create {
        opcode: i32,
        req: CreateRequest,
    },
    Delete {
        path: String,
        version: i32,
    },
    Exists {
        path: String,
        watch: bool,
    },
    GetData {
        path: String,
        watch: bool,
    },
    SetData {
        path: String,
        data: Vec<u8>,
        version: i32,
    },
    GetAcl {
        path: String,
    },
    SetAcl {
        path: String,
        acl: Vec<Acl>,
        version: i32,
    },
    /// getChildren, or getChildren2 (`with_stat`).
    GetChildren {
        path: String,
        watch: bool,
        with_stat: bool,
    },
    Sync {
        path: String,
    },
    Ping,
    Check {
        path: String,
        version: i32,
    },
    /// Each op with the opcode it came as (create vs create2 changes its reply entry).
    Multi(Vec<(i32, Op)>),
    MultiRead(Vec<ReadOp>),
    CheckWatches {
        path: String,
        kind: i32,
    },
    RemoveWatches {
        path: String,
        kind: i32,
    },
    SetWatches(SetWatches),
    AddWatch {
        path: String,
        mode: i32,
    },
    GetEphemerals {
        prefix: String,
    },
    GetAllChildrenNumber {
        path: String,
    },
    WhoAmI,
    Auth {
        scheme: String,
        auth: Vec<u8>,
    },
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
/// `CreateMode.fromFlag` throws; the remaining checks (TTL range, container vs opcode) are
/// the DataTree's, in ZooKeeper's order.
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
    let mode = CreateMode::from_flag(flags).ok_or(DecodeError::Invalid(ZkError::BadArguments))?;
    Ok(CreateRequest::new(&path, &data, acl, mode).with_ttl(ttl))
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
