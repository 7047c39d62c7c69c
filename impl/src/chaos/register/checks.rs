//! The register history's checks: writes linearizable, reads never going back and only
//! returning written values, reads after a sync not older than what was acknowledged
//! before it; everything linearizable when reads are meant to be.

use super::{Register, RegisterOp, RegisterOperation, RegisterRet};
use crate::chaos::history::{Outcome, WentBack};
use crate::chaos::linearizable::{self, Refuted};
use std::collections::BTreeMap;

/// Something the history shows that ZooKeeper does not allow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Anomaly {
    /// The key's operations (the writes only, unless reads are linearizable) have no
    /// linearization. Indices are into the whole history.
    #[error("key {key}: {refuted}")]
    NotLinearizable {
        /// The key.
        key: u32,
        /// Why, with indices into the whole history.
        refuted: Refuted,
    },
    /// A client read a version of a key older than one it had seen.
    #[error(transparent)]
    WentBack(#[from] WentBack),
    /// A read returned a value no write that may have happened wrote at that version.
    #[error("key {key}: operation {op} read {value} at version {version}, which no write wrote")]
    NeverWritten {
        /// The key.
        key: u32,
        /// The read.
        op: usize,
        /// What it read.
        value: u32,
        /// At which version.
        version: i32,
    },
    /// A read after a sync returned a version older than a write acknowledged before the
    /// sync began.
    #[error(
        "key {key}: operation {op} read version {read} after a sync, \
         but version {acknowledged} was acknowledged before the sync began"
    )]
    StaleAfterSync {
        /// The key.
        key: u32,
        /// The sync and read.
        op: usize,
        /// The version it read.
        read: i32,
        /// The newest version acknowledged before it.
        acknowledged: i32,
    },
}

impl Anomaly {
    /// Whether ZooKeeper's guarantees allow it under `reads`: a stale read after a sync
    /// is, with ZooKeeper's reads, since a leader answers a sync without asking a quorum
    /// whether it still leads (a deposed leader that has not noticed yet answers from its
    /// own state).
    pub fn allowed(&self, reads: Reads) -> bool {
        reads == Reads::Sequential && matches!(self, Anomaly::StaleAfterSync { .. })
    }
}

/// Which checks apply: the servers' `zab.reads` (ZooKeeper's reads are sequential).
pub use crate::config::Reads;

impl Reads {
    /// Whether the linearizability check takes `op` (reads only if they are linearizable).
    pub fn checks(self, op: &RegisterOp) -> bool {
        self == Reads::Linearizable || !op.is_read()
    }
}

/// Every anomaly of a register history; `budget` bounds each key's search.
pub fn check(ops: &[RegisterOperation], reads: Reads, budget: u64) -> Vec<Anomaly> {
    let mut anomalies = Vec::new();
    let mut by_key: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, op) in ops.iter().enumerate() {
        if reads.checks(&op.op) {
            by_key.entry(op.op.key()).or_default().push(i);
        }
    }
    for (key, indices) in by_key {
        let keyed: Vec<RegisterOperation> = indices.iter().map(|&i| ops[i].clone()).collect();
        if let Err(refuted) = linearizable::check(&Register::CREATED, &keyed, budget) {
            anomalies.push(Anomaly::NotLinearizable {
                key,
                refuted: renumber(refuted, &indices),
            });
        }
    }
    anomalies.extend(went_back(ops));
    anomalies.extend(never_written(ops));
    anomalies.extend(stale_after_sync(ops));
    anomalies
}

/// Indices into a key's operations made indices into the history.
fn renumber(refuted: Refuted, indices: &[usize]) -> Refuted {
    match refuted {
        Refuted::NotLinearizable { op, longest } => Refuted::NotLinearizable {
            op: indices[op],
            longest: longest.into_iter().map(|i| indices[i]).collect(),
        },
        gave_up => gave_up,
    }
}

/// What an operation returned, if it completed with an answer.
fn ret(op: &RegisterOperation) -> Option<RegisterRet> {
    match op.completed {
        Some((_, Outcome::Ok, r)) => r,
        _ => None,
    }
}

/// Reads that return a version of a key older than one their client read or wrote.
fn went_back(ops: &[RegisterOperation]) -> Vec<Anomaly> {
    let mut order: Vec<usize> = (0..ops.len()).collect();
    order.sort_by_key(|&i| ops[i].invoked_us);
    let mut seen: BTreeMap<(u32, u32), i32> = BTreeMap::new();
    let mut found = Vec::new();
    for i in order {
        let key = ops[i].op.key();
        let (version, is_read) = match ret(&ops[i]) {
            Some(RegisterRet::Read { version, .. }) => (version, true),
            Some(RegisterRet::Written { version }) => (version, false),
            None => continue,
        };
        let last = seen.entry((ops[i].process, key)).or_insert(0);
        if is_read && version < *last {
            found.push(Anomaly::from(WentBack {
                key,
                op: i,
                read: version,
                seen: *last,
            }));
        }
        *last = (*last).max(version);
    }
    found
}

/// Reads whose (value, version) no write that may have happened produced.
fn never_written(ops: &[RegisterOperation]) -> Vec<Anomaly> {
    let mut writes: BTreeMap<(u32, u32), Vec<&RegisterOperation>> = BTreeMap::new();
    for w in ops.iter().filter(|w| w.may_have_happened()) {
        if let Some(value) = w.op.value() {
            writes.entry((w.op.key(), value)).or_default().push(w);
        }
    }
    let mut found = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let Some(RegisterRet::Read { value, version }) = ret(op) else {
            continue;
        };
        let key = op.op.key();
        let read_at = op.completed.map_or(u64::MAX, |c| c.0);
        let written = writes.get(&(key, value)).is_some_and(|ws| {
            ws.iter().any(|w| {
                w.invoked_us <= read_at
                    && ret(w).is_none_or(|r| r == RegisterRet::Written { version })
            })
        });
        if (value, version) != (0, 0) && !written {
            found.push(Anomaly::NeverWritten {
                key,
                op: i,
                value,
                version,
            });
        }
    }
    found
}

/// Reads after a sync that return a version older than a write on their key acknowledged
/// before the sync was invoked.
fn stale_after_sync(ops: &[RegisterOperation]) -> Vec<Anomaly> {
    // (acknowledged at, version) of each key's acknowledged writes, in time order, with
    // the newest version acknowledged by then.
    let mut acked: BTreeMap<u32, Vec<(u64, i32)>> = BTreeMap::new();
    for op in ops {
        if let (Some(RegisterRet::Written { version }), Some((at, ..))) = (ret(op), op.completed) {
            acked.entry(op.op.key()).or_default().push((at, version));
        }
    }
    for writes in acked.values_mut() {
        writes.sort_unstable();
        let mut newest = 0;
        for w in writes.iter_mut() {
            newest = newest.max(w.1);
            w.1 = newest;
        }
    }
    let mut found = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let (RegisterOp::SyncRead { key }, Some(RegisterRet::Read { version, .. })) =
            (op.op, ret(op))
        else {
            continue;
        };
        let writes = acked.get(&key).map_or(&[][..], Vec::as_slice);
        let before = writes.partition_point(|&(at, _)| at < op.invoked_us);
        if let Some(&(_, acknowledged)) = before.checked_sub(1).map(|b| &writes[b]) {
            if version < acknowledged {
                found.push(Anomaly::StaleAfterSync {
                    key,
                    op: i,
                    read: version,
                    acknowledged,
                });
            }
        }
    }
    found
}
