//! The reply records of `zookeeper.jute` the server writes: `Stat`, the per-operation
//! responses, multi results and `WatcherEvent` notifications.

use super::connect::ReplyHeader;
use super::jute::{JuteError, Reader, Writer};
use super::opcode as op;
use super::xid;
use crate::acl::Acl;
use crate::data_tree::{ChildNames, Stat};
use crate::zxid::Zxid;

/// The body of a successful reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// delete, check, setWatches, removeWatches, checkWatches, auth, closeSession.
    Empty,
    /// addWatch: an `ErrorResponse` record holding 0 (ZooKeeper's FinalRequestProcessor
    /// answers it so, and its Java client reads the record: without it, it takes the reply
    /// for a broken connection and reconnects).
    ErrorResponse(i32),
    /// create, sync.
    Path(String),
    /// create2, createContainer, createTTL.
    Create2 {
        /// The created node's path, with any sequential suffix.
        path: String,
        /// The new node's Stat.
        stat: Stat,
    },
    /// exists, setData, setACL.
    Stat(Stat),
    /// getData.
    Data {
        /// The node's data.
        data: Vec<u8>,
        /// The node's Stat.
        stat: Stat,
    },
    /// getACL.
    Acl {
        /// The node's ACL (digest hashes hidden from a caller without ADMIN).
        acl: Vec<Acl>,
        /// The node's Stat.
        stat: Stat,
    },
    /// getChildren: the children's names (not paths).
    Children(ChildNames),
    /// getChildren2.
    Children2 {
        /// The children's names (not paths).
        children: ChildNames,
        /// The parent's Stat.
        stat: Stat,
    },
    /// multi and multiRead: one result per op, in order.
    Multi(Vec<MultiResult>),
    /// getEphemerals.
    Paths(Vec<String>),
    /// getAllChildrenNumber.
    Count(i32),
    /// whoAmI: (scheme, user) pairs.
    WhoAmI(Vec<(String, String)>),
}

/// One entry of a multi or multiRead reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MultiResult {
    /// A create op that came as create: `CreateResponse`.
    Create {
        /// The created node's path, with any sequential suffix.
        path: String,
    },
    /// A create op that came as create2, createContainer or createTTL: `Create2Response`.
    Create2 {
        /// The created node's path, with any sequential suffix.
        path: String,
        /// The new node's Stat.
        stat: Stat,
    },
    /// A delete op; no record.
    Delete,
    /// A setData op: `SetDataResponse`.
    SetData {
        /// The node's Stat after the change.
        stat: Stat,
    },
    /// A check op; no record.
    Check,
    /// A multiRead getChildren: `GetChildrenResponse`.
    GetChildren {
        /// The children's names.
        children: ChildNames,
    },
    /// A multiRead getData: `GetDataResponse`.
    GetData {
        /// The node's data.
        data: Vec<u8>,
        /// The node's Stat.
        stat: Stat,
    },
    /// An op that failed, or did not run because another op of the multi failed:
    /// `ErrorResponse`, type -1.
    Error {
        /// The op's error code: its own error, 0 for an op before the failing one in a
        /// multi, `RuntimeInconsistency` (-2) for an op after it.
        code: i32,
    },
}

/// `Stat`, eleven fields in `zookeeper.jute`'s order.
pub fn write_stat(w: &mut Writer, s: &Stat) {
    w.long(s.czxid.0 as i64)
        .long(s.mzxid.0 as i64)
        .long(s.ctime)
        .long(s.mtime)
        .int(s.version)
        .int(s.cversion)
        .int(s.aversion)
        .long(s.ephemeral_owner)
        .int(s.data_length)
        .int(s.num_children)
        .long(s.pzxid.0 as i64);
}

/// Reads a `Stat` as `write_stat` writes it (for clients and tests).
pub fn read_stat(r: &mut Reader<'_>) -> Result<Stat, JuteError> {
    Ok(Stat {
        czxid: Zxid(r.long()? as u64),
        mzxid: Zxid(r.long()? as u64),
        ctime: r.long()?,
        mtime: r.long()?,
        version: r.int()?,
        cversion: r.int()?,
        aversion: r.int()?,
        ephemeral_owner: r.long()?,
        data_length: r.int()?,
        num_children: r.int()?,
        pzxid: Zxid(r.long()? as u64),
    })
}

/// A vector of `ACL { perms, Id { scheme, id } }`, as `request::acl_list` reads it.
pub fn write_acl(w: &mut Writer, acl: &[Acl]) {
    w.vector(acl, |w, a| {
        w.int(a.perms).ustring(&a.id.scheme).ustring(&a.id.id);
    });
}

