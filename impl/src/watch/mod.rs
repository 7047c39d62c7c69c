//! Watches: one-shot data, exist and child watches, persistent and persistent-recursive
//! watches (`addWatch`, ZooKeeper 3.6+), fired by applied transactions in zxid order.
//!
//! The DataTree reports what each applied transaction changed as [`WatchTrigger`]s; the
//! [`WatchManager`] turns them into [`WatchedEvent`]s for the watchers registered on the
//! affected paths. Watchers are opaque ids (a connection or session), so the manager knows
//! nothing of sockets. As in ZooKeeper, a one-shot watch is consumed when its trigger fires
//! even if the watcher may not read the node; the delivery is then dropped
//! ([`Notification::visible_to`]).

mod manager;
mod reads;
mod reconnect;
mod table;

#[cfg(test)]
mod tests;

pub use manager::{Notification, WatchManager};
pub use reconnect::SetWatches;

use crate::data_tree::node::AclList;
use crate::zxid::Zxid;
use serde::{Deserialize, Serialize};

/// Who is watching: a connection or session id, opaque to the manager.
pub type WatcherId = i64;

/// `Watcher.Event.EventType`, with the numbers the client protocol carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    NodeCreated,
    NodeDeleted,
    NodeDataChanged,
    NodeChildrenChanged,
}

impl EventType {
    pub fn code(self) -> i32 {
        match self {
            EventType::NodeCreated => 1,
            EventType::NodeDeleted => 2,
            EventType::NodeDataChanged => 3,
            EventType::NodeChildrenChanged => 4,
        }
    }
}

/// One change an applied transaction made, as the tree reports it: `NodeCreated`,
/// `NodeDataChanged` and `NodeDeleted` on the node itself, `NodeChildrenChanged` on its
/// parent. `acl` is the ACL of the node the event names, used to filter deliveries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchTrigger {
    pub path: String,
    pub event: EventType,
    pub zxid: Zxid,
    pub acl: AclList,
}

impl WatchTrigger {
    pub fn new(path: &str, event: EventType, zxid: Zxid, acl: AclList) -> WatchTrigger {
        WatchTrigger {
            path: path.to_string(),
            event,
            zxid,
            acl,
        }
    }
}

/// A notification for one watcher (`WatcherEvent` on the wire, xid -1). `zxid` is the
/// transaction that caused it; events fired on re-registration carry no zxid (`None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchedEvent {
    pub watcher: WatcherId,
    pub event: EventType,
    pub path: String,
    pub zxid: Option<Zxid>,
}

/// How a watch was set. `Standard` watches are one-shot: `getData`/`exists` set one on the
/// data table, `getChildren` on the child table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WatchMode {
    Standard,
    /// Data and child events of this path, until removed.
    Persistent,
    /// Data events (not `NodeChildrenChanged`) of this path and every path below it.
    PersistentRecursive,
}

/// `addWatch` modes as the client sends them (`AddWatchMode`): 0 persistent, 1 recursive.
impl WatchMode {
    pub fn from_add_watch_mode(mode: i32) -> Option<WatchMode> {
        match mode {
            0 => Some(WatchMode::Persistent),
            1 => Some(WatchMode::PersistentRecursive),
            _ => None,
        }
    }
}

/// Which watches `removeWatches` removes (`WatcherType`; wire values 1, 2, 3, 4, 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WatcherType {
    Children,
    Data,
    Any,
    Persistent,
    PersistentRecursive,
}

impl WatcherType {
    pub fn from_code(code: i32) -> Option<WatcherType> {
        match code {
            1 => Some(WatcherType::Children),
            2 => Some(WatcherType::Data),
            3 => Some(WatcherType::Any),
            4 => Some(WatcherType::Persistent),
            5 => Some(WatcherType::PersistentRecursive),
            _ => None,
        }
    }
}
