//! The trace file: the magic `ZABT` and a 4-byte big-endian format version, then frames of
//! a 4-byte big-endian length and a record. Written one record per `write`, read with a torn
//! last frame ignored.

use super::{Record, TraceError};
use crate::replica::ServerId;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The first bytes of a trace file.
const MAGIC: [u8; 4] = *b"ZABT";
/// The trace format: records encoded with postcard (`crate::encoding`). 4: a start record
/// carries its life and a receipt the message's identity; 3 did not (`older.rs`); 3: a start
/// record carries the state machine's options; 2 did not (read as options off); 2: a new
/// session's write carries its password; 1 did not.
pub const FORMAT_VERSION: u32 = 4;
const HEADER_LEN: usize = 8;

pub(super) fn header() -> [u8; HEADER_LEN] {
    header_of(FORMAT_VERSION)
}

fn header_of(version: u32) -> [u8; HEADER_LEN] {
    let mut h = [0; HEADER_LEN];
    h[..4].copy_from_slice(&MAGIC);
    h[4..].copy_from_slice(&version.to_be_bytes());
    h
}

/// Where a server writes its trace.
pub fn file_for(dir: &Path, id: ServerId) -> PathBuf {
    dir.join(format!("trace.{id}"))
}

/// Appends records to a server's trace file.
pub struct Recorder {
    path: PathBuf,
    file: std::fs::File,
}

impl Recorder {
    /// Opens `path` for appending, creating it and its directory; a new file gets the header
    /// first, an existing one (a restarted server's) is continued.
    pub fn open(path: PathBuf) -> Result<Recorder, TraceError> {
        let io = |source| TraceError::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io)?;
        // A restarted server appends to the trace its earlier life began.
        if file.metadata().map_err(io)?.len() == 0 {
            file.write_all(&header()).map_err(io)?;
        }
        Ok(Recorder { path, file })
    }

    /// Writes one record (one `write` call: a killed server loses at most the record being
    /// written).
    pub fn record(&mut self, r: &Record) {
        let mut frame = vec![0; 4];
        if let Err(e) = crate::encoding::encode_into(r, &mut frame) {
            tracing::warn!(path = %self.path.display(), "trace record not encoded: {e}");
            return;
        }
        let len = (frame.len() - 4) as u32;
        frame[..4].copy_from_slice(&len.to_be_bytes());
        if let Err(e) = self.file.write_all(&frame) {
            tracing::warn!(path = %self.path.display(), "trace record not written: {e}");
        }
    }
}

/// Nanoseconds since the Unix epoch: one clock for every server of a local ensemble.
pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Reads a trace; a torn last frame (a server killed while writing it) is ignored.
pub fn read(path: &Path) -> Result<Vec<Record>, TraceError> {
    let bytes = std::fs::read(path).map_err(|source| TraceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode_file(&bytes).ok_or_else(|| TraceError::Format {
        path: path.to_path_buf(),
    })?
}

/// The records of a trace file's bytes, or `None` when they are not a trace of this format.
fn decode_file(bytes: &[u8]) -> Option<Result<Vec<Record>, TraceError>> {
    if bytes.len() < HEADER_LEN {
        // Empty, or a header cut short: a server killed as it began its trace.
        return header().starts_with(bytes).then(|| Ok(Vec::new()));
    }
    let version = [2, 3, FORMAT_VERSION]
        .into_iter()
        .find(|v| bytes[..HEADER_LEN] == header_of(*v))?;
    let mut out = Vec::new();
    let mut at = HEADER_LEN;
    while at + 4 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        let Some(body) = bytes.get(at + 4..at + 4 + len) else {
            break;
        };
        let decoded = match version {
            2 => crate::encoding::decode::<super::older::RecordV2>(body).map(Record::from),
            3 => crate::encoding::decode::<super::older::RecordV3>(body).map(Record::from),
            _ => crate::encoding::decode(body),
        };
        match decoded {
            Ok(r) => out.push(r),
            Err(_) => return Some(Err(TraceError::Malformed { index: out.len() })),
        }
        at += 4 + len;
    }
    Some(Ok(out))
}
