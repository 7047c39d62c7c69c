//! What the core sends its client connections: replies framed in a batch per connection and
//! handed over once per batch of events, notifications, and closes, each counted against
//! the connection's byte budget (`flow.rs`).

use super::{Clients, Conn};
use crate::server::client::ConnOut;
use crate::server::core::ConnId;
use crate::wire::response;

impl Clients {
    /// Replies wait in the connection's batch until `flush`; anything else goes at once,
    /// after what waits.
    pub fn send(&mut self, conn: ConnId, out: ConnOut) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if let ConnOut::Packet(body) = &out {
            c.sent += 1;
            self.sent += 1;
            self.response_sizes.record(body.len());
            if c.pending.is_empty() {
                self.dirty.push(conn);
            }
            crate::wire::frame::frame_into(&mut c.pending, body);
            return;
        }
        flush_one(conn, c);
        c.closing |= matches!(
            out,
            ConnOut::Text(_) | ConnOut::DirSizes { .. } | ConnOut::Close
        );
        hand_over(conn, c, out);
    }

    /// Sends every connection the replies framed for it since the last flush: written
    /// directly where its writer holds nothing, else handed to its task (one wake-up of
    /// it per batch of events).
    pub fn flush(&mut self) {
        for conn in std::mem::take(&mut self.dirty) {
            if let Some(c) = self.conns.get_mut(&conn) {
                flush_one(conn, c);
            }
        }
    }

    /// Closes a connection now (its task reports `ClientClosed` when it is gone). Its writer
    /// writes what is queued, then the FIN, until `flow::CLOSE_GRACE` passes without a write;
    /// one whose client is not reading is dropped at once (`ConnFlow::close`): a `Close`
    /// behind its unread replies would keep it, and its file descriptor, open for as long as
    /// the client stays silent.
    pub fn close(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.get_mut(&conn) {
            flush_one(conn, c);
            c.flow.close();
            c.closing = true;
            let _ = c.tx.send(ConnOut::Close);
        }
    }

    /// Closes every connection (at shutdown, or when this server goes back to LOOKING): none
    /// of their writes or syncs will be answered.
    pub fn close_all(&mut self) {
        let all: Vec<ConnId> = self.conns.keys().copied().collect();
        for c in all {
            self.close(c);
        }
        self.writes.clear();
        self.syncs.clear();
    }

    /// Sends a notification for an event on `conn` (if it may see it).
    pub fn notify(&mut self, n: &crate::watch::Notification) {
        let conn = n.event.watcher;
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        if !n.visible_to(&c.caller) {
            return;
        }
        let body = response::notification(
            n.event.event.code(),
            response::STATE_SYNC_CONNECTED,
            &n.event.path,
            n.event.zxid,
        );
        self.send(conn, ConnOut::Packet(body));
    }
}

/// Writes `conn`'s framed replies to its socket directly if its writer holds nothing
/// (`direct.rs`), and hands the writer whatever is left.
fn flush_one(conn: ConnId, c: &mut Conn) {
    if c.pending.is_empty() {
        return;
    }
    let writer_idle = !c.closing && c.flow.queued_bytes() == 0;
    if let Some(socket) = c.direct.as_ref().filter(|_| writer_idle) {
        let written = socket.try_write(&c.pending);
        if written == c.pending.len() {
            c.pending.clear();
            // A large reply must not pin its size for the connection's life.
            c.pending.shrink_to(PENDING_KEEP);
            // Held on these bytes (`hold` counts the unflushed), the connection is free
            // again, and no writer will say so.
            c.flow.wrote_directly();
            return;
        }
        c.pending.drain(..written);
    }
    let framed = ConnOut::Framed(std::mem::take(&mut c.pending));
    hand_over(conn, c, framed);
}

/// What a connection's batch of framed replies keeps between flushes once written directly.
const PENDING_KEEP: usize = 16 * 1024;

