//! The DataTree: znodes on persistent `im` maps, so that a snapshot is an O(1) `clone()`.
//!
//! Writes go in two stages, as in ZooKeeper's PrepRequestProcessor and FinalRequestProcessor:
//! [`DataTree::prepare`] validates a client [`Request`] against a tree (on the leader, a
//! speculative clone with the outstanding proposals applied) and turns it into a [`Txn`];
//! [`DataTree::apply`] applies a committed transaction, deterministically, and reports what
//! the client's reply needs and which watches it triggers. Reads are in [`read`].
//!
//! Nodes live in one map sorted by path. A node keeps its number of children, not their
//! names: the children of `/a` are the keys after `/a/` up to the first key outside that
//! prefix, skipping each child's own subtree. Cloning a node is therefore a few reference
//! count increments, which keeps path copying cheap while a snapshot shares the maps.
//!
//! TTL nodes are off by default, as in ZooKeeper (`zookeeper.extendedTypesEnabled`); a server
//! turns them on with [`TreeOptions::ttl_enabled`]. Options are configuration, not state: they
//! are not serialized, and a tree restored from a snapshot gets them from the server again.
//!
//! [`Txn`]: crate::txn::Txn

pub mod acl_check;
mod apply;
mod children;
mod maintenance;
mod multi;
pub mod node;
mod packing;
pub mod path;
mod prepare;
pub mod read;
pub mod request;
mod snapshot;

#[cfg(test)]
mod tests;

pub use acl_check::Caller;
pub use apply::{ApplyOutcome, OpResult, TxnResult};
pub use children::ChildNames;
pub use node::{DataNode, NodeData, NodeKind, Stat};
pub(crate) use packing::repacked;
pub use request::{CreateRequest, Op, Request, RequestContext};
pub use snapshot::SnapshotError;

use crate::acl::Acl;
use crate::zxid::Zxid;
use imbl::{OrdMap, OrdSet};
use node::{intern_acl, open_acl};
use std::ops::Bound;

/// A path as the tree keys it: a thin shared string (8 bytes in each map entry, the length
/// in the allocation), compared, hashed and borrowed as the `str`.
pub type PathKey = arcstr::ArcStr;

/// Server configuration that changes what `prepare` accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TreeOptions {
    /// ZooKeeper's `zookeeper.extendedTypesEnabled`: TTL creates fail with `Unimplemented`
    /// unless this is set.
    pub ttl_enabled: bool,
}

/// The znode tree, its indices (ephemerals by session, containers, TTL nodes) and the zxid of
/// the last transaction applied.
#[derive(Clone, Debug)]
pub struct DataTree {
    nodes: OrdMap<PathKey, DataNode>,
    ephemerals: OrdSet<(i64, PathKey)>,
    containers: OrdSet<PathKey>,
    ttls: OrdSet<PathKey>,
    last_zxid: Zxid,
    options: TreeOptions,
    /// Bytes of every path and every node's data (`approximateDataSize`), kept as nodes
    /// come, go and change, so a metrics scrape does not walk the tree.
    data_size: u64,
}

impl PartialEq for DataTree {
    /// Equal state; the options are configuration and take no part.
    fn eq(&self, other: &DataTree) -> bool {
        self.last_zxid == other.last_zxid
            && self.nodes == other.nodes
            && self.ephemerals == other.ephemerals
            && self.containers == other.containers
            && self.ttls == other.ttls
    }
}

impl Default for DataTree {
    fn default() -> DataTree {
        DataTree::new()
    }
}

impl DataTree {
    /// The tree a fresh ZooKeeper 3.8 server starts with: `/`, `/zookeeper`,
    /// `/zookeeper/quota` and `/zookeeper/config`, every stat field zero, open ACLs except
    /// `/zookeeper/config`, which is read-only for everyone (ZOOKEEPER-2014) and, because
    /// ZooKeeper installs that ACL with version -1, has aversion -1.
    pub fn new() -> DataTree {
        let mut tree = DataTree {
            nodes: OrdMap::new(),
            data_size: 0,
            ephemerals: OrdSet::new(),
            containers: OrdSet::new(),
            ttls: OrdSet::new(),
            last_zxid: Zxid::ZERO,
            options: TreeOptions::default(),
        };
        let mut root = DataNode::builtin(open_acl());
        root.num_children = 1;
        let mut proc = DataNode::builtin(open_acl());
        proc.num_children = 2;
        let mut config = DataNode::builtin(intern_acl(Acl::read_unsafe()));
        config.aversion = -1;
        tree.insert_node(path::ROOT, root);
        tree.insert_node(path::PROC, proc);
        tree.insert_node(path::QUOTA, DataNode::builtin(open_acl()));
        tree.insert_node(path::CONFIG, config);
        tree
    }

    /// The same tree under the server configuration `options` (builder style, for a new or
    /// restored tree).
    pub fn with_options(mut self, options: TreeOptions) -> DataTree {
        self.options = options;
        self
    }

