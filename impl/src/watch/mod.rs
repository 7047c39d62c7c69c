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
    /// The node was created (1); a client waits for that with an `exists` watch.
    NodeCreated,
    /// The node was deleted (2): fires its data, exist and child watches.
    NodeDeleted,
    /// The node's data was set (3).
    NodeDataChanged,
    /// A child of the node was created or deleted (4).
    NodeChildrenChanged,
}

impl EventType {
    /// The number a `WatcherEvent` carries on the wire.
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
    /// The node the event names (the parent, for `NodeChildrenChanged`).
    pub path: String,
    /// What happened to it.
    pub event: EventType,
    /// The applied transaction that made the change.
    pub zxid: Zxid,
    /// That node's ACL: only watchers that may read it are told.
    pub acl: AclList,
}

impl WatchTrigger {
    /// A trigger for `event` on `path`, made by transaction `zxid`; `acl` is the node's ACL.
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
    /// Who is told.
    pub watcher: WatcherId,
    /// What happened.
    pub event: EventType,
    /// The node it happened to (the parent, for `NodeChildrenChanged`).
    pub path: String,
    /// The transaction that caused it; `None` for an event fired by `setWatches`.
    pub zxid: Option<Zxid>,
}

/// How a watch was set. `Standard` watches are one-shot: `getData`/`exists` set one on the
/// data table, `getChildren` on the child table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WatchMode {
    /// One-shot: removed when it fires.
    Standard,
    /// Data and child events of this path, until removed.
    Persistent,
    /// Data events (not `NodeChildrenChanged`) of this path and every path below it.
    PersistentRecursive,
}

/// `addWatch` modes as the client sends them (`AddWatchMode`): 0 persistent, 1 recursive.
impl WatchMode {
    /// The mode for `addWatch`'s wire value; `None` for any other value (`BadArguments`).
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
    /// One-shot child watches (`getChildren`); wire value 1.
    Children,
    /// One-shot data and exist watches (`getData`, `exists`); wire value 2.
    Data,
    /// Every watch of the watcher on the path, whatever its mode; wire value 3.
    Any,
    /// Persistent watches (`addWatch` mode 0); wire value 4.
    Persistent,
    /// Persistent recursive watches (`addWatch` mode 1); wire value 5.
    PersistentRecursive,
}

impl WatcherType {
    /// The type for its wire value; `None` for any other value (`BadArguments`).
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