/// Gives `out` to the connection's writer, counted in its queued bytes. A queue past what
/// flow control allows (notifications piling up for a client that reads nothing) has its
/// task drop the connection; the client reconnects and its `setWatches` fires what it
/// missed, so no event is lost without the client knowing.
fn hand_over(conn: ConnId, c: &mut Conn, out: ConnOut) {
    if c.flow.queued(out.wire_len()) {
        tracing::warn!(
            conn,
            addr = %c.addr,
            queued = c.flow.queued_bytes(),
            "closing a connection whose client does not read its replies"
        );
    }
    let _ = c.tx.send(out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::client::NewConn;
    use crate::server::core::Event;
    use crate::server::direct::SharedTcp;
    use crate::server::flow::{Flow, FlowLimits};
    use crate::session::Timeouts;
    use std::sync::Arc;
    use tokio::io::AsyncReadExt;
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::mpsc;

    type Queue = mpsc::UnboundedReceiver<ConnOut>;

    /// A `Clients` with one plain connection (7) whose far end is returned, with the
    /// connection's writer queue.
    async fn one_conn() -> (Clients, TcpStream, Queue) {
        conn_with(true).await
    }

    async fn conn_with(direct_writes: bool) -> (Clients, TcpStream, Queue) {
        let mut clients = Clients::new(1, Timeouts::from_tick(2000), test_limits());
        clients.direct_writes = direct_writes;
        let (client, rx) = open(&mut clients, 7).await;
        (clients, client, rx)
    }

    /// Opens plain connection `conn` on `clients`: its far end and its writer queue.
    async fn open(clients: &mut Clients, conn: ConnId) -> (TcpStream, Queue) {
        let (client, rx, _events) = open_with(clients, conn, 1 << 20).await;
        (client, rx)
    }

    /// `open`, with a byte budget of `queued_bytes`; also the core's events its flow sends.
    async fn open_with(
        clients: &mut Clients,
        conn: ConnId,
        queued_bytes: usize,
    ) -> (TcpStream, Queue, std::sync::mpsc::Receiver<Event>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, addr) = listener.accept().await.unwrap();
        server.writable().await.unwrap();
        let (_rd, wr) = SharedTcp::split(server);
        let limits = FlowLimits {
            global_outstanding: 10,
            conn_outstanding: 10,
            queued_bytes,
            max_reply: 1 << 20,
        };
        let (events, events_rx) = std::sync::mpsc::channel();
        let (tx, rx) = mpsc::unbounded_channel();
        let new = NewConn {
            tx,
            direct: Some(wr),
            addr,
            session_ready: Arc::new(tokio::sync::Notify::new()),
            flow: Flow::new(limits).connection(conn, events),
        };
        clients.opened(conn, new);
        (client, rx, events_rx)
    }

    fn test_limits() -> crate::server::clients::AuthLimits {
        crate::server::clients::AuthLimits {
            max_ids: 4,
            max_id_bytes: 64,
        }
    }

    async fn read_n(client: &mut TcpStream, n: usize) -> Vec<u8> {
        let mut got = vec![0; n];
        client.read_exact(&mut got).await.unwrap();
        got
    }

    #[tokio::test]
    async fn an_idle_connection_is_written_by_the_core_without_its_task() {
        let (mut clients, mut client, mut rx) = one_conn().await;
        clients.send(7, ConnOut::Packet(b"abc".to_vec()));
        clients.flush();
        assert_eq!(read_n(&mut client, 7).await, b"\0\0\0\x03abc");
        assert!(
            rx.try_recv().is_err(),
            "the writer task was handed the reply"
        );
    }

    #[tokio::test]
    async fn a_connection_with_queued_bytes_gets_everything_through_its_task() {
        let (mut clients, _client, mut rx) = one_conn().await;
        // The writer holds bytes not yet written: a direct write would overtake them.
        clients.conns[&7].flow.queued(10);
        clients.send(7, ConnOut::Packet(b"abc".to_vec()));
        clients.flush();
        match rx.try_recv() {
            Ok(ConnOut::Framed(bytes)) => assert_eq!(bytes, b"\0\0\0\x03abc"),
            other => panic!("the writer got {other:?}"),
        }
    }

    #[tokio::test]
    async fn with_direct_writes_off_everything_goes_through_the_task() {
        let (mut clients, _client, mut rx) = conn_with(false).await;
        clients.send(7, ConnOut::Packet(b"abc".to_vec()));
        clients.flush();
        assert!(matches!(rx.try_recv(), Ok(ConnOut::Framed(_))));
    }

    #[tokio::test]
    async fn nothing_is_written_directly_once_a_close_is_queued() {
        let (mut clients, _client, mut rx) = one_conn().await;
        clients.close(7);
        assert!(matches!(rx.try_recv(), Ok(ConnOut::Close)));
        clients.send(7, ConnOut::Packet(b"late".to_vec()));
        clients.flush();
        assert!(matches!(rx.try_recv(), Ok(ConnOut::Framed(_))));
    }

    /// A connection held on replies the core framed but had not flushed (over its byte
    /// budget with nothing at its writer) is written directly: the core must hear that it
    /// drained, or its next requests would wait for a packet the client may never send.
    #[tokio::test]
    async fn a_held_connection_written_directly_is_answered_again() {
        let mut clients = Clients::new(1, Timeouts::from_tick(2000), test_limits());
        let (mut client, mut rx, events) = open_with(&mut clients, 7, 16).await;
        clients.send(7, ConnOut::Packet(vec![1; 64]));
        assert!(
            clients.hold(7),
            "64 unflushed bytes are over a budget of 16"
        );
        clients.flush();
        assert_eq!(read_n(&mut client, 68).await[4..], [1; 64]);
        assert!(rx.try_recv().is_err(), "written by the core");
        assert!(matches!(events.try_recv(), Ok(Event::Drained { conn: 7 })));
    }
}
