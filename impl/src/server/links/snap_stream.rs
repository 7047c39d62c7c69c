//! SNAP on the wire, streamed. A snapshot can be larger than any frame (a tree of 1.5 GB
//! would never fit the quorum plane's 1 GiB bound, and a learner sent one whole would fail
//! and ask again forever), and serializing it whole first would hold a second copy of the
//! tree on the leader and a third on the learner. So the leader's link sends a
//! `SnapBegin` envelope with the packet's zxid and identity, then the snapshot's bytes in raw
//! frames of at most a chunk each, then an empty frame. A thread of the link serializes the
//! state copy into those chunks as the socket takes them (two chunks in flight at most); on
//! the learner a thread restores the state from the chunks as they arrive, and the core is
//! handed the restored state as the SNAP packet: neither core thread serializes or parses.
//!
//! While a SNAP streams, what the core queues for the same link after it waits in the link
//! task (up to `HELD_BYTES`): it must reach the learner after the snapshot.

use super::{read_frame, LinkCmd, PeerStream};
use crate::replica::SnapshotData;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

/// The size of a SNAP's chunks unless configured otherwise (`zab.fault.snapChunkBytes`, for
/// tests).
pub const SNAP_CHUNK: usize = 1 << 20;

/// The largest chunk frame a learner accepts.
pub const MAX_CHUNK: usize = 16 << 20;

/// How much a link holds for its peer while it streams a SNAP before it gives up on it (a
/// learner that takes its snapshot slower than the leader writes).
const HELD_BYTES: usize = 256 << 20;

/// A SNAP for a link to stream.
pub struct SnapSend {
    /// The `SnapBegin` envelope, framed.
    pub head: Vec<u8>,
    /// The state to send.
    pub data: SnapshotData,
    /// Its chunks' size and spacing.
    pub pace: SnapPace,
}

/// How a SNAP goes out: in chunks of `chunk` bytes (`SNAP_CHUNK`, or
/// `zab.fault.snapChunkBytes` in tests), each after `delay` (nothing, or
/// `zab.fault.snapChunkDelayMs` in tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapPace {
    /// The chunk size.
    pub chunk: usize,
    /// How long to wait before each chunk.
    pub delay: Duration,
}

impl std::fmt::Debug for SnapSend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SnapSend({:?} in chunks of {})",
            self.data, self.pace.chunk
        )
    }
}

/// Restores a state from a SNAP's bytes, as the learner's core would (its configuration),
/// into a state copy the replica takes as it is.
pub type Restorer = Arc<dyn Fn(&mut dyn Read) -> io::Result<SnapshotData> + Send + Sync>;

/// How a SNAP's streaming ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Streamed {
    /// All of it went out, the empty frame last.
    Sent,
    /// The connection or the serializer failed, or the peer fell too far behind: the link
    /// is broken.
    Failed,
    /// The core closed the link (or dropped it) meanwhile.
    Closed,
}

/// What the serializer thread hands the link.
enum Part {
    Frame(Vec<u8>),
    End(Tally),
}

/// A SNAP's size on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// The snapshot's bytes.
    pub bytes: u64,
    /// The frames they took.
    pub chunks: u64,
}

/// Streams `snap` to `stream`, holding what the core queues meanwhile in `held`.
pub async fn send(
    stream: &mut PeerStream,
    snap: SnapSend,
    rx: &mut mpsc::Receiver<LinkCmd>,
    held: &mut VecDeque<LinkCmd>,
) -> Streamed {
    let (tx, mut parts) = mpsc::channel(2);
    let data = snap.data;
    let pace = SnapPace {
        chunk: snap.pace.chunk.clamp(1, MAX_CHUNK),
        ..snap.pace
    };
    let spawned = std::thread::Builder::new()
        .name("zab-snap-send".into())
        .spawn(move || serialize(&data, pace, tx));
    if let Err(e) = spawned {
        tracing::warn!("no thread to serialize a SNAP: {e}");
        return Streamed::Failed;
    }
    let started = std::time::Instant::now();
    // The writes run beside the queue: a close or an overflow must end the stream even
    // while a write waits on a full socket (dropping the writer drops the connection).
    let writer = async move {
        stream.write_all(&snap.head).await.ok()?;
        loop {
            match parts.recv().await? {
                Part::Frame(frame) => stream.write_all(&frame).await.ok()?,
                Part::End(tally) => {
                    stream.write_all(&[0; 4]).await.ok()?;
                    return Some(tally);
                }
            }
        }
    };
    tokio::pin!(writer);
    let mut held_bytes = 0;
    loop {
        tokio::select! {
            sent = &mut writer => {
                let Some(tally) = sent else {
                    return Streamed::Failed;
                };
                let ms = started.elapsed().as_millis();
                tracing::info!(bytes = tally.bytes, chunks = tally.chunks, ms, "SNAP sent");
                return Streamed::Sent;
            }
            cmd = rx.recv() => match cmd {
                None | Some(LinkCmd::Close) => return Streamed::Closed,
                Some(LinkCmd::Reset) => {}
                Some(cmd) => {
                    held_bytes += match &cmd {
                        LinkCmd::Send(b) => b.len(),
                        _ => 0,
                    };
                    held.push_back(cmd);
                    if held_bytes > HELD_BYTES {
                        tracing::warn!(held_bytes, "peer fell too far behind while its SNAP streamed");
                        return Streamed::Failed;
                    }
                }
            },
        }
    }
}

