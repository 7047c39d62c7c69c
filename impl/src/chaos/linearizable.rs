//! A linearizability checker: Wing and Gong's search with Lowe's memoization, as Horn and
//! Kroening describe it (and Porcupine implements), over one object's history.
//!
//! Written here rather than taken from a crate: stateright's `LinearizabilityTester` has no
//! memoization (exponential on a long history), and `todc-utils` (0.1.1, September 2023)
//! needs every call answered, has no operation whose outcome is unknown, and reports no
//! counterexample. A campaign's histories are full of unknown outcomes (a write whose
//! connection was cut may or may not have happened), so the checker takes them as Porcupine
//! does: their return is at infinity and the model accepts any answer, so an unknown
//! operation either takes effect at some point after its call or, linearized after every
//! completed one, never matters.
//!
//! Histories of independent objects (the keys of a register workload) are checked one by
//! one (P-compositionality): the caller partitions them.

use super::history::{Operation, Outcome};
use std::collections::HashSet;
use std::hash::Hash;

/// An object's sequential specification.
pub trait Model {
    /// The object's state (hashed for memoization).
    type State: Clone + Eq + Hash;
    /// An operation on it.
    type Op;
    /// What an operation returns.
    type Ret;
    /// The state before any operation.
    fn init(&self) -> Self::State;
    /// The state after `op` is applied to `state` and returns `ret`, or `None` if it could
    /// not have returned that. `ret` is `None` when the answer is unknown: any answer goes,
    /// so this must then always give a state.
    fn step(
        &self,
        state: &Self::State,
        op: &Self::Op,
        ret: Option<&Self::Ret>,
    ) -> Option<Self::State>;
    /// Whether `op` never changes the state (a read). Without an answer such an operation
    /// constrains nothing, so it is left out before the search: each unknown operation
    /// kept doubles the subsets the search may have to visit.
    fn is_pure(&self, _op: &Self::Op) -> bool {
        false
    }
}

/// Why a history is not shown linearizable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refuted {
    /// No order explains it. `longest` is the longest prefix of a linearization the search
    /// found, and `op` the operation that returned before it could be placed after that
    /// prefix (indices into the checked operations).
    #[error("not linearizable: operation {op} cannot be placed ({} placed at most)", longest.len())]
    NotLinearizable {
        /// The operation that cannot be placed.
        op: usize,
        /// The longest partial linearization found.
        longest: Vec<usize>,
    },
    /// The search took more than its budget of steps: no verdict.
    #[error("no verdict after {0} search steps")]
    GaveUp(u64),
}

/// One end of an operation, in time order.
#[derive(Clone, Copy)]
struct Entry {
    op: usize,
    call: bool,
    /// The entry's neighbours in the list of entries not yet lifted.
    prev: usize,
    next: usize,
    /// For a call, the index of its return entry.
    partner: usize,
}

/// The entries as a doubly linked list with a sentinel at index 0, so lifting an
/// operation out and putting it back are O(1).
struct Entries(Vec<Entry>);

const NONE: usize = usize::MAX;

impl Entries {
    /// The calls and returns of `times` (call, return; `None` for never), in time order: at
    /// equal times calls first, so touching operations count as concurrent.
    fn new(times: &[(u64, Option<u64>)]) -> Entries {
        let mut ends: Vec<(u64, bool, usize)> = Vec::new();
        for (i, (call, ret)) in times.iter().enumerate() {
            ends.push((*call, true, i));
            ends.push((ret.unwrap_or(u64::MAX), false, i));
        }
        // Calls (true) sort before returns (false) at the same time.
        ends.sort_by_key(|(t, call, i)| (*t, !*call, *i));
        let sentinel = Entry {
            op: NONE,
            call: false,
            prev: NONE,
            next: 1,
            partner: NONE,
        };
        let mut list = vec![sentinel];
        let mut call_at = vec![0; times.len()];
        for (k, (_, call, op)) in ends.iter().enumerate() {
            let at = k + 1;
            let next = if at == ends.len() { NONE } else { at + 1 };
            list.push(Entry {
                op: *op,
                call: *call,
                prev: at - 1,
                next,
                partner: NONE,
            });
            if *call {
                call_at[*op] = at;
            } else {
                list[call_at[*op]].partner = at;
            }
        }
        if ends.is_empty() {
            list[0].next = NONE;
        }
        Entries(list)
    }