    /// The server configuration this tree prepares requests under; a snapshot restore passes
    /// it on, since options are not serialized.
    pub fn options(&self) -> TreeOptions {
        self.options
    }

    /// Replaces the server configuration in place. It changes what `prepare` accepts from now
    /// on, not the nodes already in the tree.
    pub fn set_options(&mut self, options: TreeOptions) {
        self.options = options;
    }

    /// The node at `path` (the empty path is the root, as in ZooKeeper's server).
    pub fn node(&self, path: &str) -> Option<&DataNode> {
        self.nodes.get(path::canonical(path))
    }

    /// Number of znodes, the root included.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Never true: the root always exists.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The zxid of the last transaction applied (`lastProcessedZxid`).
    pub fn last_zxid(&self) -> Zxid {
        self.last_zxid
    }

    /// Every path with its node, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &DataNode)> {
        self.nodes.iter().map(|(p, n)| (&**p, n))
    }

    /// What `ZKDatabase.initConfigInZKDatabase` does when a quorum peer starts or a reconfig
    /// commits: the dynamic configuration becomes the data of `/zookeeper/config`, with data
    /// version -1 and the configuration's version as mzxid. Local, outside the log.
    pub fn init_config(&mut self, config: &[u8], config_version: Zxid, time: i64) {
        if let Some(node) = self.nodes.get_mut(path::CONFIG) {
            self.data_size = self.data_size - node.data.len() as u64 + config.len() as u64;
            node.data = NodeData::new(config);
            node.version = -1;
            node.mzxid = config_version;
            node.mtime = time;
        }
    }

    /// The paths of the ephemeral nodes `session` owns, sorted.
    pub fn ephemerals_of(&self, session: i64) -> Vec<String> {
        let from = (session, PathKey::new());
        self.ephemerals
            .range(from..)
            .take_while(|(owner, _)| *owner == session)
            .map(|(_, p)| p.to_string())
            .collect()
    }

    /// The bytes of every path and every node's data: ZooKeeper's `approximateDataSize`
    /// (`mntr`'s `zk_approximate_data_size`), in constant time.
    pub fn approximate_data_size(&self) -> u64 {
        self.data_size
    }

    /// How many ephemeral nodes there are (`mntr`'s `zk_ephemerals_count`), from the index:
    /// constant time, whatever the size of the tree.
    pub fn ephemeral_count(&self) -> usize {
        self.ephemerals.len()
    }

    /// Every session that owns an ephemeral node.
    pub fn sessions_with_ephemerals(&self) -> Vec<i64> {
        let mut sessions: Vec<i64> = self.ephemerals.iter().map(|(s, _)| *s).collect();
        sessions.dedup();
        sessions
    }

    /// The paths of all container nodes.
    pub fn containers(&self) -> Vec<String> {
        self.containers.iter().map(|p| p.to_string()).collect()
    }

    /// The paths of all TTL nodes.
    pub fn ttl_nodes(&self) -> Vec<String> {
        self.ttls.iter().map(|p| p.to_string()).collect()
    }

    /// Number of nodes strictly under `prefix` (a path ending in `/`).
    pub(crate) fn count_under(&self, prefix: &str) -> usize {
        self.nodes
            .range::<_, str>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(key, _)| key.starts_with(prefix))
            .count()
    }

    /// Adds a node and indexes it by kind. The parent is the caller's business.
    fn insert_node(&mut self, path: &str, node: DataNode) {
        let key = PathKey::from(path);
        self.index_node(key.clone(), node.kind());
        self.data_size += node_size(&key, &node);
        if let Some(old) = self.nodes.insert(key.clone(), node) {
            self.data_size -= node_size(&key, &old);
        }
    }

    /// Records a node in the index of its kind.
    fn index_node(&mut self, key: PathKey, kind: NodeKind) {
        match kind {
            NodeKind::Ephemeral(session) => {
                self.ephemerals.insert((session, key));
            }
            NodeKind::Container => {
                self.containers.insert(key);
            }
            NodeKind::Ttl(_) => {
                self.ttls.insert(key);
            }
            NodeKind::Persistent => {}
        }
    }

    /// Removes a node and its index entry. The parent is the caller's business.
    fn remove_node(&mut self, path: &str) -> Option<DataNode> {
        let (key, node) = self.nodes.remove_with_key(path)?;
        self.data_size -= node_size(&key, &node);
        match node.kind() {
            NodeKind::Ephemeral(session) => {
                self.ephemerals.remove(&(session, key));
            }
            NodeKind::Container => {
                self.containers.remove(&key);
            }
            NodeKind::Ttl(_) => {
                self.ttls.remove(&key);
            }
            NodeKind::Persistent => {}
        }
        Some(node)
    }
}

/// What one node adds to `approximate_data_size`: its path and its data.
fn node_size(path: &str, node: &DataNode) -> u64 {
    (path.len() + node.data.len()) as u64
}
