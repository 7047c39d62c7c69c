//! Applying committed transactions (`DataTree.processTxn`): deterministic, time and zxid from
//! the header. A transaction prepared against the same state never fails; one that does not
//! fit (a replay, a bug) reports ZooKeeper's error code and leaves the tree as ZooKeeper would.

use super::node::{intern_acl, DataNode, NodeData, NodeKind, Stat};
use super::{multi, path, DataTree};
use crate::acl::Acl;
use crate::error::ZkError;
use crate::txn::{CreateMode, Txn, TxnEntry, TxnHeader};
use crate::watch::{EventType, WatchTrigger};
use crate::zxid::Zxid;

/// What applying one transaction produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyOutcome {
    /// The transaction's zxid, from its header.
    pub zxid: Zxid,
    /// The session that issued the transaction: whose pending request the reply answers.
    pub session_id: i64,
    /// The client's request number (`cxid`/`xid`), which the reply echoes.
    pub cxid: i32,
    /// What the reply to the client carries.
    pub result: TxnResult,
    /// The watch triggers, in order, for the watch manager (`WatchManager::fire_all`).
    pub triggers: Vec<WatchTrigger>,
}

/// ZooKeeper's `ProcessTxnResult`, by transaction type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnResult {
    /// `createSession` committed: the session exists from this zxid on.
    SessionCreated {
        /// The negotiated session timeout, in ms, as logged.
        timeout_ms: i32,
    },
    /// The session's ephemeral nodes, deleted.
    SessionClosed {
        /// Their paths, in path order.
        deleted: Vec<String>,
    },
    /// A znode was created.
    Created {
        /// The created path, with its sequence suffix if the mode is sequential.
        path: String,
        /// The new node's Stat (czxid = mzxid = pzxid = this zxid).
        stat: Stat,
    },
    /// A znode was deleted.
    Deleted {
        /// The deleted path.
        path: String,
    },
    /// `setData` applied.
    DataSet {
        /// The node written.
        path: String,
        /// Its Stat after the write: new mzxid, mtime, version and dataLength.
        stat: Stat,
    },
    /// `setACL` applied (it triggers no watch).
    AclSet {
        /// The node whose ACL changed.
        path: String,
        /// Its Stat after the change, with the new aversion.
        stat: Stat,
    },
    /// A `check` (version check) outside a multi, which changes nothing.
    Checked {
        /// The node checked.
        path: String,
    },
    /// A multi's per-op results, in the order of its ops.
    Multi(Vec<OpResult>),
    /// The transaction failed: an `ErrorTxn` from prepare, or one that did not fit the tree.
    Error(ZkError),
}

impl TxnResult {
    /// The error the reply carries, if any: a multi's is its first non-zero per-op code.
    pub fn error(&self) -> Option<ZkError> {
        match self {
            TxnResult::Error(e) => Some(*e),
            TxnResult::Multi(results) => results.iter().find_map(|r| match r {
                OpResult::Error { code } if *code != 0 => ZkError::from_code(*code),
                _ => None,
            }),
            _ => None,
        }
    }
}

/// One entry of a multi's reply (`OpResult`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpResult {
    /// `CreateResult`.
    Create {
        /// The created path, with its sequence suffix if the mode is sequential.
        path: String,
        /// The new node's Stat.
        stat: Stat,
    },
    /// `DeleteResult`: carries nothing.
    Delete,
    /// `SetDataResult`.
    SetData {
        /// The node's Stat after the write.
        stat: Stat,
    },
    /// `CheckResult`: the version matched.
    Check,
    /// `ErrorResult`. In a failed multi every op has one: 0 for the ops before the one that
    /// failed (they were valid but are not applied), that op's code, and
    /// `RuntimeInconsistency` (-2) for the ops after it (never examined).
    Error {
        /// ZooKeeper's numeric error code (`KeeperException.Code`), 0 for OK.
        code: i32,
    },
}

