//! A database snapshot: the session table, then the DataTree's own snapshot.
//!
//! Format: the magic `ZABDB002`, a CRC-32 of the session section, the session count and one
//! (id, timeout, 16-byte password) entry per session in ascending id order, numbers
//! big-endian; then the tree's snapshot, which carries its own magic and checksum. Both are
//! written and read as a stream (the session table is small, the tree is not). Restore
//! checks both parts and refuses anything else, so a damaged snapshot is an error, never a
//! smaller state.

use super::{OpenSession, ZkDatabase};
use crate::checksum;
use crate::data_tree::{DataTree, SnapshotError, TreeOptions};
use crate::session::{Password, PASSWORD_LEN};
use imbl::OrdMap;
use std::io::{self, Read, Write};

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
    /// The session table could not be read: the source failed.
    #[error("snapshot could not be read: {0}")]
    Io(#[from] io::Error),
}

/// The database serialized into `out`: the session table, then the tree, streamed.
pub(super) fn write(db: &ZkDatabase, out: &mut dyn Write) -> io::Result<()> {
    let mut head = Vec::with_capacity(HEADER_LEN + SESSION_LEN * db.sessions.len());
    head.extend_from_slice(MAGIC);
    head.extend_from_slice(&[0; 4]);
    head.extend_from_slice(&(db.sessions.len() as u32).to_be_bytes());
    for (id, s) in db.sessions.iter() {
        head.extend_from_slice(&id.to_be_bytes());
        head.extend_from_slice(&s.timeout_ms.to_be_bytes());
        head.extend_from_slice(&s.password.0);
    }
    let crc = crc32fast::hash(&head[MAGIC.len() + 4..]);
    head[MAGIC.len()..MAGIC.len() + 4].copy_from_slice(&crc.to_be_bytes());
    out.write_all(&head)?;
    db.tree.write_snapshot(out)
}

fn be<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&bytes[at..at + N]);
    a
}

/// The database a snapshot read from `input` holds, reading no further than its end.
pub(super) fn read(
    input: &mut dyn Read,
    options: TreeOptions,
) -> Result<ZkDatabase, DatabaseSnapshotError> {
    let mut header = [0u8; HEADER_LEN];
    match input.read_exact(&mut header) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            return Err(DatabaseSnapshotError::BadMagic)
        }
        other => other?,
    }
    if &header[..MAGIC.len()] != MAGIC {
        return Err(DatabaseSnapshotError::BadMagic);
    }
    let stored = u32::from_be_bytes(be(&header, MAGIC.len()));
    let count = u32::from_be_bytes(be(&header, MAGIC.len() + 4));
    let need = (count as usize).saturating_mul(SESSION_LEN);
    let mut table = Vec::new();
    match checksum::read_exactly(input, need as u64, &mut table) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            let have = table.len();
            return Err(DatabaseSnapshotError::Truncated { count, need, have });
        }
        other => other?,
    }
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&header[MAGIC.len() + 4..]);
    hasher.update(&table);
    let computed = hasher.finalize();
    if stored != computed {
        return Err(DatabaseSnapshotError::Checksum { stored, computed });
    }
    let sessions = sessions(&table)?;
    let tree = DataTree::read_snapshot(input, options)?;
    Ok(ZkDatabase { tree, sessions })
}

/// The session table's entries, ascending by id.
fn sessions(table: &[u8]) -> Result<OrdMap<i64, OpenSession>, DatabaseSnapshotError> {
    let mut sessions = OrdMap::new();
    let mut last = None;
    for at in (0..table.len()).step_by(SESSION_LEN) {
        let id = i64::from_be_bytes(be(table, at));
        if last.is_some_and(|l| l >= id) {
            return Err(DatabaseSnapshotError::Unordered(id));
        }
        last = Some(id);
        let open = OpenSession {
            timeout_ms: i32::from_be_bytes(be(table, at + 8)),
            password: Password(be(table, at + 12)),
        };
        sessions.insert(id, open);
    }
    Ok(sessions)
}

impl ZkDatabase {
    /// The database a snapshot holds, with `options`; the error says what is wrong. All of
    /// `bytes`: anything after the snapshot is refused.
    pub fn restore_snapshot(
        bytes: &[u8],
        options: TreeOptions,
    ) -> Result<ZkDatabase, DatabaseSnapshotError> {
        let mut input = bytes;
        let db = read(&mut input, options)?;
        match input.len() {
            0 => Ok(db),
            n => Err(DatabaseSnapshotError::Tree(SnapshotError::Decode(
                crate::encoding::EncodingError::Trailing(n),
            ))),
        }
    }
}
