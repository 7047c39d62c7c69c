//! The watch workload's operations and checks. Each key is a znode that writers change by
//! setData; every operation's answer carries the notifications that arrived on its
//! connection before it (so the history keeps their order against the replies).
//!
//! What ZooKeeper promises, per connection: a client sees the event for a change before it
//! sees the data of that change; what it reads of a key never goes back; events arrive in
//! zxid order; and a persistent watch (`addWatch`) misses no change while the connection
//! stays up. Each check reads one process (one connection) of the history in order:
//! - `WentBack`: a read older than what the process saw before;
//! - `DataBeforeEvent`: a watched read returned version v, and a later read returned a
//!   newer version with no event for the key in between;
//! - `MissedEvents`: after a persistent watch and a first read at version v0, a read at
//!   version V came with fewer than V − v0 events for the key since that first read (each
//!   setData is one version and one NodeDataChanged);
//! - `OutOfOrder`: an event's zxid is below the one before it;
//! - `NeverSawFinal` (`check_run` with the run's end): writes stop a little before the run
//!   ends; a connection that stayed up through that quiet end must have heard of every
//!   change to its persistent watch's key, up to the key's final version.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::history::{Operation, Outcome, WentBack};

/// The keys' znodes.
pub fn path(key: u32) -> String {
    format!("/chaos-watch-{key}")
}

/// The key of a znode path, if it is one.
pub fn key_of(path: &str) -> Option<u32> {
    path.strip_prefix("/chaos-watch-")?.parse().ok()
}

/// An operation of a watching client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WatchOp {
    /// setData of `value`.
    Write {
        /// The key.
        key: u32,
        /// The value.
        value: u32,
    },
    /// getData leaving a one-time watch.
    Read {
        /// The key.
        key: u32,
    },
    /// addWatch, persistent.
    Watch {
        /// The key.
        key: u32,
    },
    /// Waits a little for notifications.
    Wait,
}

/// A NodeDataChanged event: its key and zxid (-1 where the server gives none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The key.
    pub key: u32,
    /// The change's zxid.
    pub zxid: i64,
}

/// An answer: the version read or written, if any, and the events that came before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchRet {
    /// The version read or written.
    pub version: Option<i32>,
    /// The events that arrived since the previous answer.
    pub events: Vec<Event>,
}

/// An operation of the history.
pub type WatchOperation = Operation<WatchOp, WatchRet>;

/// Something the history shows that ZooKeeper does not allow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WatchAnomaly {
    /// A read older than what its client had seen.
    #[error(transparent)]
    WentBack(#[from] WentBack),
    /// New data seen before the event of its change.
    #[error(
        "key {key}: operation {op} read version {read} with no event since its watch at {watched}"
    )]
    DataBeforeEvent {
        /// The key.
        key: u32,
        /// The read.
        op: usize,
        /// What it read.
        read: i32,
        /// The version the watch was left at.
        watched: i32,
    },
    /// A persistent watch missed changes.
    #[error("key {key}: operation {op} read version {read}, {expected} changes after {from}, and saw {got} events")]
    MissedEvents {
        /// The key.
        key: u32,
        /// The read.
        op: usize,
        /// What it read.
        read: i32,
        /// The version of the first read after the watch.
        from: i32,
        /// Changes in between.
        expected: i32,
        /// Events seen in between.
        got: i32,
    },
    /// A connection up to the end did not hear of every change of its watched key.
    #[error(
        "process {process}, key {key}: heard of changes up to version {saw}, the last is {last}"
    )]
    NeverSawFinal {
        /// The process (connection).
        process: u32,
        /// Its persistent watch's key.
        key: u32,
        /// The version its first read and its events since add up to.
        saw: i32,
        /// The key's final version.
        last: i32,
    },
    /// Events out of zxid order.
    #[error("operation {op}: an event at zxid {zxid:#x} came after one at {before:#x}")]
    OutOfOrder {
        /// The operation whose answer brought it.
        op: usize,
        /// Its zxid.
        zxid: i64,
        /// The zxid before.
        before: i64,
    },
}

/// What one process has seen of one key.
#[derive(Clone, Copy, Debug, Default)]
struct KeySeen {
    /// The newest version read or written.
    newest: i32,
    /// The version a one-time watch was left at, and whether its event has come.
    watch: Option<(i32, bool)>,
    /// Events for the key so far.
    events: i32,
    /// The persistent watch: set, and then its first read's (version, events by then).
    persistent: Option<Option<(i32, i32)>>,
}

/// Every anomaly of a watch history but the end's.
pub fn check(ops: &[WatchOperation]) -> Vec<WatchAnomaly> {
    check_run(ops, None)
}

/// How a run ended: writes stopped at `quiet_from_us`, and each key's final version.
#[derive(Clone, Debug)]
pub struct End {
    /// When the last writes were invoked (µs since the run began).
    pub quiet_from_us: u64,
    /// Each key's version after the run.
    pub last: BTreeMap<u32, i32>,
}