/// The serializer thread: `data` into chunk frames at `pace`, then the end.
fn serialize(data: &SnapshotData, pace: SnapPace, tx: mpsc::Sender<Part>) {
    let mut out = ChunkFrames {
        frame: Vec::with_capacity(4 + pace.chunk),
        pace,
        tx,
        tally: Tally::default(),
    };
    out.frame.extend_from_slice(&[0; 4]);
    let result = data.write_to(&mut out).and_then(|()| out.finish());
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {} // the link gave up first
        Err(e) => tracing::warn!("serializing a SNAP failed: {e}"),
        Ok(()) => {}
    }
}

/// A writer that cuts what it is given into framed chunks for the link.
struct ChunkFrames {
    /// The frame being filled: 4 bytes for its length, then up to `chunk` bytes.
    frame: Vec<u8>,
    pace: SnapPace,
    tx: mpsc::Sender<Part>,
    tally: Tally,
}

impl ChunkFrames {
    fn emit(&mut self) -> io::Result<()> {
        let len = (self.frame.len() - 4) as u32;
        self.tally.bytes += u64::from(len);
        self.tally.chunks += 1;
        self.frame[..4].copy_from_slice(&len.to_be_bytes());
        let mut next = Vec::with_capacity(4 + self.pace.chunk);
        next.extend_from_slice(&[0; 4]);
        let frame = std::mem::replace(&mut self.frame, next);
        if !self.pace.delay.is_zero() {
            std::thread::sleep(self.pace.delay);
        }
        self.send(Part::Frame(frame))
    }

    fn send(&self, part: Part) -> io::Result<()> {
        self.tx
            .blocking_send(part)
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.frame.len() > 4 {
            self.emit()?;
        }
        self.send(Part::End(self.tally))
    }
}

impl Write for ChunkFrames {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = 4 + self.pace.chunk - self.frame.len();
        let n = buf.len().min(room);
        self.frame.extend_from_slice(&buf[..n]);
        if self.frame.len() == 4 + self.pace.chunk {
            self.emit()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Receives a SNAP's chunks after its `SnapBegin`, up to the empty frame, restoring the
/// state on a thread as they arrive, and calls `streaming` after each (the core hears that
/// its leader is alive). An error says why the SNAP is refused.
pub async fn receive<R: AsyncRead + Unpin>(
    stream: &mut R,
    restorer: &Restorer,
    mut streaming: impl FnMut(),
) -> Result<(SnapshotData, Tally), String> {
    let (tx, rx) = mpsc::channel(4);
    let (done_tx, done) = oneshot::channel();
    let restorer = Arc::clone(restorer);
    std::thread::Builder::new()
        .name("zab-snap-recv".into())
        .spawn(move || {
            let mut input = Chunks::new(rx);
            let restored = restorer(&mut input).and_then(|data| input.at_end().map(|()| data));
            let _ = done_tx.send(restored);
        })
        .map_err(|e| format!("no thread to restore it: {e}"))?;
    let mut tally = Tally::default();
    loop {
        let frame = read_frame(stream, MAX_CHUNK)
            .await
            .map_err(|e| format!("the stream broke: {e}"))?;
        if frame.is_empty() {
            break;
        }
        tally.bytes += frame.len() as u64;
        tally.chunks += 1;
        streaming();
        // The restorer stops taking chunks only when it fails: its error says why.
        if tx.send(frame).await.is_err() {
            break;
        }
    }
    drop(tx);
    match done.await {
        Ok(Ok(data)) => Ok((data, tally)),
        Ok(Err(e)) => Err(format!("not a snapshot: {e}")),
        Err(_) => Err("restoring it panicked".into()),
    }
}

/// The chunks of a SNAP as one byte stream, for the restorer's thread.
struct Chunks {
    rx: mpsc::Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    at: usize,
}

impl Chunks {
    fn new(rx: mpsc::Receiver<Vec<u8>>) -> Chunks {
        Chunks {
            rx,
            chunk: Vec::new(),
            at: 0,
        }
    }

    /// Nothing follows the snapshot in the stream.
    fn at_end(&mut self) -> io::Result<()> {
        match self.read(&mut [0])? {
            0 => Ok(()),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "bytes follow the snapshot",
            )),
        }
    }
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            match self.rx.blocking_recv() {
                Some(next) => (self.chunk, self.at) = (next, 0),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
