//! CRC-32 over a stream: a writer and a reader that hash every byte passing through them and
//! count them. A snapshot is streamed (to a file, to a learner) rather than built in memory
//! first, so its checksum can no longer be computed over a finished buffer: it is computed
//! on the way and written after the bytes it covers.

use std::io::{self, Read, Write};

/// Hashes and counts what is written through it.
pub struct CrcWriter<W> {
    inner: W,
    hasher: crc32fast::Hasher,
    len: u64,
}

impl<W: Write> CrcWriter<W> {
    /// Hashes from an empty start.
    pub fn new(inner: W) -> CrcWriter<W> {
        CrcWriter {
            inner,
            hasher: crc32fast::Hasher::new(),
            len: 0,
        }
    }

    /// The CRC-32 of everything written so far.
    pub fn crc(&self) -> u32 {
        self.hasher.clone().finalize()
    }

    /// The hasher's state, to combine with a checksum of what came before these bytes.
    pub fn hasher(&self) -> &crc32fast::Hasher {
        &self.hasher
    }

    /// How many bytes were written through.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Nothing was written through yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The writer underneath.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for CrcWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Hashes what is read through it.
pub struct CrcReader<R> {
    inner: R,
    hasher: crc32fast::Hasher,
}

impl<R: Read> CrcReader<R> {
    /// Hashes from an empty start.
    pub fn new(inner: R) -> CrcReader<R> {
        CrcReader {
            inner,
            hasher: crc32fast::Hasher::new(),
        }
    }

    /// Hashes `bytes` as if they had been read through (a magic the caller read first).
    pub fn hashed(mut self, bytes: &[u8]) -> CrcReader<R> {
        self.hasher.update(bytes);
        self
    }

    /// The CRC-32 of everything read so far.
    pub fn crc(&self) -> u32 {
        self.hasher.clone().finalize()
    }

    /// The reader underneath, to read what the checksum does not cover.
    pub fn inner(&mut self) -> &mut R {
        &mut self.inner
    }
}

impl<R: Read> Read for CrcReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// A big-endian `u32` read from `input`.
pub fn read_u32(input: &mut (impl Read + ?Sized)) -> io::Result<u32> {
    let mut b = [0u8; 4];
    input.read_exact(&mut b)?;
    Ok(u32::from_be_bytes(b))
}

/// A big-endian `u64` read from `input`.
pub fn read_u64(input: &mut (impl Read + ?Sized)) -> io::Result<u64> {
    let mut b = [0u8; 8];
    input.read_exact(&mut b)?;
    Ok(u64::from_be_bytes(b))
}

/// Exactly `len` bytes of `input` into `buf` (cleared first). The buffer grows as the bytes
/// arrive, so a forged length costs no more memory than the bytes actually sent.
pub fn read_exactly(
    input: &mut (impl Read + ?Sized),
    len: u64,
    buf: &mut Vec<u8>,
) -> io::Result<()> {
    buf.clear();
    input.take(len).read_to_end(buf)?;
    if (buf.len() as u64) < len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("cut short: {} of {len} bytes", buf.len()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_checksums_equal_the_checksum_of_the_whole() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
        let mut w = CrcWriter::new(Vec::new());
        for part in data.chunks(333) {
            w.write_all(part).unwrap();
        }
        assert_eq!((w.crc(), w.len()), (crc32fast::hash(&data), 10_000));
        let mut r = CrcReader::new(&data[4..]).hashed(&data[..4]);
        let mut back = Vec::new();
        r.read_to_end(&mut back).unwrap();
        assert_eq!(r.crc(), crc32fast::hash(&data));
    }

    #[test]
    fn a_forged_length_is_cut_short_not_allocated() {
        let mut buf = Vec::new();
        let err = read_exactly(&mut &[1u8, 2, 3][..], u64::MAX, &mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(
            buf.capacity() < 1 << 20,
            "{} bytes allocated",
            buf.capacity()
        );
        read_exactly(&mut &[1u8, 2, 3][..], 2, &mut buf).unwrap();
        assert_eq!(buf, [1, 2]);
    }
}
