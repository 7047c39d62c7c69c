//! The replica's interface to the world: what it is told (`Input`), what it asks for
//! (`Output`), and the state machine it replicates.
//!
//! Output order is a contract: the driver executes outputs in order, and an output that writes
//! to disk (`SaveAcceptedEpoch`, `SaveCurrentEpoch`, `SaveUpdatingEpoch`, `Append { fsync:
//! true }`, `Truncate`, `InstallSnapshot`) is durable before any later output runs. So "save
//! acceptedEpoch, then send ACKEPOCH" or "log the synced transactions, then ACK NEWLEADER" is
//! a single `step` whose outputs come in that order.

use super::messages::{PeerMsg, ServerId};
use crate::txn::{Txn, TxnEntry};
use crate::zxid::Zxid;
use std::io::{self, Read, Write};
use std::sync::Arc;

/// The state machine a replica replicates (the DataTree and its sessions, or a toy for tests).
pub trait StateMachine: Clone + Send + Sync + 'static {
    /// What applying a transaction produced, for the client that asked and for watchers.
    type Outcome: Clone + std::fmt::Debug + PartialEq;

    /// The leader turns a client request (encoded by the server) into the transaction it
    /// proposes, validating it against this state (the committed state plus every outstanding
    /// proposal). Invalid requests become `Txn::Error`.
    fn prepare(&self, session_id: i64, body: &[u8], zxid: Zxid, time_ms: i64) -> Txn;

    /// Applies a committed transaction. Deterministic: the same sequence gives the same state.
    fn apply(&mut self, entry: &TxnEntry) -> Self::Outcome;

    /// The state serialized into `out`, for a SNAP sync or a snapshot file: streamed, so a
    /// large state is never in memory twice.
    fn write_snapshot(&self, out: &mut dyn Write) -> io::Result<()>;

    /// The state a snapshot read from `input` holds, configured as `self` is (configuration
    /// such as which node types are enabled is not part of a snapshot), reading no further
    /// than the snapshot's end. Bytes that are not a snapshot are an `InvalidData` error.
    fn read_snapshot(&self, input: &mut dyn Read) -> io::Result<Self>;

    /// An equal state laid out afresh for less memory (a copy by default). A persistent
    /// map that grew by inserts keeps the nodes its splits left part empty; rebuilding it
    /// fills them. Called off the core thread (`replica::compaction`), never inside a step.
    fn compacted(&self) -> Self {
        self.clone()
    }

    /// The state serialized into memory.
    fn snapshot(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Err(e) = self.write_snapshot(&mut out) {
            unreachable!("serializing into memory failed: {e}");
        }
        out
    }

    /// The state `bytes` hold, all of them, or `None` if they are not exactly a snapshot.
    fn restore(&self, bytes: &[u8]) -> Option<Self> {
        let mut input = bytes;
        let state = self.read_snapshot(&mut input).ok()?;
        input.is_empty().then_some(state)
    }
}

/// Something that happened to the replica.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Input {
    /// One tick of the replica's clock elapsed; `now_ms` is the wall time the driver reports
    /// (simulated in tests), used to time-stamp transactions.
    Tick {
        /// The wall time in ms, stamped on the transactions this server proposes as leader.
        now_ms: i64,
    },
    /// A message from a peer.
    Peer {
        /// The sending server.
        from: ServerId,
        /// The notification or packet it sent.
        msg: PeerMsg,
    },
    /// The quorum connection to `peer` broke (the transport noticed).
    Disconnected {
        /// The server at the other end of the broken connection.
        peer: ServerId,
    },
    /// A client of this server submits a write (or a session create/close).
    Write {
        /// The client's session.
        session_id: i64,
        /// The client's request id within its session; with `session_id`, it matches the
        /// eventual `Output::Applied` or `Output::WriteRejected` to the request.
        cxid: i32,
        /// The request, encoded for `StateMachine::prepare`.
        body: Arc<Vec<u8>>,
    },
    /// Asynchronous appends are durable up to this zxid (the sync thread's fsync finished).
    Fsynced {
        /// The last zxid now durable in the log.
        zxid: Zxid,
    },
    /// With `SyncSchedule::Driven`: the leader's handler for `learner` runs `syncFollower`
    /// now, by SNAP if `snapshot`, else from the log (falling back to SNAP when the log
    /// cannot serve it). Ignored unless that handler waits to sync.
    SyncLearner {
        /// The learner whose handler syncs now.
        learner: ServerId,
        /// Sync by SNAP rather than from the log.
        snapshot: bool,
    },
    // Last: traces number the variants, and recorded ones must still decode.
    /// A client of this server opens a linearizable read (`zab.reads=linearizable`): the
    /// replica answers `Output::ReadIndex` once its leader has confirmed a read index, or
    /// `Output::ReadFailed`.
    Read {
        /// The driver's number for the read, carried by the answer.
        token: u64,
    },
    /// A packet from `peer` is still arriving (a SNAP's chunks, streamed): the connection
    /// is alive, though no whole packet came. A learner counts it as hearing from its
    /// leader, as ZooKeeper's learner times its leader out per socket read: a sync that
    /// keeps sending is not given up on however long it takes.
    Heard {
        /// The sending server.
        peer: ServerId,
    },
}

