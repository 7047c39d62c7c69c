//! The client connections the core serves: each with its session, its identities and a FIFO
//! of requests, answered strictly in order (a read behind a write waits for the write).
//! What goes out to them, and how a connection is closed, is `output.rs`.

mod output;

use super::client::{ConnOut, NewConn};
use super::core::ConnId;
use super::direct::SharedTcp;
use super::flow::{ConnFlow, Ticket};
use super::in_flight::InFlightWrites;
use crate::acl::Id;
use crate::data_tree::{Caller, Request};
use crate::database::ClientWrite;
use crate::session::{initial_session_id, Password, Timeouts};
use crate::wire::{ClientOp, ConnectResponse};
use crate::zxid::Zxid;
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::mpsc;

/// The cxid of a close-session write the leader makes for an expired session: no client
/// request uses it (client xids count up from 1).
pub const EXPIRY_CXID: i32 = i32::MIN;

/// The cxid of the container manager's deletes (made with session 0, as ZooKeeper's are).
pub const CONTAINER_CXID: i32 = i32::MIN + 1;

/// A request waiting its turn.
#[derive(Debug)]
pub struct Pending {
    /// The request's number on this server: what a write's transaction or a `sync`'s answer
    /// finds it by (its xid need not be unique).
    pub request: u64,
    /// The request's xid (the client's cxid), echoed in its reply.
    pub xid: i32,
    /// The request, kept to evaluate a read at the head, shape a write's reply or name a
    /// `sync`'s path; `None` for an error reply or a close the core queued itself.
    pub op: Option<ClientOp>,
    /// Whether it can be answered yet.
    pub state: PState,
    /// Its place in the flow-control budgets (a client's request; `None` for what the core
    /// queued itself): dropped, and so given back, when the request is answered.
    pub ticket: Option<Ticket>,
}

/// Where a pending request stands: the head of a connection's queue is answered as soon as
/// its state allows, and nothing behind it before.
#[derive(Debug, PartialEq, Eq)]
pub enum PState {
    /// Answer when it reaches the head (a read, evaluated then).
    Ready,
    /// A write at the leader; `Done` once applied.
    Waiting,
    /// The reply body, ready (an applied write's, or an error's): sent at the head.
    Done(Vec<u8>),
    /// A `sync`, or a data read under `zab.reads=linearizable`: answer once this server has
    /// applied this zxid (`None`: the leader has not said yet).
    Sync(Option<Zxid>),
    /// Close the connection when this is reached.
    Close,
}

/// One client connection, as the core keeps it.
pub struct Conn {
    /// To the connection's task, which writes what it gets to the socket.
    pub tx: mpsc::UnboundedSender<ConnOut>,
    /// The socket, for writing directly while `tx` holds nothing (plain connections only).
    direct: Option<SharedTcp>,
    /// A `Close` (or a four-letter word's answer) has been handed to the writer: nothing
    /// more is written directly, as the writer may have ended the connection.
    closing: bool,
    /// Replies framed since the last `flush`, handed to the connection's task together.
    pending: Vec<u8>,
    /// The client's address (its `ip` identity, and `cons`).
    pub addr: SocketAddr,
    /// The session the connection is attached to; `None` until its handshake completes.
    pub session: Option<i64>,
    /// Who the client is for ACL checks: its `addauth` digest ids and its IP address.
    pub caller: Caller,
    /// The connection's requests in arrival order, answered strictly from the head.
    pub queue: VecDeque<Pending>,
    /// Requests received after the handshake (`cons`' `recved`).
    pub received: u64,
    /// Packets sent: replies, notifications, the handshake's answer (`cons`' `sent`).
    pub sent: u64,
    /// Whether it came in on the secure client port (TLS).
    pub secure: bool,
    /// Its session's setup and its requests' latency (the admin command `connections`).
    pub stats: crate::server::stats::ConnStats,
    /// Lets the connection's reader go on past the handshake.
    session_ready: Arc<tokio::sync::Notify>,
    /// The connection's budgets: the bytes queued for its writer decide whether its
    /// requests are answered or held (`Clients::hold`).
    pub flow: Arc<ConnFlow>,
}

