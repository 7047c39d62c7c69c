//! The byte formats: log file header, record frames, snapshot header.
//!
//! A log file is `[magic "ZABL"][u32 version]` followed by records, each
//! `[u32 length][u32 crc32 of payload][payload]`, big-endian, the payload being the zxid the
//! record follows (u64, its link) and then the encoding of a `TxnEntry` (`crate::encoding`).
//! A snapshot file is a 28-byte header `[magic "ZABS"][u32 version][u64 zxid][u64 length]
//! [u32 crc32]` and then the caller's bytes; its CRC covers the zxid, the length and the bytes.

use super::error::StorageError;
use super::LogRecord;
use crate::encoding;
use crate::txn::TxnEntry;
use crate::zxid::Zxid;
use std::fmt;

/// 3: a create-session transaction, and a snapshot's session table, carry the session's
/// random password. 2 had no password (records and snapshots encoded with postcard, as
/// now); 1 was bincode's fixed-width encoding. This build reads neither.
pub const FORMAT_VERSION: u32 = 3;
/// The first four bytes of every log file.
pub const LOG_MAGIC: [u8; 4] = *b"ZABL";
/// The first four bytes of every snapshot file.
pub const SNAP_MAGIC: [u8; 4] = *b"ZABS";
/// A log file's header in bytes: magic and format version.
pub const LOG_HEADER_LEN: usize = 8;
/// A record frame's header in bytes: payload length and its CRC-32.
pub const FRAME_HEADER_LEN: usize = 8;
/// A snapshot file's header in bytes: magic, version, zxid, data length and CRC-32.
pub const SNAP_HEADER_LEN: usize = 28;
/// A record's link: the zxid it follows.
pub const LINK_LEN: usize = 8;
/// The largest payload a record may have. A length field above it is corruption, so a
/// damaged length can never make a reader reserve gigabytes.
pub const MAX_RECORD_LEN: u32 = 16 << 20;

fn too_large(entry: &TxnEntry, len: u64) -> StorageError {
    StorageError::RecordTooLarge {
        zxid: entry.zxid(),
        len,
        max: MAX_RECORD_LEN as u64,
    }
}

/// The framed record for `entry`, linked to `prev`: frame header and payload.
pub fn encode_record(prev: Zxid, entry: &TxnEntry) -> Result<Vec<u8>, StorageError> {
    let body = encoding::encode(entry).map_err(|_| too_large(entry, u64::MAX))?;
    let len = LINK_LEN + body.len();
    if len > MAX_RECORD_LEN as usize {
        return Err(too_large(entry, len as u64));
    }
    let mut payload = Vec::with_capacity(len);
    payload.extend_from_slice(&prev.0.to_be_bytes());
    payload.extend_from_slice(&body);
    let mut out = Vec::with_capacity(FRAME_HEADER_LEN + len);
    out.extend_from_slice(&(len as u32).to_be_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_be_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// The size `encode_record` would produce, without encoding (the in-memory backend keeps
/// file sizes so it rolls exactly where the file backend does).
pub fn record_len(entry: &TxnEntry) -> Result<u64, StorageError> {
    let payload = encoding::encoded_len(entry).map_err(|_| too_large(entry, u64::MAX))?;
    Ok((FRAME_HEADER_LEN + LINK_LEN + payload) as u64)
}

/// The link and the entry of a record's payload.
pub fn decode_payload(payload: &[u8]) -> Result<LogRecord, String> {
    if payload.len() < LINK_LEN {
        return Err(format!(
            "{}-byte record, too short for its link",
            payload.len()
        ));
    }
    let prev = Zxid(be_u64(&payload[..LINK_LEN]));
    let entry: TxnEntry =
        encoding::decode(&payload[LINK_LEN..]).map_err(|e| format!("undecodable record: {e}"))?;
    if prev >= entry.zxid() {
        return Err(format!(
            "record {} linked to {prev}, not below it",
            entry.zxid()
        ));
    }
    Ok(LogRecord { prev, entry })
}

/// Why the bytes at an offset are not a whole valid frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadFrame {
    /// Fewer bytes remain than a frame header needs.
    Short {
        /// The bytes left in the file.
        available: usize,
    },
    /// The length field is zero. No record is empty, so these are zeroed bytes, as a crash
    /// can leave at the end of a file.
    ZeroLength,
    /// The length field is over `MAX_RECORD_LEN`: no writer produces that.
    TooLong {
        /// The length field.
        len: u32,
    },
    /// The payload the length field announces runs past the end of the file.
    Truncated {
        /// The length field.
        len: u32,
        /// The bytes present after the frame header.
        available: usize,
    },
    /// The payload's CRC-32 is not the stored one.
    CrcMismatch {
        /// The CRC-32 in the frame header.
        stored: u32,
        /// The CRC-32 of the payload as read.
        computed: u32,
    },
}

impl fmt::Display for BadFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadFrame::Short { available } => {
                write!(f, "short frame header ({available} of 8 bytes)")
            }
            BadFrame::ZeroLength => write!(f, "zero record length"),
            BadFrame::TooLong { len } => {
                write!(f, "record length {len} over the {MAX_RECORD_LEN}-byte cap")
            }
            BadFrame::Truncated { len, available } => {
                write!(f, "record of {len} bytes with only {available} present")
            }
            BadFrame::CrcMismatch { stored, computed } => {
                write!(
                    f,
                    "crc mismatch (stored {stored:08x}, computed {computed:08x})"
                )
            }
        }
    }
}

