//! Watches, driven by real applied transactions.

use super::*;
use crate::acl::{perms, Acl, Id};
use crate::data_tree::{Caller, CreateRequest, DataTree, Request, RequestContext, TxnResult};
use crate::error::ZkError;
use crate::txn::{CreateMode, TxnEntry};

const W1: WatcherId = 11;
const W2: WatcherId = 22;

struct Server {
    tree: DataTree,
    watches: WatchManager,
    next: u32,
}

impl Server {
    fn new() -> Server {
        Server {
            tree: DataTree::new(),
            watches: WatchManager::new(),
            next: 1,
        }
    }

    /// Applies `req` and fires its triggers; the zxid and what fired as (watcher, event, path).
    fn write(&mut self, req: Request) -> (Zxid, Vec<(WatcherId, EventType, String)>) {
        let zxid = Zxid::new(1, self.next);
        self.next += 1;
        let ctx = RequestContext::new(7, zxid, 1000 + self.next as i64);
        let txn = self.tree.prepare_txn(&req, &ctx);
        let out = self.tree.apply(&TxnEntry {
            header: ctx.header(),
            txn,
        });
        assert!(
            !matches!(out.result, TxnResult::Error(_)),
            "{:?}",
            out.result
        );
        let fired = self.watches.fire_all(&out.triggers);
        assert!(fired.iter().all(|n| n.event.zxid == Some(zxid)));
        (
            zxid,
            fired
                .into_iter()
                .map(|n| (n.event.watcher, n.event.event, n.event.path))
                .collect(),
        )
    }

    fn create(&mut self, path: &str) -> Vec<(WatcherId, EventType, String)> {
        self.write(Request::Create(CreateRequest::new(
            path,
            b"",
            Acl::open_unsafe(),
            CreateMode::Persistent,
        )))
        .1
    }

    fn set(&mut self, path: &str) -> Vec<(WatcherId, EventType, String)> {
        self.write(Request::SetData {
            path: path.into(),
            data: b"x".to_vec(),
            version: -1,
        })
        .1
    }

    fn delete(&mut self, path: &str) -> Vec<(WatcherId, EventType, String)> {
        self.write(Request::Delete {
            path: path.into(),
            version: -1,
        })
        .1
    }
}

fn ev(w: WatcherId, e: EventType, p: &str) -> (WatcherId, EventType, String) {
    (w, e, p.to_string())
}

use EventType::*;

#[test]
fn data_watches_fire_once_on_change() {
    let mut s = Server::new();
    s.create("/a");
    s.watches
        .get_data(&s.tree, "/a", &Caller::anonymous(), Some(W1))
        .unwrap();
    assert_eq!(s.set("/a"), vec![ev(W1, NodeDataChanged, "/a")]);
    assert_eq!(s.set("/a"), vec![], "one-shot");
    assert!(s.watches.is_empty());
}

#[test]
fn exist_watches_fire_on_create_and_are_set_on_missing_nodes() {
    let mut s = Server::new();
    assert_eq!(
        s.watches
            .exists(&s.tree, "/a", &Caller::anonymous(), Some(W1)),
        Err(ZkError::NoNode)
    );
    assert_eq!(s.create("/a"), vec![ev(W1, NodeCreated, "/a")]);
    s.watches
        .exists(&s.tree, "/a", &Caller::anonymous(), Some(W2))
        .unwrap();
    assert_eq!(s.delete("/a"), vec![ev(W2, NodeDeleted, "/a")]);
}

#[test]
fn failed_reads_leave_no_watch() {
    let mut s = Server::new();
    let any = Caller::anonymous();
    assert!(s
        .watches
        .get_data(&s.tree, "/nope", &any, Some(W1))
        .is_err());
    assert!(s
        .watches
        .get_children(&s.tree, "/nope", &any, Some(W1))
        .is_err());
    assert_eq!(
        s.watches.exists(&s.tree, "/a\0", &any, Some(W1)),
        Err(ZkError::BadArguments)
    );
    assert!(s.watches.is_empty());
}

#[test]
fn child_watches_fire_on_child_create_and_delete_and_own_delete() {
    let mut s = Server::new();
    let any = Caller::anonymous();
    s.create("/p");
    s.watches
        .get_children(&s.tree, "/p", &any, Some(W1))
        .unwrap();
    s.watches.get_data(&s.tree, "/p", &any, Some(W2)).unwrap();
    assert_eq!(
        s.create("/p/c"),
        vec![ev(W1, NodeChildrenChanged, "/p")],
        "data watch not fired"
    );
    s.watches
        .get_children(&s.tree, "/p", &any, Some(W1))
        .unwrap();
    assert_eq!(s.delete("/p/c"), vec![ev(W1, NodeChildrenChanged, "/p")]);
    s.watches
        .get_children(&s.tree, "/p", &any, Some(W1))
        .unwrap();
    s.watches.get_data(&s.tree, "/p", &any, Some(W1)).unwrap();
    let fired = s.delete("/p");
    assert_eq!(
        fired[..2],
        [ev(W1, NodeDeleted, "/p"), ev(W2, NodeDeleted, "/p")],
        "W1 once"
    );
    assert_eq!(fired.len(), 2, "the root has no watchers: {fired:?}");
}

