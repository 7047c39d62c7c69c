//! Shrinking a history that fails a check to the smallest window of time that still fails,
//! so a person can read the anomaly.
//!
//! A window must not invent a failure the whole history does not have, so cutting is a
//! relaxation: operations that ended before the window are left out and the object may
//! start in any state (the model's open start); operations still in flight when the window
//! opens or closes lose their answers (their outcome becomes unknown, which constrains
//! nothing); operations invoked after it are left out. Any linearization of the whole
//! history then gives one of the window (the relaxed operations that must move are placed
//! last, as never having happened), so a window that fails shows a real anomaly.

use super::history::{Operation, Outcome};

/// The operations of `ops` seen through the window `[from, to]` (µs), as described above;
/// operations that can no longer matter (failed ones, and reads without an answer) are
/// left out too.
pub fn window<Op: Clone, Ret: Clone>(
    ops: &[Operation<Op, Ret>],
    from: u64,
    to: u64,
    is_read: impl Fn(&Op) -> bool,
) -> Vec<Operation<Op, Ret>> {
    let mut kept = Vec::new();
    for op in ops {
        let ended = op.completed.as_ref().map(|c| c.0);
        if ended.is_some_and(|t| t < from) || op.invoked_us > to || !op.may_have_happened() {
            continue;
        }
        let mut op = op.clone();
        let in_flight = op.invoked_us < from || ended.is_none_or(|t| t > to);
        if in_flight {
            if is_read(&op.op) {
                continue;
            }
            op.completed = Some((ended.unwrap_or(u64::MAX), Outcome::Unknown, None));
        }
        kept.push(op);
    }
    kept
}

/// The smallest window of a failing history that still fails (`fails` says whether
/// operations fail the check), found by bisecting first its start, then its end; `None` if
/// the whole history does not fail.
pub fn smallest_window<Op: Clone, Ret: Clone>(
    ops: &[Operation<Op, Ret>],
    is_read: impl Fn(&Op) -> bool + Copy,
    fails: impl Fn(&[Operation<Op, Ret>]) -> bool,
) -> Option<Vec<Operation<Op, Ret>>> {
    let mut starts: Vec<u64> = ops.iter().map(|o| o.invoked_us).collect();
    starts.sort_unstable();
    starts.dedup();
    let first = *starts.first()?;
    if !fails(&window(ops, first, u64::MAX, is_read)) {
        return None;
    }
    // The latest start that still fails: `lo` always fails.
    let (mut lo, mut hi) = (0, starts.len());
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if fails(&window(ops, starts[mid], u64::MAX, is_read)) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let from = starts[lo];
    let mut ends: Vec<u64> = ops
        .iter()
        .filter_map(|o| o.completed.as_ref().map(|c| c.0))
        .filter(|&t| t >= from && t != u64::MAX)
        .collect();
    ends.push(u64::MAX);
    ends.sort_unstable();
    ends.dedup();
    // The earliest end that still fails: `hi` always fails.
    let (mut lo, mut hi) = (None, ends.len() - 1);
    while lo.map_or(hi > 0, |l| hi - l > 1) {
        let mid = lo.map_or(hi / 2, |l| (l + hi) / 2);
        if fails(&window(ops, from, ends[mid], is_read)) {
            hi = mid;
        } else {
            lo = Some(mid);
        }
    }
    Some(window(ops, from, ends[hi], is_read))
}

#[cfg(test)]
mod tests;