impl Reply {
    /// About how many bytes the response record takes, to allocate the packet once: exact
    /// for children and data, a guess for the rest.
    fn size_hint(&self) -> usize {
        const STAT: usize = 68;
        let names = |c: &ChildNames| 4 + 4 * c.len() + c.text_len();
        match self {
            Reply::Children(c) => names(c),
            Reply::Children2 { children, .. } => names(children) + STAT,
            Reply::Data { data, .. } => 4 + data.len() + STAT,
            Reply::Empty => 0,
            Reply::Stat(_) => STAT,
            Reply::Count(_) | Reply::ErrorResponse(_) => 4,
            _ => 128,
        }
    }

    /// Writes the reply's response record (nothing for `Empty`), after the `ReplyHeader`.
    pub fn write(&self, w: &mut Writer) {
        match self {
            Reply::Empty => {}
            Reply::Path(p) => {
                w.ustring(p);
            }
            Reply::Create2 { path, stat } => {
                w.ustring(path);
                write_stat(w, stat);
            }
            Reply::Stat(s) => write_stat(w, s),
            Reply::Data { data, stat } => {
                w.buffer(data);
                write_stat(w, stat);
            }
            Reply::Acl { acl, stat } => {
                write_acl(w, acl);
                write_stat(w, stat);
            }
            Reply::Children(c) => {
                w.strings(c.iter());
            }
            Reply::Paths(c) => {
                w.strings(c.iter().map(String::as_str));
            }
            Reply::Children2 { children, stat } => {
                w.strings(children.iter());
                write_stat(w, stat);
            }
            Reply::Multi(results) => write_multi(w, results),
            Reply::Count(n) | Reply::ErrorResponse(n) => {
                w.int(*n);
            }
            Reply::WhoAmI(ids) => {
                w.vector(ids, |w, (scheme, user)| {
                    w.ustring(scheme).ustring(user);
                });
            }
        }
    }
}

/// `MultiResponse`: a header per result (its type, done = false, its error), the result's
/// record, then the closing header (-1, true, -1).
fn write_multi(w: &mut Writer, results: &[MultiResult]) {
    for r in results {
        let (kind, err) = match r {
            MultiResult::Create { .. } => (op::CREATE, 0),
            MultiResult::Create2 { .. } => (op::CREATE2, 0),
            MultiResult::Delete => (op::DELETE, 0),
            MultiResult::SetData { .. } => (op::SET_DATA, 0),
            MultiResult::Check => (op::CHECK, 0),
            MultiResult::GetChildren { .. } => (op::GET_CHILDREN, 0),
            MultiResult::GetData { .. } => (op::GET_DATA, 0),
            MultiResult::Error { code } => (op::ERROR, *code),
        };
        w.int(kind).boolean(false).int(err);
        match r {
            MultiResult::Create { path } => {
                w.ustring(path);
            }
            MultiResult::Create2 { path, stat } => {
                w.ustring(path);
                write_stat(w, stat);
            }
            MultiResult::Delete | MultiResult::Check => {}
            MultiResult::SetData { stat } => write_stat(w, stat),
            MultiResult::GetChildren { children } => {
                w.strings(children.iter());
            }
            MultiResult::GetData { data, stat } => {
                w.buffer(data);
                write_stat(w, stat);
            }
            MultiResult::Error { code } => {
                w.int(*code);
            }
        }
    }
    w.int(-1).boolean(true).int(-1);
}

/// A whole reply packet body (unframed): the header, then the record if `err` is 0.
pub fn reply(xid: i32, zxid: Zxid, err: i32, body: &Reply) -> Vec<u8> {
    let mut w = Writer::with_capacity(16 + if err == 0 { body.size_hint() } else { 0 });
    ReplyHeader {
        xid,
        zxid: zxid.0 as i64,
        err,
    }
    .encode(&mut w);
    if err == 0 {
        body.write(&mut w);
    }
    w.bytes
}

/// A watch notification (xid -1): `WatcherEvent { type, state, path }`. The zxid in the
/// header is the change's, or -1 for an event fired without one (setWatches).
pub fn notification(event_type: i32, state: i32, path: &str, zxid: Option<Zxid>) -> Vec<u8> {
    let mut w = Writer::new();
    ReplyHeader {
        xid: xid::NOTIFICATION,
        zxid: zxid.map_or(-1, |z| z.0 as i64),
        err: 0,
    }
    .encode(&mut w);
    w.int(event_type).int(state).ustring(path);
    w.bytes
}

/// `KeeperState.SyncConnected`: the state every notification of a connected client carries.
pub const STATE_SYNC_CONNECTED: i32 = 3;