#[test]
fn events_follow_trigger_order_within_a_transaction() {
    let mut s = Server::new();
    assert!(s
        .watches
        .exists(&s.tree, "/a", &Caller::anonymous(), Some(W1))
        .is_err());
    s.watches
        .get_children(&s.tree, "/", &Caller::anonymous(), Some(W1))
        .unwrap();
    assert_eq!(
        s.create("/a"),
        vec![ev(W1, NodeCreated, "/a"), ev(W1, NodeChildrenChanged, "/")]
    );
}

#[test]
fn persistent_watches_stay_and_see_data_and_child_events() {
    let mut s = Server::new();
    s.create("/p");
    s.watches.add_watch("/p", W1, WatchMode::Persistent);
    assert_eq!(s.set("/p"), vec![ev(W1, NodeDataChanged, "/p")]);
    assert_eq!(
        s.set("/p"),
        vec![ev(W1, NodeDataChanged, "/p")],
        "not one-shot"
    );
    assert_eq!(s.create("/p/c"), vec![ev(W1, NodeChildrenChanged, "/p")]);
    assert_eq!(s.create("/p/c/deep"), vec![], "not recursive");
    s.delete("/p/c/deep");
    s.delete("/p/c");
    assert_eq!(s.delete("/p"), vec![ev(W1, NodeDeleted, "/p")]);
    assert_eq!(
        s.create("/p"),
        vec![ev(W1, NodeCreated, "/p")],
        "survives the delete"
    );
}

#[test]
fn recursive_watches_see_the_subtree_but_not_child_changes() {
    let mut s = Server::new();
    s.watches
        .add_watch("/r", W1, WatchMode::PersistentRecursive);
    assert_eq!(s.create("/r"), vec![ev(W1, NodeCreated, "/r")]);
    assert_eq!(s.create("/r/a"), vec![ev(W1, NodeCreated, "/r/a")]);
    assert_eq!(s.create("/r/a/b"), vec![ev(W1, NodeCreated, "/r/a/b")]);
    assert_eq!(s.set("/r/a/b"), vec![ev(W1, NodeDataChanged, "/r/a/b")]);
    assert_eq!(s.delete("/r/a/b"), vec![ev(W1, NodeDeleted, "/r/a/b")]);
    assert_eq!(
        s.create("/rx"),
        vec![],
        "a sibling with the same prefix is outside"
    );
    s.watches.add_watch("/", W2, WatchMode::PersistentRecursive);
    assert_eq!(s.set("/rx"), vec![ev(W2, NodeDataChanged, "/rx")]);
}

#[test]
fn one_shot_and_persistent_on_one_path_give_one_event() {
    let mut s = Server::new();
    s.create("/a");
    s.watches.add_watch("/a", W1, WatchMode::Persistent);
    s.watches
        .get_data(&s.tree, "/a", &Caller::anonymous(), Some(W1))
        .unwrap();
    assert_eq!(s.set("/a"), vec![ev(W1, NodeDataChanged, "/a")]);
    assert_eq!(
        s.watches.check_watches("/a", W1, WatcherType::Data),
        Err(ZkError::NoWatcher)
    );
    assert_eq!(
        s.watches.check_watches("/a", W1, WatcherType::Persistent),
        Ok(())
    );
}

#[test]
fn remove_watches_by_type() {
    let mut s = Server::new();
    s.create("/a");
    let any = Caller::anonymous();
    s.watches.get_data(&s.tree, "/a", &any, Some(W1)).unwrap();
    s.watches
        .get_children(&s.tree, "/a", &any, Some(W1))
        .unwrap();
    assert_eq!(
        s.watches.remove_watches("/a", W1, WatcherType::Persistent),
        Err(ZkError::NoWatcher)
    );
    assert_eq!(
        s.watches.remove_watches("/a", W2, WatcherType::Data),
        Err(ZkError::NoWatcher)
    );
    assert_eq!(
        s.watches.remove_watches("/a", W1, WatcherType::Data),
        Ok(())
    );
    assert_eq!(
        s.watches.remove_watches("/a", W1, WatcherType::Data),
        Err(ZkError::NoWatcher)
    );
    assert_eq!(s.set("/a"), vec![]);
    assert_eq!(
        s.watches.remove_watches("/a", W1, WatcherType::Children),
        Ok(())
    );
    assert!(s.watches.is_empty());
    s.watches.add_watch("/a", W1, WatchMode::Persistent);
    s.watches
        .add_watch("/a", W1, WatchMode::PersistentRecursive);
    assert_eq!(s.watches.len(), (1, 1));
    assert_eq!(
        s.watches
            .remove_watches("/a", W1, WatcherType::PersistentRecursive),
        Ok(())
    );
    assert_eq!(
        s.watches.remove_watches("/a", W1, WatcherType::Persistent),
        Ok(())
    );
    assert!(s.watches.is_empty());
    s.watches
        .add_watch("/a", W1, WatchMode::PersistentRecursive);
    s.watches.watch_children("/a", W1);
    assert_eq!(s.watches.remove_watches("/a", W1, WatcherType::Any), Ok(()));
    assert!(s.watches.is_empty());
    assert_eq!(s.create("/a/b"), vec![], "the recursive watch went too");
}

