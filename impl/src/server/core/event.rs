//! What the core thread takes, in arrival order: peer messages and link changes, client
//! connections and their packets, flow-control wake-ups, finished background work.

use super::super::client::NewConn;
use super::super::flow::Ticket;
use super::super::links::LinkEvent;
use super::ConnId;
use crate::storage::StorageError;
use crate::wire::{ClientOp, ConnectRequest};
use crate::zxid::Zxid;

/// What the core thread takes, in arrival order, from the link and client tasks.
#[derive(Debug)]
pub enum Event {
    /// A message from a peer, or a change of a peer connection.
    Link(LinkEvent),
    /// A client connection was accepted.
    ClientOpened(ConnId, NewConn),
    /// A connection's first packet: the session handshake (new session or resumed one).
    Connect {
        /// The connection it came on.
        conn: ConnId,
        /// The decoded `ConnectRequest`.
        req: ConnectRequest,
    },
    /// A decoded request of a connection that has done its handshake.
    Request {
        /// The connection it came on.
        conn: ConnId,
        /// The request's xid, echoed in its reply.
        xid: i32,
        /// The operation.
        op: ClientOp,
        /// Its place in the flow-control budgets, given back when it is answered.
        ticket: Ticket,
    },
    /// A request the connection could not decode into something servable.
    Refused {
        /// The connection it came on.
        conn: ConnId,
        /// The request's xid, echoed in the error reply.
        xid: i32,
        /// The error the reply carries (`Unimplemented` for an unknown opcode).
        err: crate::ZkError,
        /// Whether the connection closes after the error reply (an unknown opcode).
        close: bool,
        /// What was wrong, for the log.
        why: String,
        /// Its place in the flow-control budgets.
        ticket: Ticket,
    },
    /// A connection whose requests were held (its replies not read) drained its queue to
    /// its budget: answer it again.
    Drained {
        /// The connection.
        conn: ConnId,
    },
    /// A connection's task ended (the client or the server closed it).
    ClientClosed {
        /// The connection that ended.
        conn: ConnId,
    },
    /// A four-letter word arrived instead of a handshake; the answer is sent, then the
    /// connection closes.
    FourLetter {
        /// The connection that asked.
        conn: ConnId,
        /// One of `FOUR_LETTER_WORDS`.
        word: &'static str,
    },
    /// The metrics endpoint asks for a reading of every metric.
    Metrics {
        /// Where the reading goes.
        reply: tokio::sync::oneshot::Sender<super::super::metrics::Metrics>,
    },
    /// The AdminServer asks a command's answer.
    Admin {
        /// The command.
        command: super::super::admin::Command,
        /// Where the answer goes.
        reply: tokio::sync::oneshot::Sender<super::super::admin::Answer>,
    },
    /// An autopurge's snapshot check, run off the core thread, is done.
    PurgeChecked {
        /// `autopurge.snapRetainCount`, as the check was started with.
        keep: usize,
        /// The newest valid snapshots it found, newest first, or why it failed.
        valid: Result<Vec<Zxid>, StorageError>,
    },
    /// The snapshot writer's thread (`snapshots.rs`) is done with the snapshot at `zxid`.
    SnapshotWritten {
        /// The snapshot it wrote, or failed to.
        zxid: Zxid,
    },
    /// The log's sync thread ended an fsync (`steps.rs`' group commit).
    LogSynced,
    /// A compaction's states are built (`compaction.rs`), to swap in; `None` if its thread
    /// panicked.
    Compacted(Option<Box<crate::replica::Compacted<crate::database::ZkDatabase>>>),
    /// Stop: sync the log, close every client connection, return from `Core::run`.
    Shutdown,
}
