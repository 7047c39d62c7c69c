//! Serving client requests on the core: the handshake, writes through the replica, reads
//! against the applied tree, `sync`, watches and auth, each answered in request order.

use super::client::ConnOut;
use super::clients::PState;
use super::core::{ConnId, Core};
use super::flow::Ticket;
use super::in_flight::InFlight;
use super::links::Envelope;
use crate::data_tree::{acl_check, ApplyOutcome, OpResult, Request, TxnResult};
use crate::database::ClientWrite;
use crate::error::ZkError;
use crate::replica::{Input, ServerState};
use crate::session::Password;
use crate::storage::StorageError;
use crate::watch::{WatchMode, WatcherType};
use crate::wire::{opcode, response, xid, ClientOp, ConnectRequest, MultiResult, ReadOp, Reply};
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
        let sid = req.session_id;
        match self.replica.state_machine().resume(sid, &req.passwd) {
            Some(open) => {
                self.clients.attach(conn, sid);
                let body = self.clients.connect_response(
                    sid,
                    open.timeout_ms,
                    open.password,
                    req.read_only,
                );
                self.clients.send(conn, ConnOut::Packet(body));
                self.touch(sid);
            }
            _ => {
                // Expired, unknown or the wrong password: a zero timeout says "expired".
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
        Ok(())
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
        } else {
            self.clients
                .push(conn, xid, Some(op), PState::Ready, ticket);
        }
        self.drain(conn);
        Ok(())
    }

    /// Asks the leader for the zxid the `sync` numbered `request` on `conn` must wait for.
    fn ask_leader_to_sync(&mut self, conn: ConnId, request: u64) {
        let token = self.clients.next_token;
        self.clients.next_token += 1;
        self.clients.syncs.insert(token, (conn, request));
        if let Some(leader) = self.leader {
            self.send(leader, Envelope::SyncRequest { token });
        }
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
            match p.state {
                PState::Done(body) => self.clients.send(conn, ConnOut::Packet(body)),
                PState::Close => return self.clients.close(conn),
                PState::Sync(_) => {
                    let path = match p.op {
                        Some(ClientOp::Sync { path }) => path,
                        _ => String::new(),
                    };
                    let body = response::reply(p.xid, applied, 0, &Reply::Path(path));
                    self.clients.send(conn, ConnOut::Packet(body));
                }
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

    /// A request that is not a write, answered now against the applied state.
    ///
    /// Only a ping's reply has a fixed xid; auth and setWatches echo the request's xid, as
    /// ZooKeeper does (the Java client sends -4 and -8, other clients their own counter),
    /// and auth replies carry zxid 0.
    fn answer(&mut self, conn: ConnId, xid_: i32, op: ClientOp) {
        let mut zxid = self.replica.last_processed();
        let (reply_xid, result) = match op {
            ClientOp::Ping => (xid::PING, Ok(Reply::Empty)),
            ClientOp::Auth { scheme, auth } => {
                zxid = Zxid::ZERO;
                let added = match scheme.as_str() {
                    "digest" => {
                        let ids =
                            acl_check::digest_auth(&auth, self.clients.super_digest.as_deref());
                        self.clients.add_auth(conn, ids)
                    }
                    other => Err(format!("no provider for the scheme `{other}`")),
                };
                if let Err(why) = added {
                    // As a failed addauth in ZooKeeper: AuthFailed, then the connection closes.
                    tracing::info!(conn, "addauth refused: {why}");
                    let reply = response::reply(
                        xid_,
                        Zxid::ZERO,
                        ZkError::AuthFailed.code(),
                        &Reply::Empty,
                    );
                    self.clients.send(conn, ConnOut::Packet(reply));
                    return self.clients.close(conn);
                }
                (xid_, Ok(Reply::Empty))
            }
            ClientOp::SetWatches(sw) => {
                let fired = self.clients.watches.set_watches(
                    self.replica.state_machine().tree(),
                    conn,
                    &sw,
                );
                for n in &fired {
                    self.clients.notify(n);
                }
                (xid_, Ok(Reply::Empty))
            }
            other => (xid_, self.read(conn, other)),
        };
        let body = match result {
            Ok(reply) => response::reply(reply_xid, zxid, 0, &reply),
            Err(e) => response::reply(reply_xid, zxid, e.code(), &Reply::Empty),
        };
        self.clients.send(conn, ConnOut::Packet(body));
    }

    fn read(&mut self, conn: ConnId, op: ClientOp) -> Result<Reply, ZkError> {
        let Some(c) = self.clients.conns.get(&conn) else {
            return Err(ZkError::ConnectionLoss);
        };
        let caller = c.caller.clone();
        let session = c.session.unwrap_or_default();
        let tree = self.replica.state_machine().tree();
        let watches = &mut self.clients.watches;
        match op {
            ClientOp::Exists { path, watch } => {
                let r = tree.exists(&path, &caller);
                if watch && matches!(r, Ok(_) | Err(ZkError::NoNode)) {
                    watches.watch_data(&path, conn);
                }
                r.map(Reply::Stat)
            }
            ClientOp::GetData { path, watch } => {
                let (data, stat) = tree.get_data(&path, &caller)?;
                if watch {
                    watches.watch_data(&path, conn);
                }
                Ok(Reply::Data {
                    data: data.to_vec(),
                    stat,
                })
            }
            ClientOp::GetChildren {
                path,
                watch,
                with_stat,
            } => {
                let (children, stat) = tree.get_children(&path, &caller)?;
                if watch {
                    watches.watch_children(&path, conn);
                }
                Ok(if with_stat {
                    Reply::Children2 { children, stat }
                } else {
                    Reply::Children(children)
                })
            }
            ClientOp::GetAcl { path } => {
                let (acl, stat) = tree.get_acl(&path, &caller)?;
                Ok(Reply::Acl { acl, stat })
            }
            ClientOp::MultiRead(ops) => Ok(Reply::Multi(
                ops.into_iter()
                    .map(|op| match op {
                        ReadOp::GetChildren { path } => match tree.get_children(&path, &caller) {
                            Ok((children, _)) => MultiResult::GetChildren { children },
                            Err(e) => MultiResult::Error { code: e.code() },
                        },
                        ReadOp::GetData { path } => match tree.get_data(&path, &caller) {
                            Ok((data, stat)) => MultiResult::GetData {
                                data: data.to_vec(),
                                stat,
                            },
                            Err(e) => MultiResult::Error { code: e.code() },
                        },
                    })
                    .collect(),
            )),
            ClientOp::CheckWatches { path, kind } => {
                let kind = WatcherType::from_code(kind).ok_or(ZkError::BadArguments)?;
                watches
                    .check_watches(&path, conn, kind)
                    .map(|_| Reply::Empty)
            }
            ClientOp::RemoveWatches { path, kind } => {
                let kind = WatcherType::from_code(kind).ok_or(ZkError::BadArguments)?;
                watches
                    .remove_watches(&path, conn, kind)
                    .map(|_| Reply::Empty)
            }
            ClientOp::AddWatch { path, mode } => {
                let mode = WatchMode::from_add_watch_mode(mode).ok_or(ZkError::BadArguments)?;
                watches.add_watch(&path, conn, mode);
                Ok(Reply::Empty)
            }
            ClientOp::GetEphemerals { prefix } => {
                Ok(Reply::Paths(tree.get_ephemerals(session, &prefix)))
            }
            ClientOp::GetAllChildrenNumber { path } => tree
                .get_all_children_number(&path, &caller)
                .map(|n| Reply::Count(n as i32)),
            ClientOp::WhoAmI => {
                // The user name, as the auth provider's getUserName gives it: a digest
                // id is `user:hash`, and whoAmI shows only the user.
                let mut ids: Vec<(String, String)> = caller
                    .auth
                    .iter()
                    .map(|id| {
                        let user = match id.scheme.as_str() {
                            "digest" => id.id.split(':').next().unwrap_or_default(),
                            _ => id.id.as_str(),
                        };
                        (id.scheme.clone(), user.to_string())
                    })
                    .collect();
                if let Some(ip) = caller.client_ip {
                    ids.push(("ip".into(), ip));
                }
                Ok(Reply::WhoAmI(ids))
            }
            _ => Err(ZkError::Unimplemented),
        }
    }

    /// A committed transaction was applied: watches fire first (a notification precedes the
    /// reply of any request that sees its change), then the session bookkeeping and the
    /// reply to this server's client.
    pub(super) fn on_applied(
        &mut self,
        zxid: Zxid,
        session: i64,
        cxid: i32,
        local: bool,
        outcome: ApplyOutcome,
    ) -> Result<(), StorageError> {
        for n in self.clients.watches.fire_all(&outcome.triggers) {
            self.clients.notify(&n);
        }
        let mine = local
            .then(|| self.clients.writes.take(session, cxid))
            .flatten();
        match &outcome.result {
            TxnResult::SessionCreated { timeout_ms } => {
                let now = self.session_clock_ms();
                if let Some(t) = self.tracker.as_mut() {
                    t.add(session, *timeout_ms, now);
                }
                let password = self.replica.state_machine().session_password(session);
                match (self.clients.connecting.remove(&session), password) {
                    (Some((conn, ro)), Some(password)) => {
                        let body =
                            self.clients
                                .connect_response(session, *timeout_ms, password, ro);
                        self.clients.send(conn, ConnOut::Packet(body));
                        self.clients.attach(conn, session);
                    }
                    // Closed again before its creation was answered: nothing to resume.
                    (Some((conn, _)), None) => self.clients.close(conn),
                    (None, _) => {}
                }
            }
            TxnResult::SessionClosed { .. } => {
                if let Some(t) = self.tracker.as_mut() {
                    t.remove(session);
                }
                if let Some(&conn) = self.clients.by_session.get(&session) {
                    if mine.is_none() {
                        // Expired (or closed through another server): the connection ends.
                        self.clients.close(conn);
                    } else {
                        self.clients.push(conn, cxid, None, PState::Close, None);
                    }
                }
            }
            _ => {}
        }
        if let Some(w) = mine {
            self.complete(w.conn, w.request, zxid, &outcome.result);
        }
        self.drain_syncs();
        Ok(())
    }

    /// Fills in the reply of a write and answers what can be answered.
    fn complete(&mut self, conn: ConnId, request: u64, zxid: Zxid, result: &TxnResult) {
        let Some(c) = self.clients.conns.get_mut(&conn) else {
            return;
        };
        if let Some(p) = c.queue.iter_mut().find(|p| p.request == request) {
            let (err, reply) = write_reply(p.op.as_ref(), result);
            p.state = PState::Done(response::reply(p.xid, zxid, err, &reply));
        }
        self.drain(conn);
    }
}

/// The request a write op proposes; `None` for an op that is not a write. Only a write's
/// fields are copied: reads, the common case, pass through without a clone.
fn write_request(op: &ClientOp) -> Option<Request> {
    Some(match op {
        ClientOp::Create { req, .. } => Request::Create(req.clone()),
        ClientOp::Delete { path, version } => Request::Delete {
            path: path.clone(),
            version: *version,
        },
        ClientOp::SetData {
            path,
            data,
            version,
        } => Request::SetData {
            path: path.clone(),
            data: data.clone(),
            version: *version,
        },
        ClientOp::SetAcl { path, acl, version } => Request::SetAcl {
            path: path.clone(),
            acl: acl.clone(),
            version: *version,
        },
        ClientOp::Check { path, version } => Request::Check {
            path: path.clone(),
            version: *version,
        },
        ClientOp::Multi(ops) => Request::Multi(ops.iter().map(|(_, o)| o.clone()).collect()),
        ClientOp::CloseSession => Request::CloseSession,
        _ => return None,
    })
}

/// The reply header's error and body for an applied write (`FinalRequestProcessor`): a
/// multi's errors travel in its results, with a zero header error.
fn write_reply(op: Option<&ClientOp>, result: &TxnResult) -> (i32, Reply) {
    match (op, result) {
        (_, TxnResult::Error(e)) => (e.code(), Reply::Empty),
        (Some(ClientOp::Create { opcode, .. }), TxnResult::Created { path, stat }) => {
            if *opcode == opcode::CREATE {
                (0, Reply::Path(path.clone()))
            } else {
                (
                    0,
                    Reply::Create2 {
                        path: path.clone(),
                        stat: *stat,
                    },
                )
            }
        }
        (_, TxnResult::DataSet { stat, .. } | TxnResult::AclSet { stat, .. }) => {
            (0, Reply::Stat(*stat))
        }
        (Some(ClientOp::Multi(ops)), TxnResult::Multi(results)) => {
            let entries = ops
                .iter()
                .zip(results)
                .map(|((kind, _), r)| multi_entry(*kind, r))
                .collect();
            (0, Reply::Multi(entries))
        }
        _ => (0, Reply::Empty),
    }
}

fn multi_entry(kind: i32, r: &OpResult) -> MultiResult {
    match r {
        OpResult::Create { path, stat } if kind == opcode::CREATE => {
            MultiResult::Create { path: path.clone() }
        }
        OpResult::Create { path, stat } => MultiResult::Create2 {
            path: path.clone(),
            stat: *stat,
        },
        OpResult::Delete => MultiResult::Delete,
        OpResult::SetData { stat } => MultiResult::SetData { stat: *stat },
        OpResult::Check => MultiResult::Check,
        OpResult::Error { code } => MultiResult::Error { code: *code },
    }
}
