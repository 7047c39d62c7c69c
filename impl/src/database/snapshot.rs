//! A database snapshot: the session table, then the DataTree's own snapshot.
//!
//! Format: the magic `ZABDB002`, a CRC-32 of the session section, the session count and one
//! (id, timeout, 16-byte password) entry per session in ascending id order, numbers
//! big-endian; then the tree's
//! snapshot, which carries its own magic and checksum. Restore checks both parts and refuses
//! anything else, so a damaged snapshot is an error, never a smaller state.

use super::{OpenSession, ZkDatabase};
use crate::data_tree::{DataTree, SnapshotError, TreeOptions};
use crate::session::{Password, PASSWORD_LEN};
use imbl::OrdMap;

const MAGIC: &[u8; 8] = b"ZABDB002";
const HEADER_LEN: usize = MAGIC.len() + 4 + 4;
const SESSION_LEN: usize = 8 + 4 + PASSWORD_LEN;

/// Why bytes are not a database snapshot.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseSnapshotError {
    /// The bytes are shorter than the header or do not start with `ZABDB002`.
    #[error("not a database snapshot (bad magic)")]
    BadMagic,
    /// The bytes end before the session table the header announces.
    #[error("the session table is cut short: {count} sessions need {need} bytes, {have} remain")]
    Truncated {
        /// The session count in the header.
        count: u32,
        /// The bytes those sessions take (28 each).
        need: usize,
        /// The bytes after the header.
        have: usize,
    },
    /// The session section's CRC-32 does not match the stored one: the bytes are damaged.
    #[error("session table checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    Checksum {
        /// The CRC-32 in the header.
        stored: u32,
        /// The CRC-32 of the session section as read.
        computed: u32,
    },
    /// A session id not above the one before it (the table is written in ascending id
    /// order); the id is the offending one.
    #[error("session ids are not strictly ascending at {0:#x}")]
    Unordered(i64),
    /// The DataTree's snapshot after the session table is bad.
    #[error("the DataTree part: {0}")]
    Tree(#[from] SnapshotError),
}

pub(super) fn serialize(db: &ZkDatabase) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + SESSION_LEN * db.sessions.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(db.sessions.len() as u32).to_be_bytes());
    for (id, s) in db.sessions.iter() {
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&s.timeout_ms.to_be_bytes());
        out.extend_from_slice(&s.password.0);
    }
    let crc = crc32fast::hash(&out[MAGIC.len() + 4..]);
    out[MAGIC.len()..MAGIC.len() + 4].copy_from_slice(&crc.to_be_bytes());
    db.tree.append_snapshot(&mut out);
    out
}

fn be<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&bytes[at..at + N]);
    a
}

pub(super) fn restore(
    bytes: &[u8],
    options: TreeOptions,
) -> Result<ZkDatabase, DatabaseSnapshotError> {
    if bytes.len() < HEADER_LEN || &bytes[..MAGIC.len()] != MAGIC {
        return Err(DatabaseSnapshotError::BadMagic);
    }
    let stored = u32::from_be_bytes(be(bytes, MAGIC.len()));
    let count = u32::from_be_bytes(be(bytes, MAGIC.len() + 4));
    let need = (count as usize).saturating_mul(SESSION_LEN);
    let have = bytes.len() - HEADER_LEN;
    if need > have {
        return Err(DatabaseSnapshotError::Truncated { count, need, have });
    }
    let table_end = HEADER_LEN + need;
    let computed = crc32fast::hash(&bytes[MAGIC.len() + 4..table_end]);
    if stored != computed {
        return Err(DatabaseSnapshotError::Checksum { stored, computed });
    }
    let mut sessions = OrdMap::new();
    let mut last = None;
    for at in (HEADER_LEN..table_end).step_by(SESSION_LEN) {
        let id = i64::from_be_bytes(be(bytes, at));
        if last.is_some_and(|l| l >= id) {
            return Err(DatabaseSnapshotError::Unordered(id));
        }
        last = Some(id);
        let open = OpenSession {
            timeout_ms: i32::from_be_bytes(be(bytes, at + 8)),
            password: Password(be(bytes, at + 12)),
        };
        sessions.insert(id, open);
    }
    let tree = DataTree::restore_snapshot(&bytes[table_end..], options)?;
    Ok(ZkDatabase { tree, sessions })
}

impl ZkDatabase {
    /// The database a snapshot holds, with `options`; the error says what is wrong.
    pub fn restore_snapshot(
        bytes: &[u8],
        options: TreeOptions,
    ) -> Result<ZkDatabase, DatabaseSnapshotError> {
        restore(bytes, options)
    }
}
