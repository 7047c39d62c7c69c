//! The client connections the core serves: each with its session, its identities and a FIFO
//! of requests, answered strictly in order (a read behind a write waits for the write).

use super::client::ConnOut;
use super::core::ConnId;
use crate::data_tree::{Caller, Request};
use crate::database::ClientWrite;
use crate::session::{initial_session_id, Timeouts};
use crate::wire::{response, ClientOp, ConnectResponse};
use crate::zxid::Zxid;
use sha1::{Digest, Sha1};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::mpsc;

/// The cxid of a close-session write the leader makes for an expired session: no client
/// request uses it (client xids count up from 1).
pub const EXPIRY_CXID: i32 = i32::MIN;

/// The server secret that session passwords derive from; every server of an ensemble must
/// agree on it, as on ZooKeeper's `superSecret`.
const SECRET: &[u8] = b"zab-rs session password v1";

/// A request waiting its turn.
#[derive(Debug)]
pub struct Pending {
    pub xid: i32,
    pub op: Option<ClientOp>,
    pub state: PState,
}

#[derive(Debug, PartialEq, Eq)]
pub enum PState {
    /// Answer when it reaches the head (a read, evaluated then).
    Ready,
    /// A write at the leader; `Done` once applied.
    Waiting,
    Done(Vec<u8>),
    /// A `sync`: answer once this server has applied this zxid (`None`: the leader has not
    /// said yet).
    Sync(Option<Zxid>),
    /// Close the connection when this is reached.
    Close,
}

pub struct Conn {
    pub tx: mpsc::UnboundedSender<ConnOut>,
    /// Replies framed since the last `flush`, handed to the connection's task together.
    pending: Vec<u8>,
    pub addr: SocketAddr,
    pub session: Option<i64>,
    pub caller: Caller,
    pub queue: VecDeque<Pending>,
    pub received: u64,
    pub sent: u64,
}

pub struct Clients {
    pub conns: HashMap<ConnId, Conn>,
    pub by_session: HashMap<i64, ConnId>,
    /// Writes of this server's clients in flight: (session, xid) → connection.
    pub writes: HashMap<(i64, i32), ConnId>,
    /// New sessions waiting for their create-session transaction.
    pub connecting: HashMap<i64, (ConnId, Option<bool>)>,
    pub syncs: HashMap<u64, (ConnId, i32)>,
    pub next_token: u64,
    pub timeouts: Timeouts,
    /// The next id for a new session (unique across servers and restarts).
    next_session_id: i64,
    pub watches: crate::watch::WatchManager,
    pub max_per_ip: u32,
    pub received: u64,
    pub sent: u64,
    /// Connections with framed replies not yet handed over.
    dirty: Vec<ConnId>,
}

impl Clients {
    pub fn new(my_id: u64, timeouts: Timeouts, max_per_ip: u32) -> Clients {
        let now = super::core::wall_ms();
        Clients {
            conns: HashMap::new(),
            by_session: HashMap::new(),
            writes: HashMap::new(),
            connecting: HashMap::new(),
            syncs: HashMap::new(),
            next_token: 1,
            next_session_id: initial_session_id(my_id as u8, now),
            timeouts,
            watches: crate::watch::WatchManager::new(),
            max_per_ip,
            received: 0,
            sent: 0,
            dirty: Vec::new(),
        }
    }

    pub fn new_session_id(&mut self) -> i64 {
        let id = self.next_session_id;
        self.next_session_id = id.wrapping_add(1);
        id
    }

    pub fn opened(&mut self, conn: ConnId, tx: mpsc::UnboundedSender<ConnOut>, addr: SocketAddr) {
        let same_ip = self
            .conns
            .values()
            .filter(|c| c.addr.ip() == addr.ip())
            .count();
        if self.max_per_ip > 0 && same_ip >= self.max_per_ip as usize {
            tracing::warn!(%addr, "too many connections from this address (maxClientCnxns)");
            let _ = tx.send(ConnOut::Close);
            return;
        }
        let caller = Caller {
            auth: Vec::new(),
            client_ip: Some(addr.ip().to_string()),
        };
        let state = Conn {
            tx,
            addr,
            session: None,
            caller,
            queue: VecDeque::new(),
            received: 0,
            sent: 0,
            pending: Vec::new(),
        };
        self.conns.insert(conn, state);
    }

    pub fn closed(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.remove(&conn) {
            if let Some(s) = c.session {
                if self.by_session.get(&s) == Some(&conn) {
                    self.by_session.remove(&s);
                }
            }
        }
        self.watches.remove_watcher(conn);
        self.connecting.retain(|_, (c, _)| *c != conn);
    }

    /// Replies wait in the connection's batch until `flush`; anything else goes at once,
    /// after what waits.
    pub fn send(&mut self, conn: ConnId, out: ConnOut) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if let ConnOut::Packet(body) = &out {
            c.sent += 1;
            self.sent += 1;
            if c.pending.is_empty() {
                self.dirty.push(conn);
            }
            crate::wire::frame::frame_into(&mut c.pending, body);
            return;
        }
        flush_one(c);
        let _ = c.tx.send(out);
    }

    /// Hands every connection the replies framed for it since the last flush (one wake-up
    /// of its task per batch of events).
    pub fn flush(&mut self) {
        for conn in std::mem::take(&mut self.dirty) {
            if let Some(c) = self.conns.get_mut(&conn) {
                flush_one(c);
            }
        }
    }

    /// Closes a connection now (its task reports `ClientClosed` when it is gone).
    pub fn close(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.get_mut(&conn) {
            flush_one(c);
            let _ = c.tx.send(ConnOut::Close);
        }
    }

    pub fn close_all(&mut self) {
        let all: Vec<ConnId> = self.conns.keys().copied().collect();
        for c in all {
            self.close(c);
        }
    }

    /// A write could not be served (no leader): its client reconnects elsewhere.
    pub fn write_rejected(&mut self, session: i64, cxid: i32) {
        let conn = self
            .writes
            .remove(&(session, cxid))
            .or_else(|| self.connecting.remove(&session).map(|(c, _)| c));
        if let Some(conn) = conn {
            self.close(conn);
        }
    }

    pub fn sync_reply(&mut self, token: u64, zxid: Zxid) {
        let Some((conn, xid)) = self.syncs.remove(&token) else {
            return;
        };
        if let Some(c) = self.conns.get_mut(&conn) {
            for p in c.queue.iter_mut() {
                if p.xid == xid && p.state == PState::Sync(None) {
                    p.state = PState::Sync(Some(zxid));
                }
            }
        }
    }

    pub fn connect_response(
        &self,
        session: i64,
        timeout_ms: i32,
        read_only: Option<bool>,
    ) -> Vec<u8> {
        ConnectResponse {
            protocol_version: 0,
            timeout_ms,
            session_id: session,
            passwd: password(session),
            read_only: read_only.map(|_| false),
        }
        .encode()
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

/// A session's password: 16 bytes only the ensemble can compute from the id, so a client
/// can resume its session on any server.
pub fn password(session: i64) -> Vec<u8> {
    let mut h = Sha1::new();
    h.update(SECRET);
    h.update(session.to_be_bytes());
    h.finalize()[..16].to_vec()
}

/// The body of a close-session write.
pub fn close_session_write() -> Arc<Vec<u8>> {
    Arc::new(ClientWrite::new(Caller::default(), Request::CloseSession).encode())
}

fn flush_one(c: &mut Conn) {
    if !c.pending.is_empty() {
        let _ = c.tx.send(ConnOut::Framed(std::mem::take(&mut c.pending)));
    }
}