#[test]
fn a_closed_connection_loses_every_watch() {
    let mut s = Server::new();
    s.create("/a");
    s.watches.add_watch("/", W1, WatchMode::PersistentRecursive);
    s.watches.watch_data("/a", W1);
    s.watches.watch_children("/a", W2);
    s.watches.remove_watcher(W1);
    assert_eq!(s.watches.paths_of(W1), (vec![], vec![]));
    assert_eq!(s.watches.paths_of(W2), (vec![], vec!["/a".to_string()]));
    assert_eq!(s.set("/a"), vec![]);
}

#[test]
fn events_are_filtered_by_read_permission_but_still_consume_the_watch() {
    let mut s = Server::new();
    let secret = vec![Acl {
        perms: perms::ALL,
        id: Id::new("digest", "alice:hash"),
    }];
    s.write(Request::Create(CreateRequest::new(
        "/s",
        b"",
        secret,
        CreateMode::Persistent,
    )));
    s.watches.watch_data("/s", W1);
    let entry = Request::SetData {
        path: "/s".into(),
        data: vec![],
        version: -1,
    };
    let zxid = Zxid::new(1, s.next);
    s.next += 1;
    let ctx =
        RequestContext::new(7, zxid, 1).with_caller(Caller::with_auth(vec![Id::new("super", "")]));
    let txn = s.tree.prepare_txn(&entry, &ctx);
    let out = s.tree.apply(&TxnEntry {
        header: ctx.header(),
        txn,
    });
    let fired = s.watches.fire_all(&out.triggers);
    assert_eq!(fired.len(), 1);
    assert!(!fired[0].visible_to(&Caller::anonymous()));
    assert!(fired[0].visible_to(&Caller::with_auth(vec![Id::new("digest", "alice:hash")])));
    assert!(s.watches.is_empty());
}

#[test]
fn set_watches_fires_what_changed_since_the_clients_zxid() {
    let mut s = Server::new();
    s.create("/same");
    s.create("/changed");
    s.create("/kids");
    let (seen, _) = s.write(Request::SetData {
        path: "/same".into(),
        data: vec![],
        version: -1,
    });
    s.set("/changed");
    s.create("/kids/new");
    s.create("/appeared");
    let req = SetWatches {
        relative_zxid: seen,
        data: vec!["/same".into(), "/changed".into(), "/gone".into()],
        exist: vec!["/appeared".into(), "/absent".into()],
        child: vec!["/kids".into(), "/same".into(), "/gone".into()],
        persistent: vec!["/p".into()],
        persistent_recursive: vec!["/r".into()],
    };
    let fired: Vec<_> = s
        .watches
        .set_watches(&s.tree, W1, &req)
        .into_iter()
        .map(|n| {
            assert_eq!((n.event.zxid, n.acl), (None, None));
            (n.event.event, n.event.path)
        })
        .collect();
    let expected = [
        (NodeDataChanged, "/changed"),
        (NodeDeleted, "/gone"),
        (NodeCreated, "/appeared"),
        (NodeChildrenChanged, "/kids"),
        (NodeDeleted, "/gone"),
    ];
    assert_eq!(fired, expected.map(|(e, p)| (e, p.to_string())));
    let (data, child) = s.watches.paths_of(W1);
    assert_eq!(data, vec!["/absent", "/p", "/r", "/same"]);
    assert_eq!(child, vec!["/p", "/same"]);
    assert_eq!(s.create("/r"), vec![ev(W1, NodeCreated, "/r")]);
}

#[test]
fn wire_codes() {
    assert_eq!(
        [
            NodeCreated,
            NodeDeleted,
            NodeDataChanged,
            NodeChildrenChanged
        ]
        .map(EventType::code),
        [1, 2, 3, 4]
    );
    assert_eq!(
        WatchMode::from_add_watch_mode(1),
        Some(WatchMode::PersistentRecursive)
    );
    assert_eq!(WatchMode::from_add_watch_mode(2), None);
    assert_eq!(WatcherType::from_code(3), Some(WatcherType::Any));
    assert_eq!(WatcherType::from_code(0), None);
}
