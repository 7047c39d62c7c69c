//! The queue workload's operations and checks. Each enqueue is a persistent sequential
//! create under one parent, its value in the name's prefix (`v{value}-`), so the queue's
//! final state is one getChildren. ZooKeeper numbers sequential children from the parent's
//! child counter in zxid order, so the sequence numbers say the order the writes committed.
//!
//! Checked against the final state read after the healing phase: every acknowledged
//! enqueue is there once, under the sequence number it was told; nothing is there that no
//! enqueue that may have happened wrote; and an enqueue acknowledged before another began
//! has the smaller number (zxid order agrees with real time).

use super::history::{Operation, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An enqueue of a unique value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enqueue {
    /// The value.
    pub value: u32,
}

/// Its sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enqueued {
    /// The number ZooKeeper appended to the name.
    pub seq: u64,
}

/// An operation of the history.
pub type QueueOperation = Operation<Enqueue, Enqueued>;

/// The parent of the queue's nodes.
pub const PARENT: &str = "/chaos-queue";

/// The name prefix of `value`'s node.
pub fn prefix(value: u32) -> String {
    format!("{PARENT}/v{value}-")
}

/// A child's (value, sequence number), if it is one of the queue's names.
pub fn parse_child(name: &str) -> Option<(u32, u64)> {
    let (value, seq) = name.strip_prefix('v')?.split_once('-')?;
    Some((value.parse().ok()?, seq.parse().ok()?))
}

/// Something the queue shows that ZooKeeper does not allow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueueAnomaly {
    /// An acknowledged enqueue is not in the final state.
    #[error("operation {op}: value {value} was acknowledged as {seq} and is gone")]
    Lost {
        /// The enqueue.
        op: usize,
        /// Its value.
        value: u32,
        /// The number it was told.
        seq: u64,
    },
    /// A value is in the final state under another number than it was told.
    #[error("operation {op}: value {value} was acknowledged as {told} and is at {found}")]
    Renumbered {
        /// The enqueue.
        op: usize,
        /// Its value.
        value: u32,
        /// The number it was told.
        told: u64,
        /// The number it has.
        found: u64,
    },
    /// A value is in the final state more than once.
    #[error("value {value} is in the queue {count} times")]
    Duplicated {
        /// The value.
        value: u32,
        /// How often.
        count: usize,
    },
    /// A value is in the final state that no enqueue which may have happened wrote.
    #[error("value {value} at {seq} was never enqueued, or its enqueue failed")]
    Phantom {
        /// The value.
        value: u32,
        /// Its number.
        seq: u64,
    },
    /// An enqueue acknowledged before another began has the larger number.
    #[error("operation {first} ended before operation {second} began, yet has number {a} > {b}")]
    OutOfOrder {
        /// The earlier enqueue.
        first: usize,
        /// The later one.
        second: usize,
        /// Their numbers.
        a: u64,
        /// Their numbers.
        b: u64,
    },
}

/// Every anomaly of a queue history against its final state (value, number).
pub fn check(ops: &[QueueOperation], fin: &[(u32, u64)]) -> Vec<QueueAnomaly> {
    let mut found = Vec::new();
    let mut present: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    for &(value, seq) in fin {
        present.entry(value).or_default().push(seq);
    }
    for (&value, seqs) in &present {
        if seqs.len() > 1 {
            found.push(QueueAnomaly::Duplicated {
                value,
                count: seqs.len(),
            });
        }
    }
    let by_value: BTreeMap<u32, usize> = ops
        .iter()
        .enumerate()
        .map(|(i, o)| (o.op.value, i))
        .collect();
    for &(value, seq) in fin {
        if !by_value
            .get(&value)
            .is_some_and(|&i| ops[i].may_have_happened())
        {
            found.push(QueueAnomaly::Phantom { value, seq });
        }
    }
    let mut acked: Vec<(usize, u64, u64, u64)> = Vec::new();
    for (i, o) in ops.iter().enumerate() {
        let Some((end, Outcome::Ok, Some(Enqueued { seq }))) = o.completed else {
            continue;
        };
        acked.push((i, o.invoked_us, end, seq));
        match present.get(&o.op.value).map(|s| s[0]) {
            None => found.push(QueueAnomaly::Lost {
                op: i,
                value: o.op.value,
                seq,
            }),
            Some(at) if at != seq => found.push(QueueAnomaly::Renumbered {
                op: i,
                value: o.op.value,
                told: seq,
                found: at,
            }),
            Some(_) => {}
        }
    }
    found.extend(out_of_order(&mut acked));
    found
}

/// Pairs of acknowledged enqueues whose numbers disagree with real time: sweeping by
/// invocation, each is compared with the largest number among those that ended before it
/// began.
fn out_of_order(acked: &mut [(usize, u64, u64, u64)]) -> Vec<QueueAnomaly> {
    let mut by_end: Vec<(u64, u64, usize)> = acked.iter().map(|a| (a.2, a.3, a.0)).collect();
    by_end.sort_unstable();
    acked.sort_unstable_by_key(|a| a.1);
    let mut found = Vec::new();
    let (mut k, mut max): (usize, Option<(u64, usize)>) = (0, None);
    for &(op, invoked, _, seq) in acked.iter() {
        while k < by_end.len() && by_end[k].0 < invoked {
            let (_, s, o) = by_end[k];
            if max.is_none_or(|(m, _)| s > m) {
                max = Some((s, o));
            }
            k += 1;
        }
        if let Some((m, first)) = max {
            if m > seq {
                found.push(QueueAnomaly::OutOfOrder {
                    first,
                    second: op,
                    a: m,
                    b: seq,
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests;
