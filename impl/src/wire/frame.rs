//! Packet framing: every packet is a 4-byte big-endian length, then that many bytes.
//! `jute.maxbuffer` bounds the length; a longer (or negative) one is refused before any of
//! it is buffered, and the connection is closed, as ZooKeeper does.

/// ZooKeeper's default `jute.maxbuffer`: 0xfffff bytes.
pub const DEFAULT_MAX_BUFFER: usize = 0xfffff;

/// Why a packet's length prefix is refused; the connection is then closed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The length is over `jute.maxbuffer`.
    #[error("packet length {len} is over jute.maxbuffer ({max})")]
    TooLarge {
        /// The length the prefix claims, in bytes.
        len: usize,
        /// The limit in force, in bytes.
        max: usize,
    },
    /// The length prefix, read as a signed 32-bit int, is negative.
    #[error("packet length {0} is negative")]
    Negative(i32),
}

/// The first complete packet at the start of `buf`: its body and how many bytes it used,
/// `None` if more bytes are needed.
pub fn split(buf: &[u8], max: usize) -> Result<Option<(&[u8], usize)>, FrameError> {
    let Some(head) = buf.get(..4) else {
        return Ok(None);
    };
    let len = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    if len < 0 {
        return Err(FrameError::Negative(len));
    }
    let len = len as usize;
    if len > max {
        return Err(FrameError::TooLarge { len, max });
    }
    Ok(buf.get(4..4 + len).map(|body| (body, 4 + len)))
}

/// `body` framed for the wire.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + body.len());
    frame_into(&mut out, body);
    out
}

/// Appends `body`, framed, to `out` (several packets batched into one write).
pub fn frame_into(out: &mut Vec<u8>, body: &[u8]) {
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
}