impl DataTree {
    /// Applies a committed transaction.
    pub fn apply(&mut self, entry: &TxnEntry) -> ApplyOutcome {
        let mut triggers = Vec::new();
        let result = self.apply_txn(&entry.header, &entry.txn, &mut triggers);
        // As in ZooKeeper, only after the whole transaction (a multi included) is applied.
        if entry.header.zxid > self.last_zxid {
            self.last_zxid = entry.header.zxid;
        }
        ApplyOutcome {
            zxid: entry.header.zxid,
            session_id: entry.header.session_id,
            cxid: entry.header.cxid,
            result,
            triggers,
        }
    }

    pub(super) fn apply_txn(
        &mut self,
        hdr: &TxnHeader,
        txn: &Txn,
        triggers: &mut Vec<WatchTrigger>,
    ) -> TxnResult {
        let done = |r: Result<TxnResult, ZkError>| r.unwrap_or_else(TxnResult::Error);
        match txn {
            Txn::CreateSession { timeout_ms, .. } => TxnResult::SessionCreated {
                timeout_ms: *timeout_ms,
            },
            Txn::CloseSession => self.kill_session(hdr, triggers),
            Txn::Create { path, .. } => {
                done(
                    self.create_node(hdr, txn, triggers)
                        .map(|stat| TxnResult::Created {
                            path: path.clone(),
                            stat,
                        }),
                )
            }
            Txn::Delete { path } => done(
                self.delete_node(path, hdr.zxid, triggers)
                    .map(|()| TxnResult::Deleted { path: path.clone() }),
            ),
            Txn::SetData {
                path,
                data,
                version,
            } => done(
                self.set_data(hdr, path, data, *version, triggers)
                    .map(|stat| TxnResult::DataSet {
                        path: path.clone(),
                        stat,
                    }),
            ),
            Txn::SetAcl { path, acl, version } => done(self.set_acl(path, acl, *version).map(
                |stat| TxnResult::AclSet {
                    path: path.clone(),
                    stat,
                },
            )),
            Txn::Check { path, .. } => TxnResult::Checked { path: path.clone() },
            Txn::Multi(txns) => multi::apply(self, hdr, txns, triggers),
            Txn::Error(e) => TxnResult::Error(*e),
        }
    }

    /// `createNode`: the parent's cversion becomes the transaction's (if larger: a replay
    /// must not move it back) and its pzxid the transaction's zxid.
    pub(super) fn create_node(
        &mut self,
        hdr: &TxnHeader,
        txn: &Txn,
        triggers: &mut Vec<WatchTrigger>,
    ) -> Result<Stat, ZkError> {
        let Txn::Create {
            path,
            data,
            acl,
            mode,
            parent_cversion,
            ttl,
        } = txn
        else {
            return Err(ZkError::MarshallingError);
        };
        let parent_path = path::parent(path).ok_or(ZkError::NoNode)?;
        if !self.nodes.contains_key(parent_path) {
            return Err(ZkError::NoNode);
        }
        if self.nodes.contains_key(path.as_str()) {
            return Err(ZkError::NodeExists);
        }
        let parent_acl = self.touch_parent_on_create(parent_path, *parent_cversion, hdr.zxid);
        let kind = kind_for(*mode, hdr.session_id, *ttl);
        // The transaction's data and ACL become the node's: shared, not copied, so the
        // in-memory log and the tree hold one of each.
        let acl = acl.clone();
        let node = DataNode::created(data.clone(), acl.clone(), kind, hdr.zxid, hdr.time);
        let stat = node.stat();
        self.insert_node(path, node);
        triggers.push(WatchTrigger::new(
            path,
            EventType::NodeCreated,
            hdr.zxid,
            acl,
        ));
        triggers.push(WatchTrigger::new(
            parent_path,
            EventType::NodeChildrenChanged,
            hdr.zxid,
            parent_acl,
        ));
        Ok(stat)
    }

