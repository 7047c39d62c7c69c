//! The watch manager: the data and child tables, and which of them each event fires.

use super::table::WatchTable;
use super::{EventType, WatchMode, WatchTrigger, WatchedEvent, WatcherId, WatcherType};
use crate::data_tree::acl_check::{self, Caller};
use crate::data_tree::node::AclList;
use crate::error::ZkError;
use std::collections::BTreeSet;

/// Every watch of a server. `getData` and `exists` watches live in the data table,
/// `getChildren` watches in the child table; a persistent watch is in both, a recursive one in
/// the data table only, which is why it never sees `NodeChildrenChanged`.
#[derive(Clone, Debug, Default)]
pub struct WatchManager {
    data: WatchTable,
    child: WatchTable,
}

/// An event for a watcher, with the ACL of the node it names: the server delivers it only if
/// the watcher's connection may read that node (`ServerCnxn.process`). Events fired when
/// watches are re-registered carry no ACL and are always delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The event to deliver.
    pub event: WatchedEvent,
    /// The ACL of the node it names; `None` (always delivered) for a `setWatches` event.
    pub acl: Option<AclList>,
}

impl Notification {
    /// Whether `caller` may see the event: it may read the node, or the event has no ACL.
    pub fn visible_to(&self, caller: &Caller) -> bool {
        self.acl
            .as_ref()
            .is_none_or(|acl| acl_check::can_read(acl, caller))
    }
}

impl WatchManager {
    /// A manager without watches.
    pub fn new() -> WatchManager {
        WatchManager::default()
    }

    /// A one-shot watch from `getData` or `exists`.
    pub fn watch_data(&mut self, path: &str, watcher: WatcherId) {
        self.data.add(path, watcher, WatchMode::Standard);
    }

    /// A one-shot watch from `getChildren`.
    pub fn watch_children(&mut self, path: &str, watcher: WatcherId) {
        self.child.add(path, watcher, WatchMode::Standard);
    }

    /// `addWatch` (`DataTree.addWatch`). A standard mode is a one-shot data watch.
    pub fn add_watch(&mut self, path: &str, watcher: WatcherId, mode: WatchMode) {
        self.data.add(path, watcher, mode);
        if mode != WatchMode::PersistentRecursive {
            self.child.add(path, watcher, mode);
        }
    }

    /// `removeWatches`: `NoWatcher` when the watcher had no watch of that type on the path.
    pub fn remove_watches(
        &mut self,
        path: &str,
        watcher: WatcherId,
        kind: WatcherType,
    ) -> Result<(), ZkError> {
        let removed = match kind {
            WatcherType::Children => self.child.remove(path, watcher, Some(WatchMode::Standard)),
            WatcherType::Data => self.data.remove(path, watcher, Some(WatchMode::Standard)),
            WatcherType::Persistent => {
                let child = self
                    .child
                    .remove(path, watcher, Some(WatchMode::Persistent));
                self.data.remove(path, watcher, Some(WatchMode::Persistent)) | child
            }
            WatcherType::PersistentRecursive => {
                self.data
                    .remove(path, watcher, Some(WatchMode::PersistentRecursive))
            }
            WatcherType::Any => {
                let child = self.child.remove(path, watcher, None);
                self.data.remove(path, watcher, None) | child
            }
        };
        if removed {
            Ok(())
        } else {
            Err(ZkError::NoWatcher)
        }
    }

    /// `checkWatches` (`DataTree.containsWatcher`): `NoWatcher` when there is none.
    pub fn check_watches(
        &self,
        path: &str,
        watcher: WatcherId,
        kind: WatcherType,
    ) -> Result<(), ZkError> {
        let found = match kind {
            WatcherType::Children => self
                .child
                .contains(path, watcher, Some(WatchMode::Standard)),
            WatcherType::Data => self.data.contains(path, watcher, Some(WatchMode::Standard)),
            WatcherType::Persistent => {
                self.data
                    .contains(path, watcher, Some(WatchMode::Persistent))
            }
            WatcherType::PersistentRecursive => {
                self.data
                    .contains(path, watcher, Some(WatchMode::PersistentRecursive))
            }
            WatcherType::Any => {
                self.child.contains(path, watcher, None) || self.data.contains(path, watcher, None)
            }
        };
        if found {
            Ok(())
        } else {
            Err(ZkError::NoWatcher)
        }
    }

    /// The connection closed: all its watches go.
    pub fn remove_watcher(&mut self, watcher: WatcherId) {
        self.data.remove_watcher(watcher);
        self.child.remove_watcher(watcher);
    }

    /// The events the triggers of one applied transaction fire, in trigger order. Call it for
    /// each transaction in zxid order.
    pub fn fire_all(&mut self, triggers: &[WatchTrigger]) -> Vec<Notification> {
        triggers.iter().flat_map(|t| self.fire(t)).collect()
    }

    /// The events one trigger fires, one per watcher (in id order).
    pub fn fire(&mut self, trigger: &WatchTrigger) -> Vec<Notification> {
        let watchers = match trigger.event {
            EventType::NodeCreated | EventType::NodeDataChanged => self.data.trigger(&trigger.path),
            EventType::NodeChildrenChanged => self.child.trigger(&trigger.path),
            // A deleted node ends its data and its child watches; a watcher with both gets
            // one event (ZooKeeper suppresses the second).
            EventType::NodeDeleted => {
                let mut fired = self.data.trigger(&trigger.path);
                fired.extend(self.child.trigger(&trigger.path));
                fired
            }
        };
        notifications(watchers, trigger)
    }

    /// Number of (path, watcher) pairs in the data and child tables.
    pub fn len(&self) -> (usize, usize) {
        (self.data.len(), self.child.len())
    }

    /// Whether there is no watch at all.
    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }

    /// The paths a watcher has data (and exist) watches on, and child watches on.
    pub fn paths_of(&self, watcher: WatcherId) -> (Vec<String>, Vec<String>) {
        (self.data.paths_of(watcher), self.child.paths_of(watcher))
    }
}

fn notifications(watchers: BTreeSet<WatcherId>, trigger: &WatchTrigger) -> Vec<Notification> {
    watchers
        .into_iter()
        .map(|watcher| Notification {
            event: WatchedEvent {
                watcher,
                event: trigger.event,
                path: trigger.path.clone(),
                zxid: Some(trigger.zxid),
            },
            acl: Some(trigger.acl.clone()),
        })
        .collect()
}
