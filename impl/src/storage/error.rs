//! What can go wrong with durable state. Bad disk contents are always an error value (never a
//! panic), and every error names the file and offset it is about so an operator can act on it.

use crate::zxid::Zxid;
use std::io;

/// Why a `Storage` operation failed. Bad disk contents found by recovery stop it (save a
/// corrupt snapshot, which is skipped for an older one): the server refuses to start rather
/// than serve from a state it cannot trust.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The operating system refused a file operation; `context` says which and on what path.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, and to which path (for example "fsync of directory ...").
        context: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The bytes on disk are not what this implementation wrote.
    #[error("{file} is corrupt at offset {offset}: {reason}")]
    Corrupt {
        /// The file's name within its directory (`log.<hex zxid>`, `snapshot.<hex zxid>`, ...).
        file: String,
        /// The byte offset in the file where the damage starts.
        offset: u64,
        /// What is wrong with the bytes there.
        reason: String,
    },
    /// A file in a format version this build does not read (written by a newer build, or not
    /// ours at all). Refused rather than guessed at.
    #[error("{file} has format version {found}; this build reads version {supported}")]
    UnknownVersion {
        /// The file's name within its directory.
        file: String,
        /// The version in the file's header.
        found: u32,
        /// The only version this build reads (`framing::FORMAT_VERSION`).
        supported: u32,
    },
    /// TRUNC to a zxid that is neither in the log, nor a snapshot's, nor zero.
    #[error("cannot truncate to {zxid}: it is not in the transaction log")]
    NotInLog {
        /// The requested truncation point.
        zxid: Zxid,
    },
    /// Records are missing: what follows `after` is `next`, which cannot come right after it.
    #[error("transactions are missing between {after} and {next}")]
    Gap {
        /// The last zxid the history reaches without a hole (a record, or the base snapshot's).
        after: Zxid,
        /// The record found after it, which does not follow it (or is not linked to it).
        next: Zxid,
    },
    /// Appends must extend the log in increasing zxid order.
    #[error("cannot append {zxid} after {last}: zxids must increase")]
    OutOfOrder {
        /// The log's last zxid.
        last: Zxid,
        /// The zxid of the record refused, not above `last`.
        zxid: Zxid,
    },
    /// A record over the framing's cap would be unreadable, so it is never written.
    #[error("the record for {zxid} is {len} bytes, over the {max}-byte limit")]
    RecordTooLarge {
        /// The transaction's zxid.
        zxid: Zxid,
        /// The record payload (link and encoded transaction) in bytes; `u64::MAX` when it
        /// does not encode at all.
        len: u64,
        /// The cap in bytes (`framing::MAX_RECORD_LEN`).
        max: u64,
    },
    /// `load_snapshot` was asked for a zxid no stored snapshot has.
    #[error("no snapshot at {zxid}")]
    NoSnapshot {
        /// The zxid asked for.
        zxid: Zxid,
    },
    /// The files are each valid but contradict one another (say, an epoch file behind the
    /// log), so no state can be trusted from them.
    #[error("inconsistent durable state: {0}")]
    Inconsistent(String),
    /// Another `FileStorage` (another server process, most likely) has the directory open.
    #[error("{dir} is in use by another server (its zab.lock is held)")]
    Locked {
        /// The directory whose `zab.lock` is held.
        dir: String,
    },
    /// The caller broke a method's precondition (say, `purge` keeping no snapshot); nothing
    /// was changed on disk.
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