/// Every client connection of this server with its session, pending writes, syncs and
/// watches. The core thread owns it.
pub struct Clients {
    /// The open connections.
    pub conns: HashMap<ConnId, Conn>,
    /// Each session's current connection: a client that reconnects here replaces the old one.
    pub by_session: HashMap<i64, ConnId>,
    /// Writes of this server's clients in flight, per session in submission order.
    pub writes: InFlightWrites,
    /// New sessions waiting for their create-session transaction.
    pub connecting: HashMap<i64, (ConnId, Option<bool>)>,
    /// A learner's `sync`s waiting for the leader's answer: token → (connection, request).
    pub syncs: HashMap<u64, (ConnId, u64)>,
    /// Connections with a `sync` in their queue: what is drained after each apply, so an
    /// apply does not scan every connection.
    pub with_syncs: HashSet<ConnId>,
    /// The number the next request gets (`Pending::request`).
    next_request: u64,
    /// The token the next `SyncRequest` to the leader, or the next linearizable read,
    /// carries (`take_token`).
    next_token: u64,
    /// Session timeout bounds (`minSessionTimeout`, `maxSessionTimeout`) a handshake's
    /// requested timeout is negotiated into.
    pub timeouts: Timeouts,
    /// The next id for a new session (unique across servers and restarts).
    next_session_id: i64,
    /// Every watch of this server's clients; the watcher ids are connection ids, so a watch
    /// ends with its connection (a reconnecting client sends `setWatches`).
    pub watches: crate::watch::WatchManager,
    /// What one connection may authenticate (`zab.auth.maxIds`, `zab.auth.maxIdBytes`).
    pub auth_limits: AuthLimits,
    /// `DigestAuthenticationProvider.superDigest`: the digest whose `addauth` grants `super`.
    pub super_digest: Option<String>,
    /// Requests received over all connections (`srvr`'s `Received`, `mntr`'s
    /// `zk_packets_received`).
    pub received: u64,
    /// Packets sent over all connections (`srvr`'s `Sent`, `mntr`'s `zk_packets_sent`).
    pub sent: u64,
    /// Refused `addauth`s (`auth_failed_count`).
    pub auth_failed: u64,
    /// Connections opened without TLS from loopback and from elsewhere
    /// (`non_mtls_local_conn_count`, `non_mtls_remote_conn_count`, as ZooKeeper's Netty
    /// factory counts them).
    pub plain_opened: (u64, u64),
    /// The sizes of the packets sent (`client_response`).
    pub response_sizes: crate::server::stats::Sizes,
    /// Connections with framed replies not yet handed over.
    dirty: Vec<ConnId>,
    /// `zab.client.directWrites`: whether the core writes idle plain connections itself.
    pub direct_writes: bool,
}

/// What one connection may authenticate: `zab.auth.maxIds` distinct identities, none longer
/// than `zab.auth.maxIdBytes`.
#[derive(Clone, Copy, Debug)]
pub struct AuthLimits {
    /// The most distinct identities one connection may hold.
    pub max_ids: usize,
    /// The longest identity, in bytes.
    pub max_id_bytes: usize,
}

impl Clients {
    /// No connections yet. New session ids carry `session_prefix` (the server id) in their high byte and the start
    /// time below it (`initial_session_id`), so they are unique across servers and restarts.
    pub fn new(session_prefix: u8, timeouts: Timeouts, auth_limits: AuthLimits) -> Clients {
        let now = super::core::wall_ms();
        Clients {
            conns: HashMap::new(),
            by_session: HashMap::new(),
            writes: InFlightWrites::default(),
            connecting: HashMap::new(),
            syncs: HashMap::new(),
            with_syncs: HashSet::new(),
            next_request: 1,
            next_token: 1,
            next_session_id: initial_session_id(session_prefix, now),
            timeouts,
            watches: crate::watch::WatchManager::new(),
            auth_limits,
            super_digest: None,
            received: 0,
            sent: 0,
            auth_failed: 0,
            plain_opened: (0, 0),
            response_sizes: Default::default(),
            dirty: Vec::new(),
            direct_writes: true,
        }
    }

    /// Adds the identities an `addauth` proved to `conn`'s caller, unless that would pass
    /// the connection's limits; then nothing is added and the answer says which limit.
    /// Bounding them bounds what an ACL's `auth` entry expands to, and so the transaction a
    /// create or setACL produces.
    pub fn add_auth(&mut self, conn: ConnId, ids: Vec<Id>) -> Result<(), String> {
        let limits = self.auth_limits;
        let Some(c) = self.conns.get_mut(&conn) else {
            return Ok(());
        };
        if let Some(long) = ids.iter().find(|id| id.id.len() > limits.max_id_bytes) {
            return Err(format!(
                "an identity of {} bytes (zab.auth.maxIdBytes={})",
                long.id.len(),
                limits.max_id_bytes
            ));
        }
        let new: Vec<Id> = ids
            .into_iter()
            .filter(|id| !c.caller.auth.contains(id))
            .collect();
        if c.caller.auth.len() + new.len() > limits.max_ids {
            return Err(format!(
                "more than {} identities (zab.auth.maxIds)",
                limits.max_ids
            ));
        }
        c.caller.auth.extend(new);
        Ok(())
    }

