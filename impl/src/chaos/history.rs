//! A workload's history, as Jepsen records one: each operation's invocation and its
//! completion by the same process, with the time of each, the completion saying the
//! operation took effect (`Ok`), did not (`Fail`), or may have (`Unknown`: a timeout or a
//! lost connection). A process whose operation is `Unknown` invokes nothing more (the
//! workload gives its client a new process number), so the pairing is exact. Written as
//! JSON lines, so a failing history is kept and read again.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A read older than what its client had seen before. ZooKeeper promises each client that
/// it never goes back; the register and the watch checks both hold every client to it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("key {key}: operation {op} read version {read} after its client saw {seen}")]
pub struct WentBack {
    /// The key.
    pub key: u32,
    /// The read.
    pub op: usize,
    /// The version it read.
    pub read: i32,
    /// The version seen before.
    pub seen: i32,
}

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// It took effect.
    Ok,
    /// It did not.
    Fail,
    /// It may have: no answer came.
    Unknown,
}

/// One line of a history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event<Op, Ret> {
    /// Microseconds since the run began.
    pub at_us: u64,
    /// The process (a client, while its operations are answered).
    pub process: u32,
    /// An invocation or a completion.
    pub what: What<Op, Ret>,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum What<Op, Ret> {
    /// The process asked for `Op`.
    Invoke(Op),
    /// Its operation ended, with what it returned when it returned.
    Complete(Outcome, Option<Ret>),
}

/// An operation with its completion, if it had one.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation<Op, Ret> {
    /// Who invoked it.
    pub process: u32,
    /// What it asked.
    pub op: Op,
    /// When.
    pub invoked_us: u64,
    /// When it ended and how (`None`: the run ended first, as `Unknown`).
    pub completed: Option<(u64, Outcome, Option<Ret>)>,
}

impl<Op, Ret> Operation<Op, Ret> {
    /// Whether it may have taken effect (`Ok` or `Unknown`).
    pub fn may_have_happened(&self) -> bool {
        !matches!(self.completed, Some((_, Outcome::Fail, _)))
    }
}

/// A history that does not pair up.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HistoryError {
    /// A process invoked while its previous operation had not ended.
    #[error("process {process} invoked at {at_us} µs with an operation in flight")]
    Overlapping {
        /// The process.
        process: u32,
        /// When.
        at_us: u64,
    },
    /// A process completed an operation it had not invoked.
    #[error("process {process} completed at {at_us} µs without an invocation")]
    Unmatched {
        /// The process.
        process: u32,
        /// When.
        at_us: u64,
    },
    /// A process invoked after an operation of unknown outcome.
    #[error("process {process} invoked at {at_us} µs after an unknown outcome")]
    AfterUnknown {
        /// The process.
        process: u32,
        /// When.
        at_us: u64,
    },
    /// Events out of time order.
    #[error("event at {at_us} µs after one at {previous_us} µs")]
    Unordered {
        /// The later line's time.
        at_us: u64,
        /// The earlier line's.
        previous_us: u64,
    },
}

/// Pairs each invocation with its completion, in invocation order.
pub fn operations<Op: Clone, Ret: Clone>(
    events: &[Event<Op, Ret>],
) -> Result<Vec<Operation<Op, Ret>>, HistoryError> {
    let mut ops: Vec<Operation<Op, Ret>> = Vec::new();
    let mut open: BTreeMap<u32, usize> = BTreeMap::new();
    let mut retired: BTreeSet<u32> = BTreeSet::new();
    let mut previous_us = 0;
    for e in events {
        let (process, at_us) = (e.process, e.at_us);
        if at_us < previous_us {
            return Err(HistoryError::Unordered { at_us, previous_us });
        }
        previous_us = at_us;
        match &e.what {
            What::Invoke(_) if open.contains_key(&process) => {
                return Err(HistoryError::Overlapping { process, at_us })
            }
            What::Invoke(_) if retired.contains(&process) => {
                return Err(HistoryError::AfterUnknown { process, at_us })
            }
            What::Invoke(op) => {
                open.insert(process, ops.len());
                ops.push(Operation {
                    process,
                    op: op.clone(),
                    invoked_us: at_us,
                    completed: None,
                });
            }
            What::Complete(outcome, ret) => {
                let i = open
                    .remove(&process)
                    .ok_or(HistoryError::Unmatched { process, at_us })?;
                ops[i].completed = Some((at_us, *outcome, ret.clone()));
                if *outcome == Outcome::Unknown {
                    retired.insert(process);
                }
            }
        }
    }
    Ok(ops)
}

/// The history as JSON lines.
pub fn to_json_lines<Op: Serialize, Ret: Serialize>(events: &[Event<Op, Ret>]) -> String {
    let mut out = String::new();
    for e in events {
        // An event of plain data always serializes.
        out.push_str(&serde_json::to_string(e).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// A history read back from JSON lines; the first bad line is the error, with its number.
pub fn from_json_lines<Op, Ret>(text: &str) -> Result<Vec<Event<Op, Ret>>, (usize, String)>
where
    Op: for<'de> Deserialize<'de>,
    Ret: for<'de> Deserialize<'de>,
{
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| (i + 1, e.to_string())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    type E = Event<String, i64>;

    fn ev(at_us: u64, process: u32, what: What<String, i64>) -> E {
        Event {
            at_us,
            process,
            what,
        }
    }

    fn invoke(at: u64, p: u32, op: &str) -> E {
        ev(at, p, What::Invoke(op.into()))
    }

    fn done(at: u64, p: u32, o: Outcome, ret: Option<i64>) -> E {
        ev(at, p, What::Complete(o, ret))
    }

    #[test]
    fn invocations_pair_with_their_completions() {
        let h = vec![
            invoke(1, 1, "write 3"),
            invoke(2, 2, "read"),
            done(3, 2, Outcome::Ok, Some(0)),
            done(4, 1, Outcome::Unknown, None),
            invoke(5, 3, "read"),
        ];
        let ops = operations(&h).unwrap();
        assert_eq!(ops.len(), 3);
        assert_eq!(ops[0].completed, Some((4, Outcome::Unknown, None)));
        assert!(ops[0].may_have_happened() && ops[2].completed.is_none());
        assert_eq!(ops[1].completed, Some((3, Outcome::Ok, Some(0))));
        let back: Vec<E> = from_json_lines(&to_json_lines(&h)).unwrap();
        assert_eq!(back, h);
    }

    #[test]
    fn histories_that_do_not_pair_are_refused() {
        let overlapping = vec![invoke(1, 1, "a"), invoke(2, 1, "b")];
        assert_eq!(
            operations(&overlapping),
            Err(HistoryError::Overlapping {
                process: 1,
                at_us: 2
            })
        );
        let unmatched = vec![done(1, 4, Outcome::Ok, None)];
        assert!(matches!(
            operations(&unmatched),
            Err(HistoryError::Unmatched { .. })
        ));
        let after_unknown = vec![
            invoke(1, 1, "a"),
            done(2, 1, Outcome::Unknown, None),
            invoke(3, 1, "b"),
        ];
        assert!(matches!(
            operations(&after_unknown),
            Err(HistoryError::AfterUnknown { .. })
        ));
        let unordered = vec![invoke(5, 1, "a"), done(4, 1, Outcome::Ok, None)];
        assert!(matches!(
            operations(&unordered),
            Err(HistoryError::Unordered { .. })
        ));
        assert_eq!(
            from_json_lines::<String, i64>("{not json\n").unwrap_err().0,
            1
        );
    }
}