/// How long after the writes stop a connection's last answer must come for it to count as
/// up to the end.
const SETTLE_US: u64 = 2_000_000;

/// Every anomaly of a watch history, `NeverSawFinal` included when the run's `end` is
/// known; each process is replayed once.
pub fn check_run(ops: &[WatchOperation], end: Option<&End>) -> Vec<WatchAnomaly> {
    let mut found = Vec::new();
    for (process, indices) in processes(ops) {
        let (anomalies, keys) = replay(ops, &indices);
        found.extend(anomalies);
        if let Some(end) = end.filter(|e| up_to_the_end(ops, &indices, e)) {
            found.extend(never_saw_final(process, &keys, end));
        }
    }
    found
}

/// Whether a process's every operation was answered, the last one at least `SETTLE_US`
/// after the writes stopped.
fn up_to_the_end(ops: &[WatchOperation], indices: &[usize], end: &End) -> bool {
    let answered = indices
        .iter()
        .all(|&i| matches!(ops[i].completed, Some((_, Outcome::Ok, _))));
    let last_at = indices
        .last()
        .and_then(|&i| ops[i].completed.as_ref().map(|c| c.0));
    answered && last_at.is_some_and(|t| t >= end.quiet_from_us + SETTLE_US)
}

/// `NeverSawFinal`: such a process must have heard of every change of its persistent
/// watch's key.
fn never_saw_final(process: u32, keys: &BTreeMap<u32, KeySeen>, end: &End) -> Vec<WatchAnomaly> {
    let mut found = Vec::new();
    for (&key, k) in keys {
        let (Some(Some((from, events_then))), Some(&last)) = (k.persistent, end.last.get(&key))
        else {
            continue;
        };
        let saw = from + (k.events - events_then);
        if saw < last {
            found.push(WatchAnomaly::NeverSawFinal {
                process,
                key,
                saw,
                last,
            });
        }
    }
    found
}

/// Each process's operations, in order.
fn processes(ops: &[WatchOperation]) -> BTreeMap<u32, Vec<usize>> {
    let mut by_process: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, op) in ops.iter().enumerate() {
        by_process.entry(op.process).or_default().push(i);
    }
    for indices in by_process.values_mut() {
        indices.sort_by_key(|&i| ops[i].invoked_us);
    }
    by_process
}

/// One process's operations, in order: its anomalies, and what it saw of each key.
fn replay(
    ops: &[WatchOperation],
    indices: &[usize],
) -> (Vec<WatchAnomaly>, BTreeMap<u32, KeySeen>) {
    let mut keys: BTreeMap<u32, KeySeen> = BTreeMap::new();
    let mut last_zxid = -1;
    let mut found = Vec::new();
    for &i in indices {
        let Some((_, Outcome::Ok, Some(ret))) = &ops[i].completed else {
            continue;
        };
        for e in &ret.events {
            if e.zxid >= 0 && e.zxid < last_zxid {
                found.push(WatchAnomaly::OutOfOrder {
                    op: i,
                    zxid: e.zxid,
                    before: last_zxid,
                });
            }
            last_zxid = last_zxid.max(e.zxid);
            let k = keys.entry(e.key).or_default();
            k.events += 1;
            if let Some((v, _)) = k.watch {
                k.watch = Some((v, true));
            }
        }
        match (ops[i].op, ret.version) {
            (WatchOp::Read { key }, Some(read)) => {
                let k = keys.entry(key).or_default();
                found.extend(on_read(k, key, i, read));
            }
            (WatchOp::Write { key, .. }, Some(v)) => {
                let k = keys.entry(key).or_default();
                k.newest = k.newest.max(v);
            }
            (WatchOp::Watch { key }, _) => keys.entry(key).or_default().persistent = Some(None),
            _ => {}
        }
    }
    (found, keys)
}

/// A read of `key` at version `read` (operation `op`), with its events counted already.
fn on_read(k: &mut KeySeen, key: u32, op: usize, read: i32) -> Vec<WatchAnomaly> {
    let mut found = Vec::new();
    if read < k.newest {
        found.push(WatchAnomaly::from(WentBack {
            key,
            op,
            read,
            seen: k.newest,
        }));
    }
    if let Some((watched, false)) = k.watch {
        if read > watched {
            found.push(WatchAnomaly::DataBeforeEvent {
                key,
                op,
                read,
                watched,
            });
        }
    }
    match k.persistent {
        Some(None) => k.persistent = Some(Some((read, k.events))),
        Some(Some((from, events_then))) if read - from > k.events - events_then => {
            found.push(WatchAnomaly::MissedEvents {
                key,
                op,
                read,
                from,
                expected: read - from,
                got: k.events - events_then,
            });
        }
        _ => {}
    }
    k.newest = k.newest.max(read);
    k.watch = Some((read, false));
    found
}

#[cfg(test)]
mod tests;
