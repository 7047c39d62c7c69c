//! The CAS-register workload's operations and its checks. Each key is a znode whose data is
//! a number and whose `Stat.version` counts its writes: a read returns both, a write
//! (`setData` with version -1) or a compare-and-set (`setData` with the version read
//! before) returns the new version.
//!
//! What ZooKeeper promises, checked here: writes are linearizable (all go through the
//! leader in zxid order); a read may be stale (a server answers from its own replica) but a
//! client never goes back (its versions of a key never decrease, and it sees its own
//! writes), and it only ever reads a value some write may have written. With
//! `zab.reads=linearizable` reads are linearizable too, and the whole history is checked.

use super::history::{Operation, Outcome};
use super::linearizable::{self, Model, Refuted};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An operation on one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegisterOp {
    /// getData.
    Read {
        /// The key.
        key: u32,
    },
    /// setData of `value` whatever the version.
    Write {
        /// The key.
        key: u32,
        /// The value written.
        value: u32,
    },
    /// setData of `value` if the key is at `version`.
    Cas {
        /// The key.
        key: u32,
        /// The version expected.
        version: i32,
        /// The value written.
        value: u32,
    },
}

impl RegisterOp {
    /// The key it acts on.
    pub fn key(&self) -> u32 {
        match *self {
            RegisterOp::Read { key }
            | RegisterOp::Write { key, .. }
            | RegisterOp::Cas { key, .. } => key,
        }
    }

    /// The value it writes, if it writes.
    pub fn value(&self) -> Option<u32> {
        match *self {
            RegisterOp::Read { .. } => None,
            RegisterOp::Write { value, .. } | RegisterOp::Cas { value, .. } => Some(value),
        }
    }
}

/// What a register operation returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegisterRet {
    /// A read's value and version.
    Read {
        /// The value.
        value: u32,
        /// Its version.
        version: i32,
    },
    /// A write's new version.
    Written {
        /// The version.
        version: i32,
    },
}

/// One key as a register: (value, version), starting at (0, 0), the workload's create.
pub struct Register;

impl Model for Register {
    type State = (u32, i32);
    type Op = RegisterOp;
    type Ret = RegisterRet;

    fn init(&self) -> (u32, i32) {
        (0, 0)
    }

    fn step(
        &self,
        s: &(u32, i32),
        op: &RegisterOp,
        ret: Option<&RegisterRet>,
    ) -> Option<(u32, i32)> {
        let next = s.1 + 1;
        match (*op, ret) {
            (RegisterOp::Read { .. }, None) => Some(*s),
            (RegisterOp::Read { .. }, Some(&RegisterRet::Read { value, version })) => {
                ((value, version) == *s).then_some(*s)
            }
            (RegisterOp::Write { value, .. }, None) => Some((value, next)),
            (RegisterOp::Cas { version, value, .. }, None) => {
                Some(if version == s.1 { (value, next) } else { *s })
            }
            (RegisterOp::Write { value, .. }, Some(&RegisterRet::Written { version })) => {
                (version == next).then_some((value, next))
            }
            (
                RegisterOp::Cas {
                    version: expected,
                    value,
                    ..
                },
                Some(&RegisterRet::Written { version }),
            ) => (expected == s.1 && version == next).then_some((value, next)),
            _ => None,
        }
    }
}

/// An operation of the history.
pub type RegisterOperation = Operation<RegisterOp, RegisterRet>;

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
    #[error("key {key}: operation {op} read version {read} after its client saw {seen}")]
    WentBack {
        /// The key.
        key: u32,
        /// The read.
        op: usize,
        /// The version it read.
        read: i32,
        /// The version seen before.
        seen: i32,
    },
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
}

/// Which checks apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    /// ZooKeeper's reads: possibly stale, never going back.
    Sequential,
    /// `zab.reads=linearizable`: every operation linearizable.
    Linearizable,
}

/// Every anomaly of a register history; `budget` bounds each key's search.
pub fn check(ops: &[RegisterOperation], reads: Reads, budget: u64) -> Vec<Anomaly> {
    let mut anomalies = Vec::new();
    let mut by_key: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, op) in ops.iter().enumerate() {
        let is_read = matches!(op.op, RegisterOp::Read { .. });
        if reads == Reads::Linearizable || !is_read {
            by_key.entry(op.op.key()).or_default().push(i);
        }
    }
    for (key, indices) in by_key {
        let keyed: Vec<RegisterOperation> = indices.iter().map(|&i| ops[i].clone()).collect();
        if let Err(refuted) = linearizable::check(&Register, &keyed, budget) {
            anomalies.push(Anomaly::NotLinearizable {
                key,
                refuted: renumber(refuted, &indices),
            });
        }
    }
    anomalies.extend(went_back(ops));
    anomalies.extend(never_written(ops));
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
            found.push(Anomaly::WentBack {
                key,
                op: i,
                read: version,
                seen: *last,
            });
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

#[cfg(test)]
mod tests;