    /// Queues a request on `conn` (if it is open) and returns its number; a `sync` also
    /// marks the connection as one `drain_syncs` must look at.
    pub fn push(
        &mut self,
        conn: ConnId,
        xid: i32,
        op: Option<ClientOp>,
        state: PState,
        ticket: Option<Ticket>,
    ) -> u64 {
        let request = self.next_request;
        self.next_request += 1;
        if let Some(c) = self.conns.get_mut(&conn) {
            if matches!(state, PState::Sync(_)) {
                self.with_syncs.insert(conn);
            }
            c.queue.push_back(Pending {
                request,
                xid,
                op,
                state,
                ticket,
            });
        }
        request
    }

    /// Whether `conn`'s requests must wait because its client is not reading its replies
    /// (its queue is over `zab.client.maxQueuedBytes`). Its queued requests then give back
    /// their global permits: they wait on their own client, not on the server.
    pub fn hold(&mut self, conn: ConnId) -> bool {
        let Some(c) = self.conns.get_mut(&conn) else {
            return false;
        };
        if !c.flow.hold(c.pending.len()) {
            return false;
        }
        for p in &mut c.queue {
            if let Some(t) = p.ticket.as_mut() {
                t.release_global();
            }
        }
        true
    }

    /// `conn`'s session is set up with `timeout_ms` (its handshake answered): its reader may
    /// hand over the requests the client sent after the handshake.
    pub fn attach(&mut self, conn: ConnId, session: i64, timeout_ms: i32) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.session = Some(session);
            c.stats.established_ms = crate::server::core::wall_ms();
            c.stats.session_timeout_ms = timeout_ms;
            c.session_ready.notify_one();
            if let Some(old) = self.by_session.insert(session, conn) {
                if old != conn {
                    self.close(old);
                }
            }
        }
    }

    /// The id for a session a client asks this server to create.
    pub fn new_session_id(&mut self) -> i64 {
        let id = self.next_session_id;
        self.next_session_id = id.wrapping_add(1);
        id
    }

    /// A client connection was accepted (admission has counted it under the caps).
    pub fn opened(&mut self, conn: ConnId, new: NewConn) {
        let secure = new.secure();
        if !secure {
            match new.addr.ip().is_loopback() {
                true => self.plain_opened.0 += 1,
                false => self.plain_opened.1 += 1,
            }
        }
        let caller = Caller {
            auth: Vec::new(),
            client_ip: Some(new.addr.ip().to_string()),
        };
        let state = Conn {
            tx: new.tx,
            direct: new.direct.filter(|_| self.direct_writes),
            closing: false,
            addr: new.addr,
            session: None,
            caller,
            queue: VecDeque::new(),
            received: 0,
            sent: 0,
            stats: Default::default(),
            secure,
            pending: Vec::new(),
            session_ready: new.session_ready,
            flow: new.flow,
        };
        self.conns.insert(conn, state);
    }

    /// The connection's task ended: the connection, its watches and any handshake in progress
    /// are forgotten. Its session lives on until it expires or the client resumes it.
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
        // Its writes stay in flight until their transactions come back (the match of the
        // session's later writes depends on them); its syncs can go.
        self.syncs.retain(|_, (c, _)| *c != conn);
        self.with_syncs.remove(&conn);
    }

    /// A write could not be served (no leader): its client reconnects elsewhere.
    pub fn write_rejected(&mut self, session: i64, cxid: i32) {
        let conn = self
            .writes
            .take(session, cxid)
            .map(|w| w.conn)
            .or_else(|| self.connecting.remove(&session).map(|(c, _)| c));
        if let Some(conn) = conn {
            self.close(conn);
        }
    }

    /// A fresh token for a `SyncRequest` or a linearizable read.
    pub fn take_token(&mut self) -> u64 {
        let token = self.next_token;
        self.next_token += 1;
        token
    }

    /// The leader answered the `sync` of `token` with `zxid`: that `sync` is answered once
    /// this server has applied `zxid`.
    pub fn sync_reply(&mut self, token: u64, zxid: Zxid) {
        let Some((conn, request)) = self.syncs.remove(&token) else {
            return;
        };
        if let Some(c) = self.conns.get_mut(&conn) {
            if let Some(p) = c.queue.iter_mut().find(|p| p.request == request) {
                p.state = PState::Sync(Some(zxid));
            }
        }
    }

    /// The handshake's answer for a new or resumed session: its negotiated timeout, its id and
    /// password. The read-only flag is sent (always false) only if the client sent one.
    pub fn connect_response(
        &self,
        session: i64,
        timeout_ms: i32,
        password: Password,
        read_only: Option<bool>,
    ) -> Vec<u8> {
        ConnectResponse {
            protocol_version: 0,
            timeout_ms,
            session_id: session,
            passwd: password.0.to_vec(),
            read_only: read_only.map(|_| false),
        }
        .encode()
    }
}

/// The body of a close-session write.
pub fn close_session_write() -> Arc<Vec<u8>> {
    Arc::new(ClientWrite::new(Caller::default(), Request::CloseSession).encode())
}
