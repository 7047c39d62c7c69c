//! Snapshots of the DataTree: a `clone()` (O(1): the `imbl` maps are shared) serialized
//! (`crate::encoding`) off the hot path, while writes go on against the live tree.
//!
//! Format `ZABSNAP3`, streamed: the magic, the last zxid and the node count (big-endian
//! `u64`s), one record per node (a `u32` length, then the path and the node), and last a
//! CRC-32 of everything before it. Written and read as a stream, a snapshot never exists in
//! memory whole — not while a periodic snapshot is written, nor on a leader sending a SNAP
//! or a learner receiving one — and a record's length bounds what one read may take. The
//! checksum comes last because it can only be known once the bytes are out.
//! `ZABSNAP2` (a CRC-32 of the body first, then the body in one piece) is still read.
//!
//! The indices (ephemerals, containers, TTL nodes) and each node's child count are derived
//! from the nodes, so they are rebuilt on restore rather than trusted: a snapshot that
//! decodes can still be inconsistent (a node without its parent, a path ZooKeeper would
//! refuse), and restore refuses it with an error instead of handing a broken tree on.

use super::node::DataNode;
use super::packing::Packer;
use super::{path, DataTree, PathKey, TreeOptions};
use crate::checksum::{self, CrcReader, CrcWriter};
use crate::encoding::{self, EncodingError};
use crate::zxid::Zxid;
use imbl::{OrdMap, OrdSet};
use std::collections::HashMap;
use std::io::{self, Read, Write};

const MAGIC: &[u8; 8] = b"ZABSNAP3";
/// The previous format: a CRC-32 of the body, then the body, postcard-encoded in one piece.
const MAGIC_V2: &[u8; 8] = b"ZABSNAP2";

/// Why bytes are not a snapshot.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Shorter than the magic, or not starting with `ZABSNAP3` or `ZABSNAP2`.
    #[error("not a DataTree snapshot (bad magic)")]
    BadMagic,
    /// The CRC-32 is not the one the snapshot records: the bytes were damaged.
    #[error("snapshot checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    Checksum {
        /// The CRC-32 the snapshot records.
        stored: u32,
        /// The CRC-32 of the bytes as read.
        computed: u32,
    },
    /// A record (or a `ZABSNAP2` body) is not what it should encode.
    #[error("snapshot does not decode: {0}")]
    Decode(#[from] EncodingError),
    /// The bytes could not be read to the end: cut short, or the source failed.
    #[error("snapshot could not be read: {0}")]
    Io(#[from] io::Error),
    /// The body decoded but is not a tree: no root, an invalid path, a path twice, a node
    /// without its parent or a wrong child count. The text says which.
    #[error("snapshot is inconsistent: {0}")]
    Inconsistent(String),
}

/// A snapshot's contents.
struct Body {
    last_zxid: Zxid,
    nodes: OrdMap<PathKey, DataNode>,
}

/// A snapshot's nodes as they are read, in path order: packed (`packing`), a path twice
/// refused.
#[derive(Default)]
struct Nodes(Packer<PathKey, DataNode>);

impl Nodes {
    fn push(&mut self, path: PathKey, node: DataNode) -> Result<(), SnapshotError> {
        self.0.push(path, node).map_err(twice)
    }

    fn finish(self) -> Result<OrdMap<PathKey, DataNode>, SnapshotError> {
        self.0.finish().map_err(twice)
    }
}

fn twice(path: PathKey) -> SnapshotError {
    SnapshotError::Inconsistent(format!("{path} appears twice"))
}

impl DataTree {
    /// The tree serialized. Call it on a `clone()` taken at the snapshot's zxid to keep the
    /// live tree writable meanwhile.
    pub fn serialize_snapshot(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 * self.nodes.len());
        if let Err(e) = self.write_snapshot(&mut out) {
            unreachable!("serializing into memory failed: {e}");
        }
        out
    }

    /// The tree serialized into `out`, record by record (give it a buffered writer).
    pub fn write_snapshot(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut out = CrcWriter::new(out);
        out.write_all(MAGIC)?;
        out.write_all(&self.last_zxid.0.to_be_bytes())?;
        out.write_all(&(self.nodes.len() as u64).to_be_bytes())?;
        let mut record = Vec::new();
        for (path, node) in self.nodes.iter() {
            record.clear();
            encoding::encode_into(&(&**path, node), &mut record).map_err(io::Error::other)?;
            let len = u32::try_from(record.len())
                .map_err(|_| io::Error::other(format!("znode {path} is over 4 GiB")))?;
            out.write_all(&len.to_be_bytes())?;
            out.write_all(&record)?;
        }
        let crc = out.crc();
        out.into_inner().write_all(&crc.to_be_bytes())
    }

    /// The tree a snapshot holds, with `options` (configuration is not part of a snapshot).
    /// All of `bytes`: anything after the snapshot is refused.
    pub fn restore_snapshot(bytes: &[u8], options: TreeOptions) -> Result<DataTree, SnapshotError> {
        let mut input = bytes;
        let tree = DataTree::read_snapshot(&mut input, options)?;
        match input.len() {
            0 => Ok(tree),
            n => Err(SnapshotError::Decode(EncodingError::Trailing(n))),
        }
    }

    /// The tree a snapshot read from `input` holds, reading no further than its end.
    pub fn read_snapshot(
        input: &mut dyn Read,
        options: TreeOptions,
    ) -> Result<DataTree, SnapshotError> {
        let mut magic = [0u8; 8];
        if let Err(e) = input.read_exact(&mut magic) {
            return Err(match e.kind() {
                io::ErrorKind::UnexpectedEof => SnapshotError::BadMagic,
                _ => SnapshotError::Io(e),
            });
        }
        match &magic {
            MAGIC => rebuild(read_body(input)?, options),
            MAGIC_V2 => {
                let mut rest = Vec::new();
                input.read_to_end(&mut rest)?;
                rebuild(body_v2(&rest)?, options)
            }
            _ => Err(SnapshotError::BadMagic),
        }
    }
}

