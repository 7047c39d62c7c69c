//! Direct writes: the core thread writes a plain connection's replies and notifications to
//! its socket itself, without a trip through the connection's writer task, whenever that
//! task has nothing queued.
//!
//! Why: a write watched by a thousand sessions is a thousand small notifications, and
//! handing each to its connection's task costs a channel send, a wake-up of a tokio worker
//! (a futex) and a task poll before the one `sendto` that matters. Profiled at 1,000
//! watchers, the wake-ups were half the server's system calls.
//!
//! Order is kept by one rule: the core writes directly only while the connection's queued
//! bytes (`flow.rs`) are zero, that is while its writer task holds nothing. Whatever a
//! direct write leaves unwritten (a full socket buffer) is handed to the writer, so it is
//! counted as queued and everything after it goes the same way until the writer has written
//! it. Only the core adds to the queue, so the writer and the core never write at once.
//! A TLS connection is never written directly: its session state lives in its task.

use std::io;
use std::sync::Arc;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

/// The writing half of a plain connection's socket, shared by its writer task and the
/// core: the task waits for the socket to be writable, the core only tries and never waits.
/// (The reading half stays its reader's alone, with tokio's own read path.)
#[derive(Clone, Debug)]
pub struct SharedTcp(Arc<OwnedWriteHalf>);

impl SharedTcp {
    /// Splits `stream` into its reading half and the shared writing half.
    pub fn split(stream: TcpStream) -> (OwnedReadHalf, SharedTcp) {
        let (rd, wr) = stream.into_split();
        (rd, SharedTcp(Arc::new(wr)))
    }

    /// Writes what it can of `bytes` now, without waiting: the count written, zero when the
    /// socket cannot take any (`WouldBlock`) or has failed (the writer meets the failure
    /// too, when it is handed the rest, and closes the connection).
    pub fn try_write(&self, bytes: &[u8]) -> usize {
        match self.0.try_write(bytes) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
            Err(e) => {
                tracing::debug!("direct write failed: {e}");
                0
            }
        }
    }

    /// Writes all of `bytes`, waiting for room as needed (the writer task's way).
    pub async fn write_all(&self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            self.0.writable().await?;
            match self.0.try_write(bytes) {
                Ok(n) => bytes = &bytes[n..],
                // Readiness was stale: `try_write` cleared it, so the next wait is real.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Sends the FIN after what was written. (The socket itself closes when its last sharer
    /// drops it: the core, once it has heard the connection is gone.)
    pub fn shutdown(&self) -> io::Result<()> {
        let stream: &TcpStream = (*self.0).as_ref();
        socket2::SockRef::from(stream).shutdown(std::net::Shutdown::Write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    async fn pair() -> (OwnedReadHalf, SharedTcp, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        // A new socket is writable once the reactor has seen it so.
        server.writable().await.unwrap();
        let (rd, wr) = SharedTcp::split(server);
        (rd, wr, client)
    }

    #[tokio::test]
    async fn direct_and_task_writes_arrive_in_order_then_the_fin() {
        let (_rd, shared, mut client) = pair().await;
        assert_eq!(shared.try_write(b"core "), 5);
        let writer = shared.clone();
        writer.write_all(b"task").await.unwrap();
        writer.shutdown().unwrap();
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"core task");
    }

    #[tokio::test]
    async fn a_full_socket_takes_part_and_then_nothing() {
        let (_rd, shared, _client) = pair().await;
        let big = vec![7u8; 64 << 20];
        let first = shared.try_write(&big);
        assert!(first > 0 && first < big.len(), "wrote {first}");
        let mut rest = 0;
        for _ in 0..64 {
            rest += shared.try_write(&big[first..]);
        }
        assert!(first + rest < big.len(), "an unread socket took everything");
    }

    #[tokio::test]
    async fn a_failed_socket_takes_nothing() {
        let (_rd, shared, client) = pair().await;
        drop(client);
        let mut total = 0;
        for _ in 0..64 {
            total += shared.try_write(&[1u8; 4096]);
            tokio::task::yield_now().await;
        }
        // The first writes may land before the reset arrives; then nothing is taken.
        assert!(total < 64 * 4096, "a reset socket took {total} bytes");
    }
}
