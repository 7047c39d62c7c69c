//! DataTree tests, written from ZooKeeper's documented behaviour. `Fixture` plays the leader
//! and a follower at once: it prepares each request (a failure becomes an error transaction,
//! which still takes a zxid, as in ZooKeeper) and applies the transaction at the next zxid,
//! with the time the transaction carries.

mod acl;
mod create;
mod multi;
mod read;
mod snapshot;
mod write;

use super::*;
use crate::acl::Id;
use crate::error::ZkError;
use crate::session::SessionStatus;
use crate::txn::{CreateMode, Txn, TxnEntry, TxnHeader};

pub(super) const SESSION: i64 = 0x0100_0000_0000_0001;
pub(super) const OTHER_SESSION: i64 = 0x0100_0000_0000_0002;

pub(super) struct Fixture {
    pub tree: DataTree,
    /// The counter of the next zxid (epoch 1).
    pub next: u32,
    pub caller: Caller,
    pub log: Vec<TxnEntry>,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::with_options(TreeOptions::default())
    }

    pub fn with_options(options: TreeOptions) -> Fixture {
        Fixture {
            tree: DataTree::new().with_options(options),
            next: 1,
            caller: Caller::anonymous(),
            log: Vec::new(),
        }
    }

    /// The zxid and time the `n`-th transaction gets.
    pub fn zxid(n: u32) -> Zxid {
        Zxid::new(1, n)
    }

    pub fn time(n: u32) -> i64 {
        1_700_000_000_000 + 10 * n as i64
    }

    pub fn context(&self, session: i64) -> RequestContext {
        let n = self.next;
        RequestContext::new(session, Fixture::zxid(n), Fixture::time(n))
            .with_caller(self.caller.clone())
    }

    /// Prepares and applies `req` for `session`; the reply's result, or its error.
    pub fn submit_as(&mut self, session: i64, req: Request) -> Result<TxnResult, ZkError> {
        let ctx = self.context(session);
        self.submit_with(req, ctx)
    }

    pub fn submit_with(&mut self, req: Request, ctx: RequestContext) -> Result<TxnResult, ZkError> {
        let txn = self.tree.prepare_txn(&req, &ctx);
        let entry = TxnEntry {
            header: ctx.header(),
            txn,
        };
        let out = self.tree.apply(&entry);
        self.log.push(entry);
        self.next += 1;
        match out.result {
            TxnResult::Error(e) => Err(e),
            r => Ok(r),
        }
    }

    pub fn submit(&mut self, req: Request) -> Result<TxnResult, ZkError> {
        self.submit_as(SESSION, req)
    }

    /// Creates with an open ACL; the final path.
    pub fn create(&mut self, path: &str, data: &[u8], mode: CreateMode) -> Result<String, ZkError> {
        let req = CreateRequest::new(path, data, Acl::open_unsafe(), mode);
        match self.submit(Request::Create(req))? {
            TxnResult::Created { path, .. } => Ok(path),
            other => panic!("create answered {other:?}"),
        }
    }

    pub fn create_stat(&mut self, path: &str, data: &[u8]) -> Stat {
        let req = CreateRequest::new(path, data, Acl::open_unsafe(), CreateMode::Persistent);
        match self.submit(Request::Create(req)) {
            Ok(TxnResult::Created { stat, .. }) => stat,
            other => panic!("create {path} answered {other:?}"),
        }
    }

    pub fn delete(&mut self, path: &str, version: i32) -> Result<(), ZkError> {
        self.submit(Request::Delete {
            path: path.into(),
            version,
        })
        .map(|_| ())
    }

    pub fn set_data(&mut self, path: &str, data: &[u8], version: i32) -> Result<Stat, ZkError> {
        let req = Request::SetData {
            path: path.into(),
            data: data.to_vec(),
            version,
        };
        match self.submit(req)? {
            TxnResult::DataSet { stat, .. } => Ok(stat),
            other => panic!("setData answered {other:?}"),
        }
    }

    pub fn stat(&self, path: &str) -> Stat {
        self.tree
            .exists(path, &Caller::anonymous())
            .expect("node exists")
    }
}

pub(super) fn digest_caller(user_password: &str) -> Caller {
    Caller::with_auth(vec![Id::new(
        "digest",
        &acl_check::generate_digest(user_password),
    )])
}

pub(super) fn header(n: u32, session: i64) -> TxnHeader {
    TxnHeader {
        session_id: session,
        cxid: n as i32,
        zxid: Fixture::zxid(n),
        time: Fixture::time(n),
    }
}

