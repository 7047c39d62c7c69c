//! The replicated state of a ZooKeeper server (`ZKDatabase`): the DataTree and the table of
//! global sessions with their timeouts (`sessionsWithTimeouts`) and passwords. This is the state machine the
//! Zab replica replicates: the leader prepares client writes against it, every server applies
//! committed transactions to it, and a snapshot holds both parts.
//!
//! A client write travels from the server that received it to the leader as a
//! [`ClientWrite`]: the request and the identities of the caller (the ACL check runs on the
//! leader, which must know who asked and from which address). The leader checks the session
//! against its table (`checkSession`), so a write of a session whose close-session
//! transaction is already proposed fails as ZooKeeper's does.
//!
//! Expiry timing is not replicated state: it is the leader's `SessionTracker`, rebuilt from
//! [`ZkDatabase::sessions`] when a server starts leading, as ZooKeeper's `LeaderSessionTracker`
//! is.

mod snapshot;

#[cfg(test)]
mod tests;

pub use snapshot::DatabaseSnapshotError;

use crate::data_tree::{ApplyOutcome, Caller, DataTree, Request, RequestContext, TreeOptions};
use crate::error::ZkError;
use crate::replica::StateMachine;
use crate::session::{Password, SessionStatus};
use crate::txn::{Txn, TxnEntry};
use crate::zxid::Zxid;
use imbl::OrdMap;
use serde::{Deserialize, Serialize};

/// The largest transaction a leader proposes, encoded: what a log record holds once its link
/// and the entry's header are counted. A write whose transaction would be larger becomes a
/// `BadArguments` error transaction instead.
pub const MAX_TXN_BYTES: usize =
    crate::storage::framing::MAX_RECORD_LEN as usize - crate::storage::framing::LINK_LEN - 64;

/// The largest forwarded write the leader decodes: a log record's worth. The client port
/// bounds each request by `jute.maxbuffer` (`config::MAX_JUTE_BUFFER` at most, half of this),
/// so this limit only refuses what no client request can make, and never a write the
/// configuration allows. A body claiming more is refused, not allocated.
pub const MAX_WRITE_BYTES: u64 = MAX_TXN_BYTES as u64;

/// A client write as the receiving server forwards it to the leader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientWrite {
    /// Who asked: the connection's `addAuth` identities and the client's address, for the
    /// leader's ACL check.
    pub caller: Caller,
    /// The write request itself.
    pub request: Request,
}

impl ClientWrite {
    /// The write `request` made by `caller`.
    pub fn new(caller: Caller, request: Request) -> ClientWrite {
        ClientWrite { caller, request }
    }

    /// The body of `Input::Write` (and of a forwarded REQUEST).
    pub fn encode(&self) -> Vec<u8> {
        // Only a write over the limit is refused; the server refuses those before this
        // point, and an empty body decodes as malformed, so the leader answers with an error.
        match crate::encoding::encode(self) {
            Ok(body) if body.len() as u64 <= MAX_WRITE_BYTES => body,
            _ => Vec::new(),
        }
    }

    /// The leader reads a forwarded body back; one over `MAX_WRITE_BYTES` or one that does
    /// not decode (an empty body among them) is a `ZkError::MarshallingError`.
    pub fn decode(bytes: &[u8]) -> Result<ClientWrite, ZkError> {
        if bytes.len() as u64 > MAX_WRITE_BYTES {
            return Err(ZkError::MarshallingError);
        }
        crate::encoding::decode(bytes).map_err(|_| ZkError::MarshallingError)
    }
}

/// An open global session, as the replicated table keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenSession {
    /// The negotiated timeout, in ms.
    pub timeout_ms: i32,
    /// The password its creating server drew; the client resumes with it.
    pub password: Password,
}

/// The DataTree and the global sessions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ZkDatabase {
    tree: DataTree,
    /// Every open global session by id.
    sessions: OrdMap<i64, OpenSession>,
}

impl ZkDatabase {
    /// An empty tree and no sessions, with the server's `options`.
    pub fn new(options: TreeOptions) -> ZkDatabase {
        ZkDatabase {
            tree: DataTree::new().with_options(options),
            sessions: OrdMap::new(),
        }
    }

