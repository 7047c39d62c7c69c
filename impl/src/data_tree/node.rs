//! A znode: its data, ACL, kind (who owns it and how it goes away) and the persisted part of
//! its stat, plus the `Stat` a client sees.

use crate::acl::Acl;
use crate::zxid::Zxid;
use serde::de::{Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Deref;
use std::sync::OnceLock;
use triomphe::ThinArc;

/// A slice behind a thin shared pointer (the length lives in the allocation, beside the
/// count): cloning never copies the elements, and the tree's map, which holds a znode's data
/// and ACL inline, spends 8 bytes on each instead of 16 (about 11 bytes a znode each, at the
/// map's fill). Compared, hashed and dereferenced as the slice.
#[derive(Clone)]
pub struct Shared<T>(ThinArc<(), T>);

impl<T> Deref for Shared<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0.slice
    }
}

impl<T> Shared<T> {
    /// Whether the two are one allocation (an interned ACL, a node's data and the logged
    /// transaction's), not only equal.
    pub fn shares(&self, other: &Shared<T>) -> bool {
        std::ptr::eq(&*self.0, &*other.0)
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Shared<T>) -> bool {
        **self == **other
    }
}

impl<T: Eq> Eq for Shared<T> {}

impl<T: std::hash::Hash> std::hash::Hash for Shared<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state)
    }
}

/// A znode's data, shared, so cloning a node — which the persistent maps do whenever a
/// snapshot still holds the old version — never copies the bytes.
pub type NodeData = Shared<u8>;

impl NodeData {
    /// A copy of `bytes`, in a new shared allocation.
    pub fn new(bytes: &[u8]) -> NodeData {
        Shared(ThinArc::from_header_and_slice((), bytes))
    }
}

impl Default for NodeData {
    fn default() -> NodeData {
        NodeData::new(&[])
    }
}

impl From<&[u8]> for NodeData {
    fn from(bytes: &[u8]) -> NodeData {
        NodeData::new(bytes)
    }
}

impl From<Vec<u8>> for NodeData {
    fn from(bytes: Vec<u8>) -> NodeData {
        NodeData::new(&bytes)
    }
}

impl fmt::Debug for NodeData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes", self.len())
    }
}

// Serialized as a byte string, not a sequence of u8: the encoder then copies it in one go.
impl Serialize for NodeData {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self)
    }
}

