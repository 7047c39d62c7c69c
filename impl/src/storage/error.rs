//! What can go wrong with durable state. Bad disk contents are always an error value (never a
//! panic), and every error names the file and offset it is about so an operator can act on it.

use crate::zxid::Zxid;
use std::io;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The operating system refused a file operation; `context` says which and on what path.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    /// The bytes on disk are not what this implementation wrote.
    #[error("{file} is corrupt at offset {offset}: {reason}")]
    Corrupt {
        file: String,
        offset: u64,
        reason: String,
    },
    /// A file in a format version this build does not read (written by a newer build, or not
    /// ours at all). Refused rather than guessed at.
    #[error("{file} has format version {found}; this build reads version {supported}")]
    UnknownVersion {
        file: String,
        found: u32,
        supported: u32,
    },
    /// TRUNC to a zxid that is neither in the log, nor a snapshot's, nor zero.
    #[error("cannot truncate to {zxid}: it is not in the transaction log")]
    NotInLog { zxid: Zxid },
    /// Records are missing: what follows `after` is `next`, which cannot come right after it.
    #[error("transactions are missing between {after} and {next}")]
    Gap { after: Zxid, next: Zxid },
    /// Appends must extend the log in increasing zxid order.
    #[error("cannot append {zxid} after {last}: zxids must increase")]
    OutOfOrder { last: Zxid, zxid: Zxid },
    /// A record over the framing's cap would be unreadable, so it is never written.
    #[error("the record for {zxid} is {len} bytes, over the {max}-byte limit")]
    RecordTooLarge { zxid: Zxid, len: u64, max: u64 },
    #[error("no snapshot at {zxid}")]
    NoSnapshot { zxid: Zxid },
    /// The files are each valid but contradict one another (say, an epoch file behind the
    /// log), so no state can be trusted from them.
    #[error("inconsistent durable state: {0}")]
    Inconsistent(String),
    /// Another `FileStorage` (another server process, most likely) has the directory open.
    #[error("{dir} is in use by another server (its zab.lock is held)")]
    Locked { dir: String },
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// An earlier write or fsync of the log failed; what reached the disk is unknown, so the
    /// log refuses further writes until it is reopened (and recovered).
    #[error("the transaction log failed earlier and must be reopened")]
    Failed,
}

impl StorageError {
    pub(crate) fn corrupt(file: &str, offset: u64, reason: impl Into<String>) -> StorageError {
        StorageError::Corrupt {
            file: file.to_string(),
            offset,
            reason: reason.into(),
        }
    }
}

/// Attaches what was being done to an I/O error.
pub(crate) trait IoContext<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T, StorageError>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T, StorageError> {
        self.map_err(|source| StorageError::Io {
            context: context(),
            source,
        })
    }
}
