//! The CAS-register workload's operations and its checks. Each key is a znode whose data is
//! a number and whose `Stat.version` counts its writes: a read returns both, a write
//! (`setData` with version -1) or a compare-and-set (`setData` with the version read
//! before) returns the new version.
//!
//! What ZooKeeper promises, checked here: writes are linearizable (all go through the
//! leader in zxid order); a read may be stale (a server answers from its own replica) but a
//! client never goes back (its versions of a key never decrease, and it sees its own
//! writes), and it only ever reads a value some write may have written. A read after a
//! `sync` sees every write acknowledged before the sync began, as far as the leader that
//! answers the sync still leads (ZooKeeper does not confirm that with a quorum, so a
//! deposed leader's stale answer is allowed and reported apart). With
//! `zab.reads=linearizable` reads are linearizable too, and the whole history is checked.

use super::history::Operation;
use super::linearizable::Model;
use serde::{Deserialize, Serialize};

/// An operation on one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegisterOp {
    /// getData.
    Read {
        /// The key.
        key: u32,
    },
    /// sync, then getData on the same session.
    SyncRead {
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
            | RegisterOp::SyncRead { key }
            | RegisterOp::Write { key, .. }
            | RegisterOp::Cas { key, .. } => key,
        }
    }

    /// Whether it is a read.
    pub fn is_read(&self) -> bool {
        matches!(self, RegisterOp::Read { .. } | RegisterOp::SyncRead { .. })
    }

    /// The value it writes, if it writes.
    pub fn value(&self) -> Option<u32> {
        match *self {
            RegisterOp::Read { .. } | RegisterOp::SyncRead { .. } => None,
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

/// One key as a register: (value, version). A campaign's keys start at (0, 0), the
/// workload's create (`Register::CREATED`); a window cut out of a history starts anywhere
/// (`Register::ANY`), the first answer telling where.
#[derive(Clone, Copy, Debug)]
pub struct Register {
    /// The state before the first operation, if known.
    pub start: Option<(u32, i32)>,
}

impl Register {
    /// A key as the workload creates it.
    pub const CREATED: Register = Register {
        start: Some((0, 0)),
    };
    /// A key in any state.
    pub const ANY: Register = Register { start: None };
}

impl Model for Register {
    /// `None`: not known yet (only from `Register::ANY`).
    type State = Option<(u32, i32)>;
    type Op = RegisterOp;
    type Ret = RegisterRet;

    fn init(&self) -> Option<(u32, i32)> {
        self.start
    }

    fn step(
        &self,
        s: &Option<(u32, i32)>,
        op: &RegisterOp,
        ret: Option<&RegisterRet>,
    ) -> Option<Option<(u32, i32)>> {
        match s {
            Some(s) => step_known(*s, op, ret).map(Some),
            None => Some(step_unknown(op, ret)),
        }
    }

    fn is_pure(&self, op: &RegisterOp) -> bool {
        op.is_read()
    }
}

/// A step from a known state.
fn step_known(s: (u32, i32), op: &RegisterOp, ret: Option<&RegisterRet>) -> Option<(u32, i32)> {
    let next = s.1 + 1;
    match (*op, ret) {
        (op, None) if op.is_read() => Some(s),
        (op, Some(&RegisterRet::Read { value, version })) if op.is_read() => {
            ((value, version) == s).then_some(s)
        }
        (RegisterOp::Write { value, .. }, None) => Some((value, next)),
        (RegisterOp::Cas { version, value, .. }, None) => {
            Some(if version == s.1 { (value, next) } else { s })
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

/// A step from a state not known yet: an answer makes it known (a CAS answered must have
/// found its version), anything else leaves it unknown.
fn step_unknown(op: &RegisterOp, ret: Option<&RegisterRet>) -> Option<(u32, i32)> {
    match (*op, ret) {
        (op, Some(&RegisterRet::Read { value, version })) if op.is_read() => Some((value, version)),
        (RegisterOp::Write { value, .. }, Some(&RegisterRet::Written { version })) => {
            Some((value, version))
        }
        (
            RegisterOp::Cas {
                version: expected,
                value,
                ..
            },
            Some(&RegisterRet::Written { version }),
        ) if version == expected + 1 => Some((value, version)),
        _ => None,
    }
}

/// An operation of the history.
pub type RegisterOperation = Operation<RegisterOp, RegisterRet>;

mod checks;
pub use checks::{check, Anomaly, Reads};

#[cfg(test)]
pub(crate) mod example;
#[cfg(test)]
mod tests;