impl<'de> Deserialize<'de> for NodeData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<NodeData, D::Error> {
        struct BytesVisitor;
        impl<'de> Visitor<'de> for BytesVisitor {
            type Value = NodeData;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("znode data bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<NodeData, E> {
                Ok(NodeData::new(v))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<NodeData, E> {
                Ok(NodeData::from(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<NodeData, A::Error> {
                let mut v = Vec::new();
                while let Some(b) = a.next_element::<u8>()? {
                    v.push(b);
                }
                Ok(NodeData::from(v))
            }
        }
        d.deserialize_byte_buf(BytesVisitor)
    }
}

/// A node's ACL, shared between nodes (as ZooKeeper's reference-counted ACL cache shares it).
pub type AclList = Shared<Acl>;

impl AclList {
    /// `acl` in a new shared allocation.
    pub fn new(acl: Vec<Acl>) -> AclList {
        Shared(ThinArc::from_header_and_iter((), acl.into_iter()))
    }
}

impl From<Vec<Acl>> for AclList {
    fn from(acl: Vec<Acl>) -> AclList {
        intern_acl(acl)
    }
}

impl fmt::Debug for AclList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// As a sequence of entries, as the `Arc<[Acl]>` it replaced was.
impl Serialize for AclList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for AclList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AclList, D::Error> {
        Vec::<Acl>::deserialize(d).map(intern_acl)
    }
}

/// `OPEN_ACL_UNSAFE` as one shared allocation: most trees give it to most nodes.
pub fn open_acl() -> AclList {
    static OPEN: OnceLock<AclList> = OnceLock::new();
    OPEN.get_or_init(|| AclList::new(Acl::open_unsafe()))
        .clone()
}

/// Shares the common ACL instead of allocating a copy per node.
pub fn intern_acl(acl: Vec<Acl>) -> AclList {
    let open = open_acl();
    if *acl == *open {
        open
    } else {
        AclList::new(acl)
    }
}

/// What kind of znode this is. ZooKeeper packs this into `ephemeralOwner` (a session id, the
/// container marker `i64::MIN`, or `0xff…` plus a TTL); here it is typed, so that a session id
/// can never be mistaken for a marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NodeKind {
    /// Stays until deleted (`PERSISTENT`, `PERSISTENT_SEQUENTIAL`); `ephemeralOwner` 0.
    Persistent,
    /// Deleted when the owning session ends.
    Ephemeral(i64),
    /// Deleted by the server once it has had children and has none left.
    Container,
    /// Deleted by the server once unmodified for this many milliseconds with no children.
    Ttl(i64),
}

/// A node's kind as the tree's map holds it: nothing for a persistent node (most of them),
/// else a thin shared pointer to the kind. A map entry then spends 8 bytes on it instead of
/// `NodeKind`'s 16, and at 88 bytes an entry (with an 8-byte key) a leaf of 16 entries fits
/// the allocator's 1,536-byte class instead of the 1,792 one. Serialized as the `NodeKind`
/// it holds, so the snapshot format does not change.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
struct PackedKind(Option<triomphe::Arc<NodeKind>>);

impl PackedKind {
    fn new(kind: NodeKind) -> PackedKind {
        match kind {
            NodeKind::Persistent => PackedKind(None),
            other => PackedKind(Some(triomphe::Arc::new(other))),
        }
    }

    fn get(&self) -> NodeKind {
        self.0.as_deref().copied().unwrap_or(NodeKind::Persistent)
    }
}

impl fmt::Debug for PackedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.get(), f)
    }
}

impl Serialize for PackedKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.get().serialize(s)
    }
}

impl<'de> Deserialize<'de> for PackedKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PackedKind, D::Error> {
        NodeKind::deserialize(d).map(PackedKind::new)
    }
}

/// `EphemeralType.CONTAINER_EPHEMERAL_OWNER`.
pub const CONTAINER_EPHEMERAL_OWNER: i64 = i64::MIN;
/// The largest TTL ZooKeeper can encode: the low 40 bits of `ephemeralOwner`.
pub const MAX_TTL_MS: i64 = (1 << 40) - 1;

impl NodeKind {
    /// The `ephemeralOwner` ZooKeeper would persist for this node.
    pub fn persisted_owner(self) -> i64 {
        match self {
            NodeKind::Persistent => 0,
            NodeKind::Ephemeral(session) => session,
            NodeKind::Container => CONTAINER_EPHEMERAL_OWNER,
            NodeKind::Ttl(ttl) => (0xffu64 << 56) as i64 | (ttl & MAX_TTL_MS),
        }
    }

    /// The `ephemeralOwner` a client sees: only real ephemerals show their session; containers
    /// and TTL nodes show 0 (`DataNode.getClientEphemeralOwner`).
    pub fn client_owner(self) -> i64 {
        match self {
            NodeKind::Ephemeral(session) => session,
            _ => 0,
        }
    }
}