    fn touch_parent_on_create(
        &mut self,
        parent: &str,
        cversion: i32,
        zxid: Zxid,
    ) -> super::node::AclList {
        let Some(node) = self.nodes.get_mut(parent) else {
            return super::node::open_acl();
        };
        let cversion = if cversion == -1 {
            node.cversion.wrapping_add(1)
        } else {
            cversion
        };
        if cversion > node.cversion {
            node.cversion = cversion;
            node.pzxid = zxid;
        }
        node.num_children = node.num_children.saturating_add(1);
        node.acl.clone()
    }

    /// `deleteNode`: the parent's pzxid moves to this zxid (if larger) even when the child
    /// turns out to be gone — ZooKeeper updates the parent first. Its cversion does not move:
    /// the stat a client sees still counts the delete, as 2 × creations − children.
    pub(super) fn delete_node(
        &mut self,
        path: &str,
        zxid: Zxid,
        triggers: &mut Vec<WatchTrigger>,
    ) -> Result<(), ZkError> {
        if path == path::ROOT {
            // Nothing can delete the root: ZooKeeper's prepare refuses it as a special path.
            return Err(ZkError::BadArguments);
        }
        let parent_path = path::parent(path).ok_or(ZkError::NoNode)?;
        let exists = self.nodes.contains_key(path);
        let parent = self.nodes.get_mut(parent_path).ok_or(ZkError::NoNode)?;
        if exists {
            parent.num_children = parent.num_children.saturating_sub(1);
        }
        if zxid > parent.pzxid {
            parent.pzxid = zxid;
        }
        let parent_acl = parent.acl.clone();
        let node = self.remove_node(path).ok_or(ZkError::NoNode)?;
        triggers.push(WatchTrigger::new(
            path,
            EventType::NodeDeleted,
            zxid,
            node.acl,
        ));
        triggers.push(WatchTrigger::new(
            parent_path,
            EventType::NodeChildrenChanged,
            zxid,
            parent_acl,
        ));
        Ok(())
    }

    /// `setData`: `version` is the new data version, decided when the txn was prepared.
    pub(super) fn set_data(
        &mut self,
        hdr: &TxnHeader,
        path: &str,
        data: &NodeData,
        version: i32,
        triggers: &mut Vec<WatchTrigger>,
    ) -> Result<Stat, ZkError> {
        let node = self.nodes.get_mut(path).ok_or(ZkError::NoNode)?;
        self.data_size = self.data_size - node.data.len() as u64 + data.len() as u64;
        node.data = data.clone();
        node.mtime = hdr.time;
        node.mzxid = hdr.zxid;
        node.version = version;
        let stat = node.stat();
        let acl = node.acl.clone();
        triggers.push(WatchTrigger::new(
            path,
            EventType::NodeDataChanged,
            hdr.zxid,
            acl,
        ));
        Ok(stat)
    }

    /// `setACL`: triggers no watch.
    fn set_acl(&mut self, path: &str, acl: &[Acl], version: i32) -> Result<Stat, ZkError> {
        let node = self.nodes.get_mut(path).ok_or(ZkError::NoNode)?;
        node.acl = intern_acl(acl.to_vec());
        node.aversion = version;
        Ok(node.stat())
    }

    /// `killSession`: every ephemeral the session owns goes, in path order.
    fn kill_session(&mut self, hdr: &TxnHeader, triggers: &mut Vec<WatchTrigger>) -> TxnResult {
        let deleted = self
            .ephemerals_of(hdr.session_id)
            .into_iter()
            .filter(|p| self.delete_node(p, hdr.zxid, triggers).is_ok())
            .collect();
        TxnResult::SessionClosed { deleted }
    }
}

/// What a create mode makes; ephemerals belong to the session in the header.
fn kind_for(mode: CreateMode, session: i64, ttl: i64) -> NodeKind {
    if mode.is_ephemeral() {
        NodeKind::Ephemeral(session)
    } else if mode.is_container() {
        NodeKind::Container
    } else if mode.is_ttl() {
        NodeKind::Ttl(ttl)
    } else {
        NodeKind::Persistent
    }
}
