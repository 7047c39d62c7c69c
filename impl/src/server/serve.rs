//! Serving client requests on the core: the handshake, then each request queued on its
//! connection and answered strictly in order: writes go through the replica (`writes.rs`
//! answers them once applied), a `sync` waits for the leader's zxid, everything else is
//! answered from the applied state (`reads.rs`) when it reaches the head.

use super::client::ConnOut;
use super::clients::PState;
use super::core::{ConnId, Core};
use super::flow::Ticket;
use super::in_flight::InFlight;
use super::links::Envelope;
use super::writes::write_request;
use crate::config::Reads;
use crate::data_tree::Request;
use crate::database::ClientWrite;
use crate::error::ZkError;
use crate::replica::{Input, ServerId, ServerState};
use crate::session::Password;
use crate::storage::StorageError;
use crate::wire::{response, ClientOp, ConnectRequest, Reply};
use crate::zxid::Zxid;
use std::sync::Arc;

impl Core {
    /// `ZooKeeperServer.processConnectRequest`.
    pub(super) fn on_connect(
        &mut self,
        conn: ConnId,
        req: ConnectRequest,
    ) -> Result<(), StorageError> {
        if !self.clients.conns.contains_key(&conn) {
            // Gone already: a handshake must never create a session nobody can answer.
            return Ok(());
        }
        if !self.serving() {
            tracing::info!(conn, "not serving yet; handshake refused");
            self.clients.close(conn);
            return Ok(());
        }
        let last = self.replica.last_processed();
        if req.last_zxid_seen > last.0 as i64 {
            // The client has seen more than this server: it must find a newer one.
            tracing::info!(
                conn,
                "client has seen zxid 0x{:x}, ours is {last}",
                req.last_zxid_seen
            );
            self.clients.close(conn);
            return Ok(());
        }
        let timeout = self.clients.timeouts.negotiate(req.timeout_ms);
        if req.session_id == 0 {
            // The password is drawn here, on the server that takes the handshake, and enters
            // the replica inside the write: every server stores it, and a replay of this
            // server's inputs gives back the same one.
            let password = match Password::random() {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(conn, "handshake refused: {e}");
                    self.clients.close(conn);
                    return Ok(());
                }
            };
            let sid = self.clients.new_session_id();
            self.clients.connecting.insert(sid, (conn, req.read_only));
            let body = ClientWrite::new(
                self.clients
                    .conns
                    .get(&conn)
                    .map(|c| c.caller.clone())
                    .unwrap_or_default(),
                Request::CreateSession {
                    timeout_ms: timeout,
                    password,
                },
            );
            return self.step(Input::Write {
                session_id: sid,
                cxid: 0,
                body: Arc::new(body.encode()),
            });
        }
        self.resume_session(conn, req, true);
        Ok(())
    }

    /// A handshake resuming a session: granted if the replicated table holds it with the
    /// password presented. A learner that does not know the session may only lag behind the
    /// server that created it; it asks the leader first (`revalidate`) when `may_ask`.
    pub(super) fn resume_session(&mut self, conn: ConnId, req: ConnectRequest, may_ask: bool) {
        if !self.clients.conns.contains_key(&conn) {
            return;
        }
        let sid = req.session_id;
        // A leader's session whose close is proposed is expired already, though the close
        // is not applied yet (ZooKeeper's `touchSession` refuses a closing session).
        let closing = self.tracker.as_ref().is_some_and(|t| t.is_closing(sid));
        match self.replica.state_machine().resume(sid, &req.passwd) {
            Some(open) if !closing => {
                self.clients.attach(conn, sid, open.timeout_ms);
                self.claim_owner(sid);
                let body = self.clients.connect_response(
                    sid,
                    open.timeout_ms,
                    open.password,
                    req.read_only,
                );
                self.clients.send(conn, ConnOut::Packet(body));
                self.touch(sid);
            }
            None if may_ask && self.revalidate(conn, &req) => {}
            _ => {
                // Expired, closing, unknown or the wrong password: a zero timeout says
                // "expired".
                let body = crate::wire::ConnectResponse {
                    protocol_version: 0,
                    timeout_ms: 0,
                    session_id: 0,
                    passwd: vec![0; 16],
                    read_only: req.read_only.map(|_| false),
                }
                .encode();
                self.clients.send(conn, ConnOut::Packet(body));
                self.clients.close(conn);
            }
        }
    }

    pub(super) fn on_request(
        &mut self,
        conn: ConnId,
        xid: i32,
        op: ClientOp,
        ticket: Ticket,
    ) -> Result<(), StorageError> {
        let ticket = Some(ticket);
        let Some(c) = self.clients.conns.get_mut(&conn) else {
            return Ok(());
        };
        let Some(session) = c.session else {
            tracing::info!(conn, "request before the handshake finished; closed");
            self.clients.close(conn);
            return Ok(());
        };
        c.received += 1;
        let caller = c.caller.clone();
        self.clients.received += 1;
        self.touch(session);
        if let Some(write) = write_request(&op) {
            let request = self
                .clients
                .push(conn, xid, Some(op), PState::Waiting, ticket);
            let in_flight = InFlight {
                cxid: xid,
                conn,
                request,
            };
            self.clients.writes.submitted(session, in_flight);
            let body = Arc::new(ClientWrite::new(caller, write).encode());
            let body = self.owned_write(session, self.info.my_id, body);
            self.step(Input::Write {
                session_id: session,
                cxid: xid,
                body,
            })?;
        } else if let ClientOp::Sync { .. } = op {
            // A leader's `sync` waits for what it has proposed; a learner's asks the leader,
            // behind every write it forwarded (the quorum link is FIFO).
            let leading = self.state == ServerState::Leading;
            let state = PState::Sync(leading.then(|| self.replica.last_logged()));
            let request = self.clients.push(conn, xid, Some(op), state, ticket);
            if !leading {
                self.ask_leader_to_sync(conn, request);
            }
        } else if self.info.reads == Reads::Linearizable && reads_data(&op) {
            // Answered once the leader has confirmed a read index and this server applied it.
            let request = self
                .clients
                .push(conn, xid, Some(op), PState::Sync(None), ticket);
            let token = self.clients.take_token();
            self.clients.syncs.insert(token, (conn, request));
            self.step(Input::Read { token })?;
        } else {
            self.clients
                .push(conn, xid, Some(op), PState::Ready, ticket);
        }
        self.drain(conn);
        Ok(())
    }

    /// A linearizable read's index came (`Output::ReadIndex`): answered once applied.
    pub(super) fn read_index(&mut self, token: u64, zxid: Zxid) {
        self.clients.sync_reply(token, zxid);
        self.drain_syncs();
    }

    /// A linearizable read cannot be answered here: its client reconnects elsewhere, as
    /// when a write cannot be forwarded.
    pub(super) fn read_failed(&mut self, token: u64) {
        if let Some((conn, _)) = self.clients.syncs.remove(&token) {
            self.clients.close(conn);
        }
    }

    /// Asks the leader for the zxid the `sync` numbered `request` on `conn` must wait for.
    fn ask_leader_to_sync(&mut self, conn: ConnId, request: u64) {
        let token = self.sync_request(self.leader);
        self.clients.syncs.insert(token, (conn, request));
    }

    /// Asks `leader` (if there is one) for the zxid it has reached; its `SyncReply` carries
    /// the token returned (a client's `sync`, or a resume's revalidation).
    pub(super) fn sync_request(&mut self, leader: Option<ServerId>) -> u64 {
        let token = self.clients.take_token();
        if let Some(leader) = leader {
            self.send(leader, Envelope::SyncRequest { token });
        }
        token
    }

    pub(super) fn refuse(
        &mut self,
        conn: ConnId,
        xid: i32,
        err: ZkError,
        close: bool,
        ticket: Option<Ticket>,
    ) {
        let body = response::reply(
            xid,
            self.replica.last_processed(),
            err.code(),
            &Reply::Empty,
        );
        self.clients
            .push(conn, xid, None, PState::Done(body), ticket);
        if close {
            self.clients.push(conn, xid, None, PState::Close, None);
        }
        self.drain(conn);
    }

    /// Answers from the head of the connection's queue while the head can be answered.
    pub(super) fn drain(&mut self, conn: ConnId) {
        loop {
            let applied = self.replica.last_processed();
            let Some(c) = self.clients.conns.get_mut(&conn) else {
                return;
            };
            let ready = match c.queue.front().map(|p| &p.state) {
                Some(PState::Ready | PState::Done(_) | PState::Close) => true,
                Some(PState::Sync(Some(z))) => *z <= applied,
                _ => false,
            };
            // A client that does not read its replies gets no more until it does
            // (`flow.rs`); its writer's `Drained` brings the core back here.
            if !ready || self.clients.hold(conn) {
                return;
            }
            let Some(c) = self.clients.conns.get_mut(&conn) else {
                return;
            };
            let Some(p) = c.queue.pop_front() else { return };
            if let (Some(t), false) = (&p.ticket, matches!(p.state, PState::Close)) {
                let took = t.read_at.elapsed();
                self.latency.record(took);
                c.stats
                    .answered(p.op.as_ref(), p.xid, applied.0 as i64, took);
            }
            match p.state {
                PState::Done(body) => self.clients.send(conn, ConnOut::Packet(body)),
                PState::Close => return self.clients.close(conn),
                PState::Sync(_) => match p.op {
                    Some(ClientOp::Sync { path }) => {
                        let body = response::reply(p.xid, applied, 0, &Reply::Path(path));
                        self.clients.send(conn, ConnOut::Packet(body));
                    }
                    // A linearizable read, now that its read index is applied.
                    Some(op) => self.answer(conn, p.xid, op),
                    None => {}
                },
                _ => {
                    if let Some(op) = p.op {
                        self.answer(conn, p.xid, op);
                    }
                }
            }
        }
    }

    /// Drains every connection whose head is a `sync` (after something was applied).
    pub(super) fn drain_syncs(&mut self) {
        if self.clients.with_syncs.is_empty() {
            return;
        }
        let waiting: Vec<ConnId> = self.clients.with_syncs.iter().copied().collect();
        for conn in waiting {
            self.drain(conn);
        }
        let conns = &self.clients.conns;
        self.clients.with_syncs.retain(|conn| {
            conns
                .get(conn)
                .is_some_and(|c| c.queue.iter().any(|p| matches!(p.state, PState::Sync(_))))
        });
    }
}

/// The requests that read the data tree: under `zab.reads=linearizable` they wait for a read
/// index. Pings, authentication and watch bookkeeping read nothing a write changes.
fn reads_data(op: &ClientOp) -> bool {
    matches!(
        op,
        ClientOp::Exists { .. }
            | ClientOp::GetData { .. }
            | ClientOp::GetAcl { .. }
            | ClientOp::GetChildren { .. }
            | ClientOp::MultiRead(_)
            | ClientOp::GetEphemerals { .. }
            | ClientOp::GetAllChildrenNumber { .. }
    )
}
