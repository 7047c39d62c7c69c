//! The one binary encoding of what zab keeps on disk (log records, snapshots), sends to a peer
//! (quorum and election envelopes, forwarded writes) and records in a trace: postcard, whose
//! wire format is specified and stable (<https://postcard.jamesmunns.com/wire-format>):
//! integers as varints (signed ones zigzagged), lengths before sequences, strings and byte
//! strings, enums as a varint variant index.
//!
//! Decoding reads from a slice that the caller has already bounded (a frame, a record, a
//! file), and every length in the input must be backed by that many bytes of input, so a
//! forged length cannot make a decoder allocate more than a small multiple of its input.
//! Bytes left over after the value are refused: a record is exactly one value.

use postcard::ser_flavors::{Flavor, Size};
use serde::{Deserialize, Serialize};

/// Why a value could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodingError {
    /// The bytes are not an encoding of the expected type (cut short, a bad variant index, a
    /// length longer than the input, invalid UTF-8 …).
    #[error("does not decode: {0}")]
    Malformed(postcard::Error),
    /// A whole value decoded, and bytes were left over.
    #[error("{0} bytes follow the value")]
    Trailing(usize),
    /// The value cannot be encoded (a sequence of unknown length); never so for zab's types.
    #[error("cannot be encoded: {0}")]
    Unencodable(postcard::Error),
}

/// Appends to a `Vec` in place, so a caller can write a header first and the value after it
/// without copying the value's bytes again.
struct Append<'a>(&'a mut Vec<u8>);

impl Flavor for Append<'_> {
    type Output = ();

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// Appends `value`'s encoding to `out`; on an error `out` is left as it was.
pub fn encode_into<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), EncodingError> {
    let start = out.len();
    postcard::serialize_with_flavor(value, Append(out)).map_err(|e| {
        out.truncate(start);
        EncodingError::Unencodable(e)
    })
}

/// `value`'s encoding.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, EncodingError> {
    let mut out = Vec::new();
    encode_into(value, &mut out)?;
    Ok(out)
}

/// How many bytes `encode(value)` produces, without producing them.
pub fn encoded_len<T: Serialize + ?Sized>(value: &T) -> Result<usize, EncodingError> {
    postcard::serialize_with_flavor(value, Size::default()).map_err(EncodingError::Unencodable)
}

/// The value `bytes` encode, all of `bytes`.
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, EncodingError> {
    let (value, rest) = postcard::take_from_bytes(bytes).map_err(EncodingError::Malformed)?;
    match rest.len() {
        0 => Ok(value),
        n => Err(EncodingError::Trailing(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Record {
        zxid: u64,
        path: String,
        data: Vec<u8>,
        children: Vec<String>,
    }

    fn record() -> Record {
        Record {
            zxid: 0x1_0000_0002,
            path: "/a/b".into(),
            data: vec![7; 300],
            children: vec!["x".into(), "y".into()],
        }
    }

    #[test]
    fn a_value_round_trips_and_its_length_is_known_in_advance() {
        let bytes = encode(&record()).unwrap();
        assert_eq!(encoded_len(&record()).unwrap(), bytes.len());
        assert_eq!(decode::<Record>(&bytes).unwrap(), record());
    }

    #[test]
    fn encode_into_appends_after_what_is_there() {
        let mut out = b"head".to_vec();
        encode_into(&record(), &mut out).unwrap();
        assert_eq!(&out[..4], b"head");
        assert_eq!(decode::<Record>(&out[4..]).unwrap(), record());
    }

    #[test]
    fn trailing_bytes_and_cut_encodings_are_refused() {
        let mut bytes = encode(&record()).unwrap();
        bytes.push(0);
        assert_eq!(decode::<Record>(&bytes), Err(EncodingError::Trailing(1)));
        bytes.truncate(bytes.len() - 2);
        assert!(matches!(
            decode::<Record>(&bytes),
            Err(EncodingError::Malformed(_))
        ));
    }

    /// A length prefix that claims far more than the input holds fails instead of
    /// allocating what it claims.
    #[test]
    fn a_forged_length_fails_without_allocating_it() {
        // zxid 1, then a path length of u32::MAX as a varint, and nothing behind it.
        let forged = [1u8, 0xff, 0xff, 0xff, 0xff, 0x0f];
        assert!(matches!(
            decode::<Record>(&forged),
            Err(EncodingError::Malformed(_))
        ));
        let many_children = [1u8, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f];
        assert!(matches!(
            decode::<Record>(&many_children),
            Err(EncodingError::Malformed(_))
        ));
    }
}
