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
        hand_over(conn, c, out);
    }

    /// Hands every connection the replies framed for it since the last flush (one wake-up
    /// of its task per batch of events).
    pub fn flush(&mut self) {
        for conn in std::mem::take(&mut self.dirty) {
            if let Some(c) = self.conns.get_mut(&conn) {
                flush_one(conn, c);
            }
        }
    }

    /// Closes a connection now (its task reports `ClientClosed` when it is gone). One whose
    /// client is not reading is dropped at once: a `Close` behind its unread replies would
    /// keep it, and its file descriptor, open for as long as the client stays silent.
    pub fn close(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.get_mut(&conn) {
            flush_one(conn, c);
            if c.flow.stalled() {
                c.flow.evict();
            }
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

fn flush_one(conn: ConnId, c: &mut Conn) {
    if !c.pending.is_empty() {
        let framed = ConnOut::Framed(std::mem::take(&mut c.pending));
        hand_over(conn, c, framed);
    }
}

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