/// A `ZABSNAP3` snapshot after its magic: the header, the records, the checksum.
fn read_body(input: &mut dyn Read) -> Result<Body, SnapshotError> {
    let mut input = CrcReader::new(input).hashed(MAGIC);
    let last_zxid = Zxid(checksum::read_u64(&mut input)?);
    let count = checksum::read_u64(&mut input)?;
    let mut nodes = Nodes::default();
    let mut record = Vec::new();
    for _ in 0..count {
        let len = checksum::read_u32(&mut input)?;
        checksum::read_exactly(&mut input, u64::from(len), &mut record)?;
        let (path, node): (PathKey, DataNode) = encoding::decode(&record)?;
        nodes.push(path, node)?;
    }
    let nodes = nodes.finish()?;
    let computed = input.crc();
    let stored = checksum::read_u32(input.inner())?;
    if stored != computed {
        return Err(SnapshotError::Checksum { stored, computed });
    }
    Ok(Body { last_zxid, nodes })
}

/// A `ZABSNAP2` snapshot after its magic: the CRC-32, then the body in one piece.
fn body_v2(rest: &[u8]) -> Result<Body, SnapshotError> {
    let Some((stored, body)) = rest.split_first_chunk::<4>() else {
        return Err(SnapshotError::BadMagic);
    };
    let stored = u32::from_be_bytes(*stored);
    let computed = crc32fast::hash(body);
    if stored != computed {
        return Err(SnapshotError::Checksum { stored, computed });
    }
    // The map was encoded as a sequence of its entries (the same bytes as a `Vec` of
    // pairs, which serde preallocates cautiously, whatever length a forged file claims).
    // Each node's ACL is interned as it is read (`AclList`'s deserializer): most share the
    // open ACL's one allocation again, as in the live tree.
    let (last_zxid, entries): (Zxid, Vec<(PathKey, DataNode)>) = encoding::decode(body)?;
    let mut nodes = Nodes::default();
    for (path, node) in entries {
        nodes.push(path, node)?;
    }
    Ok(Body {
        last_zxid,
        nodes: nodes.finish()?,
    })
}

/// The tree from its nodes: every path valid and under an existing parent, child counts as
/// the nodes say, the indices rebuilt. The map itself is kept as decoded.
fn rebuild(body: Body, options: TreeOptions) -> Result<DataTree, SnapshotError> {
    let nodes = body.nodes;
    if !nodes.contains_key(path::ROOT) {
        return Err(SnapshotError::Inconsistent("no root node".into()));
    }
    let children = count_children(&nodes)?;
    // Every node with children is in `children` with its count (checked there); every
    // other node must record none, so the nodes that record some are exactly those.
    let recording = nodes.values().filter(|n| n.num_children != 0).count();
    if recording != children.len() {
        let (key, node) = nodes
            .iter()
            .find(|(key, n)| n.num_children != 0 && !children.contains_key(&***key))
            .expect("a node records children it does not have");
        return Err(SnapshotError::Inconsistent(format!(
            "{key} records {} children but has 0",
            node.num_children
        )));
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
        tree.index_node(key.clone(), node.kind());
        tree.data_size += super::node_size(key, node);
    }
    tree.nodes = nodes;
    Ok(tree)
}

/// Each parent's number of children, every path checked to be valid and under an existing
/// parent, and each count checked against what the parent records. In path order siblings
/// mostly come together, so a parent is looked up (and its count hashed) once per run of
/// its children rather than once per child: at a million znodes this was most of the
/// validation's time.
fn count_children(nodes: &OrdMap<PathKey, DataNode>) -> Result<HashMap<&str, i32>, SnapshotError> {
    let mut children: HashMap<&str, i32> = HashMap::new();
    let mut run: Option<(&str, i32)> = None;
    for (key, _) in nodes.iter().filter(|(key, _)| &***key != path::ROOT) {
        if path::validate(key).is_err() {
            return Err(SnapshotError::Inconsistent(format!("invalid path {key:?}")));
        }
        let parent = path::parent(key);
        match (&mut run, parent) {
            (Some((p, n)), Some(q)) if *p == q => *n += 1,
            (_, Some(q)) if nodes.contains_key(q) => {
                if let Some((p, n)) = run.replace((q, 1)) {
                    *children.entry(p).or_insert(0) += n;
                }
            }
            _ => return Err(SnapshotError::Inconsistent(format!("{key} has no parent"))),
        }
    }
    if let Some((p, n)) = run {
        *children.entry(p).or_insert(0) += n;
    }
    for (&parent, &actual) in &children {
        let recorded = nodes.get(parent).map_or(0, |n| n.num_children);
        if recorded != actual {
            return Err(SnapshotError::Inconsistent(format!(
                "{parent} records {recorded} children but has {actual}"
            )));
        }
    }
    Ok(children)
}
