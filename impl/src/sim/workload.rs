//! What the simulator asks of a state machine: a write carrying a unique value, and a way to
//! find values in transactions, states and snapshots, so that every acknowledged write can be
//! looked for everywhere. Two state machines run under it: [`Values`], a bare list that keeps
//! runs fast, and the real [`ZkDatabase`], whose writes are znode creates by open sessions.

use super::values::Values;
use crate::acl::Acl;
use crate::data_tree::{Caller, CreateRequest, Request};
use crate::database::{ClientWrite, OpenSession, ZkDatabase};
use crate::replica::StateMachine;
use crate::session::Password;
use crate::txn::{CreateMode, Txn, TxnEntry};

/// A state machine the simulator can replicate and check: it can make a write for any value
/// and find that value again in a transaction, a state or a snapshot.
pub trait Workload: StateMachine + PartialEq {
    /// The state every server starts from; each client session in `sessions` is open in it.
    fn genesis(sessions: &[i64]) -> Self;

    /// The body of a write that carries `v`.
    fn write(v: u64) -> Vec<u8>;

    /// The value a committed transaction carries, if it is one of the workload's writes.
    fn value_of(e: &TxnEntry) -> Option<u64>;

    /// The values this state holds, in the order they were applied.
    fn values(&self) -> Vec<u64>;

    /// Whether this state holds `v`; by default a search of `values`, which an implementor
    /// with an index can answer faster.
    fn holds(&self, v: u64) -> bool {
        self.values().contains(&v)
    }

    /// Whether a serialized snapshot holds `v`.
    fn snapshot_holds(bytes: &[u8], v: u64) -> bool {
        Self::genesis(&[])
            .restore(bytes)
            .is_some_and(|s| s.holds(v))
    }
}

impl Workload for Values {
    fn genesis(_: &[i64]) -> Values {
        Values::default()
    }
    fn write(v: u64) -> Vec<u8> {
        Values::body(v)
    }
    fn value_of(e: &TxnEntry) -> Option<u64> {
        Values::value_of(e)
    }
    fn values(&self) -> Vec<u64> {
        self.0.clone()
    }
}

/// The znode a database write creates for `v`.
fn node_of(v: u64) -> String {
    format!("/v{v:020}")
}

impl Workload for ZkDatabase {
    fn genesis(sessions: &[i64]) -> ZkDatabase {
        // Nothing resumes these sessions in a simulation, so the password is never checked.
        let open = OpenSession {
            timeout_ms: 30_000,
            password: Password::default(),
        };
        ZkDatabase::with_open_sessions(Default::default(), sessions.iter().map(|&s| (s, open)))
    }

    fn write(v: u64) -> Vec<u8> {
        let create = CreateRequest::new(
            &node_of(v),
            &v.to_be_bytes(),
            Acl::open_unsafe(),
            CreateMode::Persistent,
        );
        ClientWrite::new(Caller::anonymous(), Request::Create(create)).encode()
    }

    fn value_of(e: &TxnEntry) -> Option<u64> {
        match &e.txn {
            Txn::Create { path, .. } => path.strip_prefix("/v")?.parse().ok(),
            _ => None,
        }
    }

    /// The workload's znodes in creation order (by czxid).
    fn values(&self) -> Vec<u64> {
        let mut found: Vec<(crate::zxid::Zxid, u64)> = self
            .tree()
            .iter()
            .filter_map(|(path, node)| {
                let v = path.strip_prefix("/v")?.parse().ok()?;
                Some((node.stat().czxid, v))
            })
            .collect();
        found.sort_unstable();
        found.into_iter().map(|(_, v)| v).collect()
    }

    fn holds(&self, v: u64) -> bool {
        self.tree().node(&node_of(v)).is_some()
    }
}
