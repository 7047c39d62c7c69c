//! Reads, with the permission checks ZooKeeper's FinalRequestProcessor makes. None of them
//! validates the path: a malformed path is simply not found. Setting a watch is the watch
//! manager's part (`WatchManager::get_data` and its siblings).

use super::acl_check::{self, Caller};
use super::node::{NodeData, Stat};
use super::{path, ChildNames, DataTree};
use crate::acl::{perms, Acl};
use crate::error::ZkError;

impl DataTree {
    /// `getData`: READ on the node.
    pub fn get_data(&self, path: &str, caller: &Caller) -> Result<(NodeData, Stat), ZkError> {
        let node = self.node(path).ok_or(ZkError::NoNode)?;
        acl_check::check(&node.acl, perms::READ, caller)?;
        Ok((node.data.clone(), node.stat()))
    }

    /// `exists`: a NUL in the path is a bad argument; an existing node needs READ (since
    /// ZooKeeper 3.8, so that `exists` cannot probe a protected node's stat); a missing node
    /// is `NoNode` on the wire, which the client library turns into a null stat.
    pub fn exists(&self, path: &str, caller: &Caller) -> Result<Stat, ZkError> {
        if path.contains('\0') {
            return Err(ZkError::BadArguments);
        }
        let node = self.node(path).ok_or(ZkError::NoNode)?;
        acl_check::check(&node.acl, perms::READ, caller)?;
        Ok(node.stat())
    }

    /// `getChildren` / `getChildren2`: READ on the node; names sorted.
    pub fn get_children(&self, path: &str, caller: &Caller) -> Result<(ChildNames, Stat), ZkError> {
        let node = self.node(path).ok_or(ZkError::NoNode)?;
        acl_check::check(&node.acl, perms::READ, caller)?;
        let children = self.child_names(path::canonical(path));
        Ok((children, node.stat()))
    }

    /// `getACL`: READ or ADMIN on the node. A caller without ADMIN sees digest identities
    /// with the hash replaced by `x` (ZooKeeper 3.8 hides them from non-admins).
    pub fn get_acl(&self, path: &str, caller: &Caller) -> Result<(Vec<Acl>, Stat), ZkError> {
        let node = self.node(path).ok_or(ZkError::NoNode)?;
        acl_check::check(&node.acl, perms::READ | perms::ADMIN, caller)?;
        let acl = match acl_check::check(&node.acl, perms::ADMIN, caller) {
            Ok(()) => node.acl.to_vec(),
            Err(_) => acl_check::redact(&node.acl),
        };
        Ok((acl, node.stat()))
    }

    /// `getAllChildrenNumber`: READ on the node; the number of nodes below it at any depth.
    /// For `/` ZooKeeper counts every node but the root, `/zookeeper` and its children
    /// included.
    pub fn get_all_children_number(&self, path: &str, caller: &Caller) -> Result<usize, ZkError> {
        let node = self.node(path).ok_or(ZkError::NoNode)?;
        acl_check::check(&node.acl, perms::READ, caller)?;
        if path == path::ROOT {
            return Ok(self.len() - 1);
        }
        Ok(self.count_under(&format!("{path}/")))
    }

    /// `getEphemerals`: the calling session's ephemeral paths starting with `prefix`; an
    /// empty (after trimming) or `/` prefix means all of them. No permission check: a
    /// session may always list what it owns.
    pub fn get_ephemerals(&self, session: i64, prefix: &str) -> Vec<String> {
        // Java's String.trim drops every character up to U+0020 from both ends.
        let trimmed = prefix.trim_matches(|c: char| c <= ' ');
        let all = self.ephemerals_of(session);
        if trimmed.is_empty() || trimmed == path::ROOT {
            return all;
        }
        all.into_iter().filter(|p| p.starts_with(prefix)).collect()
    }
}