/// Something the replica asks its driver to do, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Output<O> {
    /// Send a message to a peer, on the election or the quorum plane as `msg` says.
    Send {
        /// The receiving server.
        to: ServerId,
        /// The notification or packet.
        msg: PeerMsg,
    },
    /// Close the quorum connection to `peer` (a handler or a follower gives up on it).
    Disconnect {
        /// The server at the other end.
        peer: ServerId,
    },
    /// Write `acceptedEpoch` durably.
    SaveAcceptedEpoch(u32),
    /// Write `currentEpoch` durably.
    SaveCurrentEpoch(u32),
    /// Write the `updatingEpoch` marker durably: a NEWLEADER handling for this epoch begins,
    /// and may log the leader's history before `currentEpoch` is written.
    SaveUpdatingEpoch(u32),
    /// Append to the transaction log. `fsync: true` fsyncs before the next output runs;
    /// `fsync: false` hands the entries to the sync thread, which reports `Input::Fsynced` later
    /// (group commit). With no entries and `fsync: true` it is an fsync of what was handed
    /// before (the sync thread drained at shutdown).
    Append {
        /// The records to append, in zxid order, each after the log's last.
        entries: Vec<TxnEntry>,
        /// Whether the append is durable before the next output runs.
        fsync: bool,
    },
    /// Cut the transaction log after `zxid` (TRUNC).
    Truncate {
        /// The last zxid kept; every record above it goes.
        zxid: Zxid,
    },
    /// Make this state durable as a snapshot at `zxid` (the NEWLEADER of a SNAP or TRUNC
    /// sync). The snapshot is the whole state: every log record is superseded, including any
    /// divergent tail above `zxid` (the driver truncates the log to `zxid`), as the model's
    /// disk becomes the snapshot's history.
    InstallSnapshot {
        /// The last zxid the snapshot covers.
        zxid: Zxid,
        /// The state, serialized as it is written.
        data: super::SnapshotData,
    },
    /// Store the applied state as a snapshot at `zxid` (periodic, `snapCount`): the log up
    /// to `zxid` is durable and stays on disk; the snapshot only shortens recovery and lets
    /// old log files be purged. Not a barrier: nothing after it waits for it.
    SaveSnapshot {
        /// The last applied zxid, the last one the snapshot covers.
        zxid: Zxid,
        /// The state at `zxid`, serialized by `StateMachine::snapshot` when first read.
        data: super::SnapshotData,
    },
    /// A transaction was applied. `local` is true when this server's client asked for it.
    Applied {
        /// The transaction's zxid.
        zxid: Zxid,
        /// The session of the client that asked for it.
        session_id: i64,
        /// The client's request id within its session.
        cxid: i32,
        /// This server's client asked for it, so this server replies.
        local: bool,
        /// What applying it produced, for the reply and for watchers.
        outcome: O,
    },
    /// A client write cannot be served now (no leader, or this server is not in broadcast).
    WriteRejected {
        /// The session of the client that asked.
        session_id: i64,
        /// The client's request id within its session.
        cxid: i32,
    },
    /// The read `token` may be answered once this server has applied `zxid`: a quorum
    /// confirmed the leader after the read was asked, and `zxid` was its last committed zxid
    /// then.
    ReadIndex {
        /// The `Input::Read`'s token.
        token: u64,
        /// The read index: answer once the applied state has reached it.
        zxid: Zxid,
    },
    /// The read `token` cannot be answered here (not in broadcast, or the leader was lost
    /// before it confirmed): its client retries elsewhere.
    ReadFailed {
        /// The `Input::Read`'s token.
        token: u64,
    },
    /// The replica changed role (for logs, metrics and the four-letter words).
    RoleChanged {
        /// The new state: LOOKING, LEADING, FOLLOWING or OBSERVING.
        state: super::messages::ServerState,
        /// The leader it follows or is (`None` when LOOKING).
        leader: Option<ServerId>,
        /// This server's currentEpoch at the change (after an election, not yet the new
        /// leader's epoch: discovery fixes that later).
        epoch: u32,
    },
}

/// What a replica starts from: what recovery found on disk.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Durable {
    /// acceptedEpoch: the last epoch this server accepted from a LEADERINFO (or fixed as
    /// leader).
    pub accepted_epoch: u32,
    /// currentEpoch: the epoch of the last NEWLEADER this server handled (or, as leader, its
    /// epoch once a quorum sent ACKEPOCH).
    pub current_epoch: u32,
    /// The snapshot's zxid and bytes, if any.
    pub snapshot: Option<(Zxid, Arc<Vec<u8>>)>,
    /// The log records after the snapshot, in zxid order.
    pub log: Vec<TxnEntry>,
}