#[test]
fn a_fresh_tree_has_the_builtin_nodes() {
    let tree = DataTree::new();
    let caller = Caller::anonymous();
    let (children, root) = tree.get_children("/", &caller).unwrap();
    assert_eq!(children, vec!["zookeeper"]);
    assert_eq!(
        (root.num_children, root.cversion, root.czxid),
        (1, -1, Zxid::ZERO)
    );
    let (children, _) = tree.get_children("/zookeeper", &caller).unwrap();
    assert_eq!(children, vec!["config", "quota"]);
    let (acl, config) = tree.get_acl("/zookeeper/config", &caller).unwrap();
    assert_eq!(acl, Acl::read_unsafe());
    assert_eq!(config.aversion, -1);
    assert_eq!(tree.len(), 4);
    assert_eq!(tree.last_zxid(), Zxid::ZERO);
}

#[test]
fn the_empty_path_is_the_root() {
    let tree = DataTree::new();
    assert_eq!(tree.node(""), tree.node("/"));
}

#[test]
fn error_transactions_change_nothing_but_take_a_zxid() {
    let mut f = Fixture::new();
    let before = f.tree.clone();
    assert_eq!(f.delete("/missing", -1), Err(ZkError::NoNode));
    assert_eq!(f.log[0].txn, Txn::Error(ZkError::NoNode));
    assert_eq!(f.tree.last_zxid(), Fixture::zxid(1));
    assert!(f.tree.iter().eq(before.iter()));
}

/// The map's entry stays at 88 bytes (an 8-byte key, an 80-byte node): a leaf of 16 of them
/// then fits jemalloc's 1,536-byte class. At 104 bytes (a fat `Arc<str>` key and a 16-byte
/// kind) leaves took the 1,792 class, about 22 MB more at a million znodes (README, "Memory
/// at a million znodes").
#[test]
fn a_map_entry_is_88_bytes() {
    assert_eq!(std::mem::size_of::<PathKey>(), 8);
    assert_eq!(std::mem::size_of::<DataNode>(), 80);
    assert_eq!(std::mem::size_of::<(PathKey, DataNode)>(), 88);
}

/// A kind other than persistent round-trips through the packed field and the snapshot.
#[test]
fn every_kind_is_kept_packed() {
    for kind in [
        NodeKind::Persistent,
        NodeKind::Ephemeral(-7),
        NodeKind::Container,
        NodeKind::Ttl(500),
    ] {
        let node = DataNode::created(NodeData::default(), node::open_acl(), kind, Zxid(3), 9);
        assert_eq!(node.kind(), kind);
        let bytes = crate::encoding::encode(&node).unwrap();
        let back: DataNode = crate::encoding::decode(&bytes).unwrap();
        assert_eq!(back.kind(), kind);
        assert_eq!(back, node);
        let plain = crate::encoding::encode(&kind).unwrap();
        assert!(
            bytes.windows(plain.len()).any(|w| w == plain),
            "{kind:?} encoded as before"
        );
    }
}

/// A create's data and ACL are shared by the logged transaction and the node it makes (one
/// copy in memory), and the transaction encodes as it did when they were vectors: the
/// variant's index, then each field, the data as a length and its bytes.
#[test]
fn a_created_node_shares_the_logged_data_and_the_log_format_is_unchanged() {
    let data = NodeData::new(&[1, 2, 3]);
    let txn = Txn::Create {
        path: "/shared".into(),
        data: data.clone(),
        acl: Acl::open_unsafe().into(),
        mode: CreateMode::Persistent,
        parent_cversion: 5,
        ttl: -1,
    };
    let before = (
        2u32,
        "/shared",
        vec![1u8, 2, 3],
        Acl::open_unsafe(),
        CreateMode::Persistent,
        5i32,
        -1i64,
    );
    assert_eq!(
        crate::encoding::encode(&txn).unwrap(),
        crate::encoding::encode(&before).unwrap()
    );
    let mut f = Fixture::new();
    let header = TxnHeader {
        session_id: SESSION,
        cxid: 1,
        zxid: Zxid::new(1, 1),
        time: 0,
    };
    f.tree.apply(&TxnEntry { header, txn });
    let node = f.tree.node("/shared").unwrap();
    assert!(node.data.shares(&data), "the node copied the logged data");
    assert!(
        node.acl.shares(&node::open_acl()),
        "the open ACL is interned"
    );
}
