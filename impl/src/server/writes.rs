//! Writes coming back: a committed transaction applied here fires its watches, does the
//! session bookkeeping and fills in the reply of this server's client, shaped as ZooKeeper's
//! `FinalRequestProcessor` shapes it.

use super::client::ConnOut;
use super::clients::PState;
use super::core::{ConnId, Core};
use crate::data_tree::{ApplyOutcome, OpResult, Request, TxnResult};
use crate::error::ZkError;
use crate::storage::StorageError;
use crate::wire::{opcode, response, ClientOp, MultiResult, Reply};
use crate::zxid::Zxid;

impl Core {
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
        self.compaction.applied();
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
                        self.clients.attach(conn, session, *timeout_ms);
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
                self.owners.remove(&session);
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
        self.retry_resumes();
        Ok(())
    }

    /// Fills in the reply of a write and answers what can be answered.
    pub(super) fn complete(&mut self, conn: ConnId, request: u64, zxid: Zxid, result: &TxnResult) {
        let Some(c) = self.clients.conns.get_mut(&conn) else {
            return;
        };
        let mut moved = None;
        if let Some(p) = c.queue.iter_mut().find(|p| p.request == request) {
            let (err, reply) = write_reply(p.op.as_ref(), result);
            p.state = PState::Done(response::reply(p.xid, zxid, err, &reply));
            moved = session_moved(err, result).then_some(p.xid);
        }
        if let Some(xid) = moved {
            // The client is connected to another server now: this connection is stale and
            // ends after its answer, as ZooKeeper closes it.
            self.clients.push(conn, xid, None, PState::Close, None);
        }
        self.drain(conn);
    }
}

/// Whether an applied write failed because its session moved: its own error, or, for a
/// multi (whose header error is 0), an op's, as ZooKeeper's FinalRequestProcessor throws on
/// either and closes the connection.
fn session_moved(err: i32, result: &TxnResult) -> bool {
    let moved = ZkError::SessionMoved.code();
    err == moved
        || matches!(result, TxnResult::Multi(ops)
            if ops.iter().any(|r| matches!(r, OpResult::Error { code } if *code == moved)))
}

/// The request a write op proposes; `None` for an op that is not a write. Only a write's
/// fields are copied: reads, the common case, pass through without a clone.
pub(super) fn write_request(op: &ClientOp) -> Option<Request> {
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
