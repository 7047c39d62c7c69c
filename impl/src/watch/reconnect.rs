//! Re-registering watches after a reconnect (`setWatches` / `setWatches2`). The client sends
//! the watches it holds and the last zxid it saw; what changed since then fires at once,
//! without a zxid and without an ACL check, and the rest is registered again.

use super::manager::{Notification, WatchManager};
use super::{EventType, WatchMode, WatchedEvent, WatcherId};
use crate::data_tree::DataTree;
use crate::zxid::Zxid;

/// `SetWatches2`: the watches a client held, by kind, and the last zxid it saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetWatches {
    /// The last zxid the client saw: a change after it fires the watch at once.
    pub relative_zxid: Zxid,
    /// Paths of its data watches (`getData`, or `exists` on an existing node).
    pub data: Vec<String>,
    /// Paths of its exist watches (`exists` on a missing node).
    pub exist: Vec<String>,
    /// Paths of its child watches (`getChildren`).
    pub child: Vec<String>,
    /// Paths of its persistent watches (`addWatch` mode 0).
    pub persistent: Vec<String>,
    /// Paths of its persistent recursive watches (`addWatch` mode 1).
    pub persistent_recursive: Vec<String>,
}

impl WatchManager {
    /// `DataTree.setWatches`: a data watch whose node is gone fires `NodeDeleted`, one whose
    /// node changed after `relative_zxid` fires `NodeDataChanged`; an exist watch whose node
    /// now exists fires `NodeCreated`; a child watch fires `NodeDeleted` or, if a child came
    /// or went after `relative_zxid`, `NodeChildrenChanged`. Persistent watches are simply
    /// registered: they cannot say what they missed.
    pub fn set_watches(
        &mut self,
        tree: &DataTree,
        watcher: WatcherId,
        req: &SetWatches,
    ) -> Vec<Notification> {
        let mut fired = Vec::new();
        let mut fire = |event, path: &str| fired.push(immediate(watcher, event, path));
        let since = req.relative_zxid;
        for path in &req.data {
            match tree.node(path) {
                None => fire(EventType::NodeDeleted, path),
                Some(n) if n.mzxid > since => fire(EventType::NodeDataChanged, path),
                Some(_) => self.watch_data(path, watcher),
            }
        }
        for path in &req.exist {
            match tree.node(path) {
                Some(_) => fire(EventType::NodeCreated, path),
                None => self.watch_data(path, watcher),
            }
        }
        for path in &req.child {
            match tree.node(path) {
                None => fire(EventType::NodeDeleted, path),
                Some(n) if n.pzxid > since => fire(EventType::NodeChildrenChanged, path),
                Some(_) => self.watch_children(path, watcher),
            }
        }
        for path in &req.persistent {
            self.add_watch(path, watcher, WatchMode::Persistent);
        }
        for path in &req.persistent_recursive {
            self.add_watch(path, watcher, WatchMode::PersistentRecursive);
        }
        fired
    }
}

fn immediate(watcher: WatcherId, event: EventType, path: &str) -> Notification {
    Notification {
        event: WatchedEvent {
            watcher,
            event,
            path: path.to_string(),
            zxid: None,
        },
        acl: None,
    }
}
