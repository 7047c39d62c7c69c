//! Requests answered from this server's applied state, in their turn: reads, `addauth`,
//! `setWatches` and the watch calls, pings.

use super::client::ConnOut;
use super::core::{ConnId, Core};
use crate::data_tree::acl_check;
use crate::error::ZkError;
use crate::watch::{WatchMode, WatcherType};
use crate::wire::{response, xid, ClientOp, MultiResult, ReadOp, Reply};
use crate::zxid::Zxid;

impl Core {
    /// A request that is not a write, answered now against the applied state.
    ///
    /// Only a ping's reply has a fixed xid; auth and setWatches echo the request's xid, as
    /// ZooKeeper does (the Java client sends -4 and -8, other clients their own counter),
    /// and auth replies carry zxid 0.
    pub(super) fn answer(&mut self, conn: ConnId, xid_: i32, op: ClientOp) {
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
                    self.clients.auth_failed += 1;
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
                Ok(Reply::ErrorResponse(0))
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
}