fn be_u32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

fn be_u64(bytes: &[u8]) -> u64 {
    (u64::from(be_u32(&bytes[0..4])) << 32) | u64::from(be_u32(&bytes[4..8]))
}

/// The payload of the frame at `at` and the offset after it. Never allocates: the length
/// field is checked against the cap and against the bytes actually present.
pub fn read_frame(buf: &[u8], at: usize) -> Result<(&[u8], usize), BadFrame> {
    let rest = &buf[at.min(buf.len())..];
    if rest.len() < FRAME_HEADER_LEN {
        return Err(BadFrame::Short {
            available: rest.len(),
        });
    }
    let (len, stored) = (be_u32(&rest[0..4]), be_u32(&rest[4..8]));
    if len == 0 {
        return Err(BadFrame::ZeroLength);
    }
    if len > MAX_RECORD_LEN {
        return Err(BadFrame::TooLong { len });
    }
    let available = rest.len() - FRAME_HEADER_LEN;
    if len as usize > available {
        return Err(BadFrame::Truncated { len, available });
    }
    let payload = &rest[FRAME_HEADER_LEN..FRAME_HEADER_LEN + len as usize];
    let computed = crc32fast::hash(payload);
    if computed != stored {
        return Err(BadFrame::CrcMismatch { stored, computed });
    }
    Ok((payload, at + FRAME_HEADER_LEN + len as usize))
}

/// Whether a whole valid record with a zxid above `after` starts anywhere in `buf[from..]`.
/// This tells a torn tail (nothing valid follows) from damage in the middle of the log.
pub fn valid_record_after(buf: &[u8], from: usize, after: Zxid) -> bool {
    (from..buf.len()).any(|at| match read_frame(buf, at) {
        Ok((payload, _)) => decode_payload(payload).is_ok_and(|r| r.entry.zxid() > after),
        Err(_) => false,
    })
}

/// The header every log file starts with: `LOG_MAGIC` and `FORMAT_VERSION`.
pub fn log_header() -> [u8; LOG_HEADER_LEN] {
    let mut h = [0u8; LOG_HEADER_LEN];
    h[0..4].copy_from_slice(&LOG_MAGIC);
    h[4..8].copy_from_slice(&FORMAT_VERSION.to_be_bytes());
    h
}

