//! Snapshots of the DataTree: a `clone()` (O(1): the `imbl` maps are shared) serialized
//! (`crate::encoding`) off the hot path, while writes go on against the live tree.
//!
//! Format: the magic `ZABSNAP2` (`ZABSNAP1` was bincode's encoding, no longer read), a CRC-32
//! of the body, then the body — the last zxid and the node map. The indices (ephemerals,
//! containers, TTL nodes) and each node's child count are derived from the nodes, so they are
//! rebuilt on restore rather than trusted: a snapshot that decodes can still be inconsistent (a
//! node without its parent, a path ZooKeeper would refuse), and restore refuses it with an
//! error instead of handing a broken tree on.

use super::node::DataNode;
use super::{path, DataTree, TreeOptions};
use crate::encoding::{self, EncodingError};
use crate::zxid::Zxid;
use imbl::{OrdMap, OrdSet};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

const MAGIC: &[u8; 8] = b"ZABSNAP2";
const HEADER_LEN: usize = MAGIC.len() + 4;

/// Why bytes are not a snapshot.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Shorter than the header, or not starting with `ZABSNAP2` (a `ZABSNAP1` snapshot too).
    #[error("not a DataTree snapshot (bad magic)")]
    BadMagic,
    /// The body's CRC-32 is not the one in the header: the bytes were damaged.
    #[error("snapshot checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    Checksum {
        /// The CRC-32 the header records.
        stored: u32,
        /// The CRC-32 of the body as read.
        computed: u32,
    },
    /// The checksum matched but the body is not a last zxid and a node map.
    #[error("snapshot does not decode: {0}")]
    Decode(#[from] EncodingError),
    /// The body decoded but is not a tree: no root, an invalid path, a node without its
    /// parent or a wrong child count. The text says which.
    #[error("snapshot is inconsistent: {0}")]
    Inconsistent(String),
}

/// What a snapshot holds, borrowed for writing.
#[derive(Serialize)]
struct BodyRef<'a> {
    last_zxid: Zxid,
    nodes: &'a OrdMap<Arc<str>, DataNode>,
}

#[derive(Deserialize)]
struct Body {
    last_zxid: Zxid,
    #[serde(deserialize_with = "node_map")]
    nodes: OrdMap<Arc<str>, DataNode>,
}

/// The node map, entry by entry. `im`'s own deserializer preallocates whatever length the
/// input claims, so a forged length would abort the process instead of failing.
fn node_map<'de, D: Deserializer<'de>>(d: D) -> Result<OrdMap<Arc<str>, DataNode>, D::Error> {
    struct Entries;
    impl<'de> Visitor<'de> for Entries {
        type Value = OrdMap<Arc<str>, DataNode>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of paths to znodes")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Self::Value, A::Error> {
            let mut nodes = OrdMap::new();
            // Each node's ACL is interned as it is read (`AclList`'s deserializer): most
            // share the open ACL's one allocation again, as in the live tree.
            while let Some((path, node)) = entries.next_entry::<Arc<str>, DataNode>()? {
                nodes.insert(path, node);
            }
            Ok(nodes)
        }
    }
    d.deserialize_map(Entries)
}

impl DataTree {
    /// The tree serialized. Call it on a `clone()` taken at the snapshot's zxid to keep the
    /// live tree writable meanwhile.
    pub fn serialize_snapshot(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + 64 * self.nodes.len());
        self.append_snapshot(&mut out);
        out
    }

    /// The tree serialized at the end of `out` (a snapshot that embeds the tree writes its
    /// own header first, without copying the tree's bytes afterwards).
    pub fn append_snapshot(&self, out: &mut Vec<u8>) {
        let body = BodyRef {
            last_zxid: self.last_zxid,
            nodes: &self.nodes,
        };
        let start = out.len();
        out.reserve(HEADER_LEN + 64 * self.nodes.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[0; 4]);
        // Writing into a Vec cannot fail, and the body holds only values of known length.
        if let Err(e) = encoding::encode_into(&body, out) {
            unreachable!("serializing into memory failed: {e}");
        }
        let crc = crc32fast::hash(&out[start + HEADER_LEN..]);
        out[start + MAGIC.len()..start + HEADER_LEN].copy_from_slice(&crc.to_be_bytes());
    }

    /// The tree a snapshot holds, with `options` (configuration is not part of a snapshot).
    pub fn restore_snapshot(bytes: &[u8], options: TreeOptions) -> Result<DataTree, SnapshotError> {
        if bytes.len() < HEADER_LEN || &bytes[..MAGIC.len()] != MAGIC {
            return Err(SnapshotError::BadMagic);
        }
        let mut stored = [0u8; 4];
        stored.copy_from_slice(&bytes[MAGIC.len()..HEADER_LEN]);
        let stored = u32::from_be_bytes(stored);
        let body = &bytes[HEADER_LEN..];
        let computed = crc32fast::hash(body);
        if stored != computed {
            return Err(SnapshotError::Checksum { stored, computed });
        }
        let body: Body = encoding::decode(body)?;
        rebuild(body, options)
    }
}

/// The tree from its nodes: every path valid and under an existing parent, child counts as
/// the nodes say, the indices rebuilt. The map itself is kept as decoded.
fn rebuild(body: Body, options: TreeOptions) -> Result<DataTree, SnapshotError> {
    let nodes = body.nodes;
    if !nodes.contains_key(path::ROOT) {
        return Err(SnapshotError::Inconsistent("no root node".into()));
    }
    let mut children: HashMap<&str, i32> = HashMap::new();
    for (key, _) in nodes.iter().filter(|(key, _)| &***key != path::ROOT) {
        let parent = check_placement(key, &nodes)?;
        *children.entry(parent).or_insert(0) += 1;
    }
    for (key, node) in nodes.iter() {
        let actual = children.get(&**key).copied().unwrap_or(0);
        if node.num_children != actual {
            return Err(SnapshotError::Inconsistent(format!(
                "{key} records {} children but has {actual}",
                node.num_children
            )));
        }
    }
    drop(children);
    let mut tree = DataTree {
        nodes: OrdMap::new(),
        ephemerals: OrdSet::new(),
        containers: OrdSet::new(),
        ttls: OrdSet::new(),
        last_zxid: body.last_zxid,
        options,
        data_size: 0,
    };
    for (key, node) in nodes.iter() {
        tree.index_node(key.clone(), node.kind);
        tree.data_size += super::node_size(key, node);
    }
    tree.nodes = nodes;
    Ok(tree)
}

/// The parent of a valid, non-root path that has one.
fn check_placement<'a>(
    key: &'a str,
    nodes: &OrdMap<Arc<str>, DataNode>,
) -> Result<&'a str, SnapshotError> {
    if path::validate(key).is_err() {
        return Err(SnapshotError::Inconsistent(format!("invalid path {key:?}")));
    }
    match path::parent(key) {
        Some(parent) if nodes.contains_key(parent) => Ok(parent),
        _ => Err(SnapshotError::Inconsistent(format!("{key} has no parent"))),
    }
}
