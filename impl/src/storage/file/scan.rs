//! Reading a log file: header, then records until the end, telling a torn tail (an
//! incomplete last write, safe to cut off) from corruption (an error).

use crate::storage::error::StorageError;
use crate::storage::framing::{self, BadFrame, HeaderCheck, LOG_HEADER_LEN};
use crate::storage::LogRecord;
use crate::zxid::Zxid;

/// The valid records of a log file, each with the offset just past it, and where an invalid
/// tail starts if there is one.
#[derive(Debug)]
pub struct ScannedLog {
    pub records: Vec<(LogRecord, u64)>,
    pub torn: Option<(u64, String)>,
}

impl ScannedLog {
    /// The length the file has once its torn tail is cut off.
    pub fn valid_len(&self) -> u64 {
        match (self.records.last(), &self.torn) {
            (Some(&(_, end)), _) => end,
            (None, Some(_)) => 0,
            (None, None) => LOG_HEADER_LEN as u64,
        }
    }

    pub fn last_zxid(&self) -> Option<Zxid> {
        self.records.last().map(|(r, _)| r.entry.zxid())
    }
}

/// Scans `bytes`, the file `name` whose first record should be `start`. Only the last file
/// of the log may end in a torn write (`tail_may_tear`): every earlier file was fsynced
/// before the next was created, so damage there is corruption.
pub fn scan(
    name: &str,
    start: Zxid,
    bytes: &[u8],
    tail_may_tear: bool,
) -> Result<ScannedLog, StorageError> {
    if let Some(torn) = check_header(name, bytes, tail_may_tear)? {
        return Ok(torn);
    }
    let mut records: Vec<(LogRecord, u64)> = Vec::new();
    let mut at = LOG_HEADER_LEN;
    while at < bytes.len() {
        let prev = records.last().map(|(r, _)| r.entry.zxid());
        match framing::read_frame(bytes, at) {
            Ok((payload, next)) => {
                let record = framing::decode_payload(payload)
                    .map_err(|reason| StorageError::corrupt(name, at as u64, reason))?;
                check_order(name, at, start, prev, record.entry.zxid())?;
                records.push((record, next as u64));
                at = next;
            }
            Err(bad) => {
                let torn = tail_or_corrupt(name, bytes, at, bad, prev, tail_may_tear)?;
                return Ok(ScannedLog {
                    records,
                    torn: Some(torn),
                });
            }
        }
    }
    Ok(ScannedLog {
        records,
        torn: None,
    })
}

fn check_header(
    name: &str,
    bytes: &[u8],
    tail_may_tear: bool,
) -> Result<Option<ScannedLog>, StorageError> {
    match framing::check_log_header(bytes) {
        HeaderCheck::Valid => Ok(None),
        // A header that never reached the disk leaves nothing after it either: a valid
        // record behind a zeroed header is a damaged file, and removing it as torn would
        // throw away durable transactions.
        HeaderCheck::Torn if framing::valid_record_after(bytes, LOG_HEADER_LEN, Zxid::ZERO) => {
            let reason = "zeroed file header, and valid records follow";
            Err(StorageError::corrupt(name, 0, reason))
        }
        HeaderCheck::Torn if tail_may_tear => Ok(Some(ScannedLog {
            records: Vec::new(),
            torn: Some((0, "incomplete file header".into())),
        })),
        HeaderCheck::Torn => Err(StorageError::corrupt(name, 0, "incomplete file header")),
        HeaderCheck::BadMagic => Err(StorageError::corrupt(
            name,
            0,
            "not a transaction log (bad magic)",
        )),
        HeaderCheck::Version(found) => Err(StorageError::UnknownVersion {
            file: name.to_string(),
            found,
            supported: framing::FORMAT_VERSION,
        }),
    }
}

/// Records must start at the file's name and increase; anything else means the file is not
/// what this log wrote.
fn check_order(
    name: &str,
    at: usize,
    start: Zxid,
    prev: Option<Zxid>,
    zxid: Zxid,
) -> Result<(), StorageError> {
    let reason = match prev {
        None if zxid != start => format!("first record is {zxid}, the file name says {start}"),
        Some(p) if zxid <= p => format!("record {zxid} follows {p}: zxids must increase"),
        _ => return Ok(()),
    };
    Err(StorageError::corrupt(name, at as u64, reason))
}

/// An invalid frame at `at` is a torn tail only if it is in the last file and no valid
/// record follows it; a damaged record with valid ones after it is corruption in the middle
/// of the log, and cutting there would throw away durable transactions.
fn tail_or_corrupt(
    name: &str,
    bytes: &[u8],
    at: usize,
    bad: BadFrame,
    prev: Option<Zxid>,
    tail_may_tear: bool,
) -> Result<(u64, String), StorageError> {
    if !tail_may_tear {
        return Err(StorageError::corrupt(name, at as u64, bad.to_string()));
    }
    if framing::valid_record_after(bytes, at + 1, prev.unwrap_or(Zxid::ZERO)) {
        let reason = format!("{bad}, and valid records follow");
        return Err(StorageError::corrupt(name, at as u64, reason));
    }
    Ok((at as u64, bad.to_string()))
}