    fn unlink(&mut self, at: usize) {
        let Entry { prev, next, .. } = self.0[at];
        self.0[prev].next = next;
        if next != NONE {
            self.0[next].prev = prev;
        }
    }

    fn relink(&mut self, at: usize) {
        let Entry { prev, next, .. } = self.0[at];
        self.0[prev].next = at;
        if next != NONE {
            self.0[next].prev = at;
        }
    }

    /// Takes an operation's call (at `call`) and its return out of the list.
    fn lift(&mut self, call: usize) {
        self.unlink(call);
        self.unlink(self.0[call].partner);
    }

    /// Puts them back (the reverse of the last `lift`).
    fn unlift(&mut self, call: usize) {
        self.relink(self.0[call].partner);
        self.relink(call);
    }
}

/// A set of operation indices, hashed with the state for memoization.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Bits(Vec<u64>);

impl Bits {
    fn set(&mut self, i: usize, on: bool) {
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        if on {
            self.0[word] |= bit;
        } else {
            self.0[word] &= !bit;
        }
    }
}

/// Checks that the operations (those that failed are left out: they took no effect; so are
/// pure ones without an answer) can be ordered so that each takes effect between its call
/// and its return, and the model accepts each answer in that order. At most `budget`
/// search steps.
pub fn check<M: Model>(
    model: &M,
    ops: &[Operation<M::Op, M::Ret>],
    budget: u64,
) -> Result<(), Refuted> {
    let kept: Vec<usize> = (0..ops.len())
        .filter(|&i| {
            let unanswered_read = returned(&ops[i]).is_none() && model.is_pure(&ops[i].op);
            ops[i].may_have_happened() && !unanswered_read
        })
        .collect();
    let times: Vec<(u64, Option<u64>)> = kept
        .iter()
        .map(|&i| (ops[i].invoked_us, returned(&ops[i]).map(|(t, _)| t)))
        .collect();
    let mut entries = Entries::new(&times);
    let mut seen: HashSet<(Bits, M::State)> = HashSet::new();
    let mut placed = Bits(vec![0; kept.len().div_ceil(64)]);
    let mut state = model.init();
    // (call entry, state before it) for each placed operation, in order.
    let mut stack: Vec<(usize, M::State)> = Vec::new();
    let mut longest: Vec<usize> = Vec::new();
    let mut blocked = None;
    let mut at = entries.0[0].next;
    let mut steps = 0u64;
    while entries.0[0].next != NONE {
        steps += 1;
        if steps > budget {
            return Err(Refuted::GaveUp(budget));
        }
        let entry = entries.0[at];
        let op = &ops[kept[entry.op]];
        if entry.call {
            let ret = returned(op).and_then(|(_, r)| r);
            if let Some(next) = model.step(&state, &op.op, ret) {
                let mut with = placed.clone();
                with.set(entry.op, true);
                if seen.insert((with.clone(), next.clone())) {
                    stack.push((at, std::mem::replace(&mut state, next)));
                    placed = with;
                    entries.lift(at);
                    at = entries.0[0].next;
                    continue;
                }
            }
            at = entry.next;
            continue;
        }
        // A return whose operation is not placed: what is placed must change.
        // The deepest the search got names the culprit: the operation it could not place
        // after the longest prefix.
        if stack.len() > longest.len() || blocked.is_none() {
            longest = stack.iter().map(|(c, _)| kept[entries.0[*c].op]).collect();
            blocked = Some(kept[entry.op]);
        }
        let Some((call, before)) = stack.pop() else {
            return Err(Refuted::NotLinearizable {
                op: blocked.unwrap_or(kept[entry.op]),
                longest,
            });
        };
        state = before;
        placed.set(entries.0[call].op, false);
        entries.unlift(call);
        at = entries.0[call].next;
    }
    Ok(())
}

/// When an operation returned and what it returned, if it is known to have taken effect.
fn returned<Op, Ret>(op: &Operation<Op, Ret>) -> Option<(u64, Option<&Ret>)> {
    match &op.completed {
        Some((t, Outcome::Ok, ret)) => Some((*t, ret.as_ref())),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