    /// An empty tree with `sessions` open: the state a simulated ensemble starts from when
    /// its clients' sessions predate the run.
    pub fn with_open_sessions(
        options: TreeOptions,
        sessions: impl IntoIterator<Item = (i64, OpenSession)>,
    ) -> ZkDatabase {
        ZkDatabase {
            sessions: sessions.into_iter().collect(),
            ..ZkDatabase::new(options)
        }
    }

    /// The DataTree, for reads.
    pub fn tree(&self) -> &DataTree {
        &self.tree
    }

    /// The zxid of the last transaction applied (`lastProcessedZxid`).
    pub fn last_zxid(&self) -> Zxid {
        self.tree.last_zxid()
    }

    /// The open sessions and their timeouts, in id order.
    pub fn sessions(&self) -> impl Iterator<Item = (i64, i32)> + '_ {
        self.sessions.iter().map(|(&id, s)| (id, s.timeout_ms))
    }

    /// The negotiated timeout (ms) of an open session, or `None` if it is not open.
    pub fn session_timeout(&self, session_id: i64) -> Option<i32> {
        self.sessions.get(&session_id).map(|s| s.timeout_ms)
    }

    /// An open session whose password is `presented`; `None` if the session is not open or
    /// the password is not its own.
    pub fn resume(&self, session_id: i64, presented: &[u8]) -> Option<OpenSession> {
        let s = self.sessions.get(&session_id)?;
        s.password.matches(presented).then_some(*s)
    }

    /// The password of an open session, for the answer to the handshake that created it.
    pub fn session_password(&self, session_id: i64) -> Option<Password> {
        self.sessions.get(&session_id).map(|s| s.password)
    }

    /// `checkSession` against the replicated table: an open session is active; any other id
    /// is unknown to this ensemble (never created, or closed and gone).
    fn session_status(&self, session_id: i64) -> SessionStatus {
        if self.sessions.contains_key(&session_id) {
            SessionStatus::Active
        } else {
            SessionStatus::Unknown
        }
    }
}

impl StateMachine for ZkDatabase {
    type Outcome = ApplyOutcome;

    /// Decodes the forwarded `ClientWrite` and prepares it with the session's status
    /// from the table; a body that does not decode is a MarshallingError transaction.
    fn prepare(&self, session_id: i64, body: &[u8], zxid: Zxid, time_ms: i64) -> Txn {
        let write = match ClientWrite::decode(body) {
            Ok(w) => w,
            Err(e) => return Txn::Error(e),
        };
        let ctx = RequestContext::new(session_id, zxid, time_ms)
            .with_caller(write.caller)
            .with_session(self.session_status(session_id));
        let txn = self.tree.prepare_txn(&write.request, &ctx);
        // A transaction the log cannot hold must never be proposed: the leader's disk write
        // would fail, and the next leader would fail on the client's retry (ZooKeeper bounds
        // only the request packet, not what its ACL expands to).
        match crate::encoding::encoded_len(&txn) {
            Ok(len) if len <= MAX_TXN_BYTES => txn,
            _ => Txn::Error(ZkError::BadArguments),
        }
    }

    /// `ZKDatabase.processTxn`: the tree applies it; a session transaction also opens or ends
    /// the session here.
    fn apply(&mut self, entry: &TxnEntry) -> ApplyOutcome {
        let session = entry.header.session_id;
        match &entry.txn {
            Txn::CreateSession {
                timeout_ms,
                password,
            } => {
                let open = OpenSession {
                    timeout_ms: *timeout_ms,
                    password: *password,
                };
                self.sessions.insert(session, open);
            }
            Txn::CloseSession => {
                self.sessions.remove(&session);
            }
            _ => {}
        }
        self.tree.apply(entry)
    }

    /// The tree's node map and the session table rebuilt with full leaves.
    fn compacted(&self) -> ZkDatabase {
        ZkDatabase {
            tree: self.tree.compacted(),
            sessions: crate::data_tree::repacked(&self.sessions),
        }
    }

    fn write_snapshot(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        snapshot::write(self, out)
    }

    fn read_snapshot(&self, input: &mut dyn std::io::Read) -> std::io::Result<ZkDatabase> {
        snapshot::read(input, self.tree.options()).map_err(|e| match e {
            snapshot::DatabaseSnapshotError::Io(e) => e,
            e => std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })
    }
}