/// The `Stat` structure a client receives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Stat {
    /// `czxid`: the zxid of the transaction that created the node.
    pub czxid: Zxid,
    /// `mzxid`: the zxid of the last transaction that set its data (the create, at first).
    pub mzxid: Zxid,
    /// `ctime`: when the node was created, in ms since the epoch (the leader's clock).
    pub ctime: i64,
    /// `mtime`: when its data was last set, in ms since the epoch.
    pub mtime: i64,
    /// `version`: the data version, 0 at the create and advanced by each `setData`.
    pub version: i32,
    /// `cversion`: the number of changes to the node's children (creates and deletes).
    pub cversion: i32,
    /// `aversion`: the ACL version, 0 at the create and advanced by each `setACL`.
    pub aversion: i32,
    /// `ephemeralOwner`: the owning session of an ephemeral node, 0 for every other kind.
    pub ephemeral_owner: i64,
    /// `dataLength`: the data's length in bytes.
    pub data_length: i32,
    /// `numChildren`: how many children the node has now.
    pub num_children: i32,
    /// `pzxid`: the zxid of the last transaction that created or deleted a child (the
    /// node's own create, at first).
    pub pzxid: Zxid,
}

/// One znode. The fields mirror ZooKeeper's `StatPersisted`, except that `cversion` counts the
/// children ever created (what ZooKeeper persists) and `num_children` is kept rather than a
/// set of child names: children are found by a range scan over the sorted path map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataNode {
    /// The node's bytes, shared with every snapshot that still holds this version.
    pub data: NodeData,
    /// The node's ACL, shared with every node that has the same one.
    pub acl: AclList,
    /// Persistent, ephemeral (with its session), container or TTL (`kind()`).
    kind: PackedKind,
    /// `czxid`: the zxid of the transaction that created the node.
    pub czxid: Zxid,
    /// `mzxid`: the zxid of the last transaction that set its data.
    pub mzxid: Zxid,
    /// `pzxid`: the zxid of the last transaction that created or deleted a child.
    pub pzxid: Zxid,
    /// `ctime`: creation time, in ms since the epoch, from the transaction header.
    pub ctime: i64,
    /// `mtime`: time of the last data change, in ms since the epoch.
    pub mtime: i64,
    /// `version`: the data version, advanced by each `setData` (wrapping, skipping -1, which
    /// only `/zookeeper/config` holds, from `init_config`).
    pub version: i32,
    /// Children created under this node, ever; the next sequential suffix.
    pub cversion: i32,
    /// `aversion`: the ACL version, advanced by each `setACL`.
    pub aversion: i32,
    /// `numChildren`: how many children the node has now. Kept here because children are
    /// found by a range scan, not stored as a set.
    pub num_children: i32,
}

impl DataNode {
    /// A node created by the transaction at `zxid`, `time` (`DataTree.createStat`).
    pub fn created(data: NodeData, acl: AclList, kind: NodeKind, zxid: Zxid, time: i64) -> Self {
        DataNode {
            data,
            acl,
            kind: PackedKind::new(kind),
            czxid: zxid,
            mzxid: zxid,
            pzxid: zxid,
            ctime: time,
            mtime: time,
            version: 0,
            cversion: 0,
            aversion: 0,
            num_children: 0,
        }
    }

    /// The node as ZooKeeper's built-in nodes start: every stat field zero.
    pub fn builtin(acl: AclList) -> Self {
        DataNode::created(
            NodeData::default(),
            acl,
            NodeKind::Persistent,
            Zxid::ZERO,
            0,
        )
    }

    /// Persistent, ephemeral (with its session), container or TTL.
    pub fn kind(&self) -> NodeKind {
        self.kind.get()
    }

    /// `DataNode.copyStat`. ZooKeeper persists the number of child creations but reports the
    /// number of child changes: every child still present was created once, every other one
    /// was created and deleted, so changes = 2 × creations − children present.
    pub fn stat(&self) -> Stat {
        Stat {
            czxid: self.czxid,
            mzxid: self.mzxid,
            ctime: self.ctime,
            mtime: self.mtime,
            version: self.version,
            cversion: self
                .cversion
                .wrapping_mul(2)
                .wrapping_sub(self.num_children),
            aversion: self.aversion,
            ephemeral_owner: self.kind().client_owner(),
            data_length: i32::try_from(self.data.len()).unwrap_or(i32::MAX),
            num_children: self.num_children,
            pzxid: self.pzxid,
        }
    }
}
