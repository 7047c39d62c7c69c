//! Reads that leave a watch, with ZooKeeper's rule for when the watch is set
//! (`FinalRequestProcessor`): `getData` and `getChildren` set it only when the read succeeds;
//! `exists` sets it when the node is missing too (that is how a client waits for a create),
//! but not when the caller may not read the node or the path is malformed.

use super::{WatchManager, WatcherId};
use crate::data_tree::{Caller, ChildNames, DataTree, NodeData, Stat};
use crate::error::ZkError;

impl WatchManager {
    /// `getData`: the node's data and Stat, and a data watch for `watcher` (if given) only
    /// when the read succeeds.
    pub fn get_data(
        &mut self,
        tree: &DataTree,
        path: &str,
        caller: &Caller,
        watcher: Option<WatcherId>,
    ) -> Result<(NodeData, Stat), ZkError> {
        let found = tree.get_data(path, caller)?;
        if let Some(w) = watcher {
            self.watch_data(path, w);
        }
        Ok(found)
    }

    /// `exists`: the node's Stat. The data watch for `watcher` (if given) is set when the
    /// node exists and when it is missing (`NoNode`), on no other error.
    pub fn exists(
        &mut self,
        tree: &DataTree,
        path: &str,
        caller: &Caller,
        watcher: Option<WatcherId>,
    ) -> Result<Stat, ZkError> {
        let found = tree.exists(path, caller);
        if let (Some(w), Ok(_) | Err(ZkError::NoNode)) = (watcher, &found) {
            self.watch_data(path, w);
        }
        found
    }

    /// `getChildren`: the node's child names and Stat, and a child watch for `watcher` (if
    /// given) only when the read succeeds.
    pub fn get_children(
        &mut self,
        tree: &DataTree,
        path: &str,
        caller: &Caller,
        watcher: Option<WatcherId>,
    ) -> Result<(ChildNames, Stat), ZkError> {
        let found = tree.get_children(path, caller)?;
        if let Some(w) = watcher {
            self.watch_children(path, w);
        }
        Ok(found)
    }
}