/// What a log file's first bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderCheck {
    /// A whole header of this build's format: records follow.
    Valid,
    /// Shorter than a header, and a prefix of one (or zeros): a file creation cut short.
    Torn,
    /// Not a log file of this implementation: the magic is wrong.
    BadMagic,
    /// Our magic with a format version this build does not read (the version found).
    Version(u32),
}

/// Classifies the start of a log file. An all-zero header counts as torn: the file was
/// created but its header never reached the disk.
pub fn check_log_header(buf: &[u8]) -> HeaderCheck {
    let expected = log_header();
    if buf.len() < LOG_HEADER_LEN {
        let zeros = buf.iter().all(|&b| b == 0);
        return match zeros || expected.starts_with(buf) {
            true => HeaderCheck::Torn,
            false => HeaderCheck::BadMagic,
        };
    }
    if buf[0..LOG_HEADER_LEN].iter().all(|&b| b == 0) {
        return HeaderCheck::Torn;
    }
    if buf[0..4] != LOG_MAGIC {
        return HeaderCheck::BadMagic;
    }
    match be_u32(&buf[4..8]) {
        FORMAT_VERSION => HeaderCheck::Valid,
        v => HeaderCheck::Version(v),
    }
}

/// The CRC-32 of the zxid, the length and the data, from the data's own hasher: a streamed
/// snapshot's length is known only once its data is written.
fn snapshot_crc(zxid: Zxid, len: u64, data: &crc32fast::Hasher) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&zxid.0.to_be_bytes());
    h.update(&len.to_be_bytes());
    h.combine(data);
    h.finalize()
}

/// The header written before snapshot `data` at `zxid`, its CRC covering the zxid, the
/// length and the data.
pub fn snapshot_header(zxid: Zxid, data: &[u8]) -> [u8; SNAP_HEADER_LEN] {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(data);
    snapshot_header_streamed(zxid, data.len() as u64, &hasher)
}

/// `snapshot_header` for data already written: its length and its hasher (written in place
/// of a placeholder header once the data is out).
pub fn snapshot_header_streamed(
    zxid: Zxid,
    len: u64,
    data: &crc32fast::Hasher,
) -> [u8; SNAP_HEADER_LEN] {
    let mut h = [0u8; SNAP_HEADER_LEN];
    h[0..4].copy_from_slice(&SNAP_MAGIC);
    h[4..8].copy_from_slice(&FORMAT_VERSION.to_be_bytes());
    h[8..16].copy_from_slice(&zxid.0.to_be_bytes());
    h[16..24].copy_from_slice(&len.to_be_bytes());
    h[24..28].copy_from_slice(&snapshot_crc(zxid, len, data).to_be_bytes());
    h
}

/// Checks a whole snapshot file (`bytes`) that should hold the state at `zxid`.
pub fn check_snapshot(file: &str, zxid: Zxid, bytes: &[u8]) -> Result<(), StorageError> {
    let bad = |offset: u64, reason: String| Err(StorageError::corrupt(file, offset, reason));
    if bytes.len() < SNAP_HEADER_LEN {
        return bad(0, format!("{} bytes, shorter than the header", bytes.len()));
    }
    if bytes[0..4] != SNAP_MAGIC {
        return bad(0, "not a snapshot (bad magic)".into());
    }
    let version = be_u32(&bytes[4..8]);
    if version != FORMAT_VERSION {
        return Err(StorageError::UnknownVersion {
            file: file.to_string(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let (data, header) = (&bytes[SNAP_HEADER_LEN..], &bytes[..SNAP_HEADER_LEN]);
    let stored_zxid = be_u64(&header[8..16]);
    if stored_zxid != zxid.0 {
        return bad(8, format!("holds zxid {stored_zxid:#x}, named {zxid}"));
    }
    let len = be_u64(&header[16..24]);
    if len != data.len() as u64 {
        return bad(16, format!("length {len}, but {} bytes follow", data.len()));
    }
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(data);
    if be_u32(&header[24..28]) != snapshot_crc(zxid, len, &hasher) {
        return bad(24, "crc mismatch".into());
    }
    Ok(())
}
