//! Snapshot files (`snapshot.<hex zxid>`) and the epoch files (`acceptedEpoch`,
//! `currentEpoch`), all written by atomic replacement so a crash leaves the old file or the
//! new one, never a mix.

use super::fsx::{self, SNAP_PREFIX};
use crate::checksum::CrcWriter;
use crate::storage::error::StorageError;
use crate::storage::framing::{self, SNAP_HEADER_LEN};
use crate::storage::report::Snapshot;
use crate::storage::EpochKind;
use crate::storage::SnapshotSource;
use crate::zxid::Zxid;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The buffer between a snapshot's serializer and its file.
const WRITE_BUFFER: usize = 1 << 20;

/// Writes snapshot files into one directory, needing nothing else of the open storage, so
/// a server can write on a thread of its own while its core appends to the log.
#[derive(Clone, Debug)]
pub struct SnapshotWriter {
    pub(super) dir: PathBuf,
    /// A slow disk, for tests (`zab.fault.snapshotDelayMs`): each write waits this long first.
    #[cfg(feature = "faults")]
    pub(super) delay: Option<std::time::Duration>,
}

impl SnapshotWriter {
    /// Writes the snapshot at `zxid` (header with length and CRC, then what `data` writes)
    /// atomically, streaming: a placeholder header, the data through a buffer, then the real
    /// header over the placeholder. Two writes of one zxid must not overlap: they share a
    /// temp file.
    pub fn write(&self, zxid: Zxid, data: &dyn SnapshotSource) -> Result<(), StorageError> {
        #[cfg(feature = "faults")]
        if let Some(delay) = self.delay {
            std::thread::sleep(delay);
        }
        fsx::atomic_write_with(&self.dir, &fsx::file_name(SNAP_PREFIX, zxid), |file| {
            file.write_all(&[0; SNAP_HEADER_LEN])?;
            let mut body = CrcWriter::new(BufWriter::with_capacity(WRITE_BUFFER, &mut *file));
            data.write_to(&mut body)?;
            let (len, hasher) = (body.len(), body.hasher().clone());
            body.into_inner().into_inner().map_err(|e| e.into_error())?;
            file.seek(SeekFrom::Start(0))?;
            file.write_all(&framing::snapshot_header_streamed(zxid, len, &hasher))
        })
    }
}

pub fn list(dir: &Path) -> Result<Vec<Zxid>, StorageError> {
    fsx::list(dir, SNAP_PREFIX)
}

/// The snapshot at `zxid`, validated against its header (`Corrupt` if it does not match).
pub fn load(dir: &Path, zxid: Zxid) -> Result<Snapshot, StorageError> {
    let name = fsx::file_name(SNAP_PREFIX, zxid);
    let Some(mut bytes) = fsx::read_if_exists(&dir.join(&name))? else {
        return Err(StorageError::NoSnapshot { zxid });
    };
    framing::check_snapshot(&name, zxid, &bytes)?;
    // In place: a snapshot can be hundreds of megabytes, so no second copy.
    bytes.drain(..SNAP_HEADER_LEN);
    Ok(Snapshot { zxid, data: bytes })
}

pub fn remove(dir: &Path, zxid: Zxid) -> Result<(), StorageError> {
    fsx::remove(dir, &fsx::file_name(SNAP_PREFIX, zxid))
}

/// The epoch in `dir`, `None` if the file does not exist. ZooKeeper writes the number in
/// decimal text; anything else is reported as corruption rather than read as some epoch.
pub fn read_epoch(dir: &Path, kind: EpochKind) -> Result<Option<u32>, StorageError> {
    let name = kind.file_name();
    let Some(bytes) = fsx::read_if_exists(&dir.join(name))? else {
        return Ok(None);
    };
    parse_epoch(&bytes)
        .map(Some)
        .map_err(|reason| StorageError::corrupt(name, 0, reason))
}

/// Digits only, with at most a trailing newline (a hand-edited file); a value past `u32` is
/// not an epoch this implementation could have written.
fn parse_epoch(bytes: &[u8]) -> Result<u32, String> {
    let text = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(32)]).into_owned();
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return Err(format!("not an epoch number: {shown:?}"));
    }
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse::<u32>().ok())
        .ok_or_else(|| format!("epoch out of range: {shown:?}"))
}

pub fn write_epoch(dir: &Path, kind: EpochKind, epoch: u32) -> Result<(), StorageError> {
    fsx::atomic_write(dir, kind.file_name(), &[epoch.to_string().as_bytes()])
}

#[cfg(test)]
mod tests {
    use super::parse_epoch;

    #[test]
    fn storage_epoch_text_is_strict() {
        assert_eq!(parse_epoch(b"7"), Ok(7));
        assert_eq!(parse_epoch(b"4294967295\n"), Ok(u32::MAX));
        for bad in [
            &b""[..],
            b"\n",
            b"-1",
            b" 7",
            b"7 ",
            b"0x7",
            b"4294967296",
            b"\xff",
        ] {
            assert!(parse_epoch(bad).is_err(), "{bad:?} accepted");
        }
    }
}
