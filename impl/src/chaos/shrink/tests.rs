use super::*;
use crate::chaos::linearizable::check;
use crate::chaos::register::example::{real_history, steps};
use crate::chaos::register::{Register, RegisterOp, RegisterRet};
use proptest::prelude::*;

type Op = Operation<RegisterOp, RegisterRet>;

fn is_read(op: &RegisterOp) -> bool {
    op.is_read()
}

fn fails(ops: &[Op]) -> bool {
    check(&Register::ANY, ops, 1_000_000).is_err()
}

proptest! {
    /// A window never invents an anomaly: every window of a real register's history is
    /// linearizable from an open start.
    #[test]
    fn every_window_of_a_real_history_passes(
        spec in steps(60), a in 0u64..13_000, len in 0u64..13_000
    ) {
        let h = real_history(&spec);
        let w = window(&h, a, a + len, is_read);
        prop_assert!(!fails(&w), "window [{a}, {}] of {h:?} fails: {w:?}", a + len);
    }

    /// A lost write at the end of a history shrinks to the few operations around it. (A
    /// fifth of the generated operations end unknown, each of which the refutation must
    /// try everywhere after its call: far more than a campaign has, so the histories are
    /// kept short.)
    #[test]
    fn a_lost_write_shrinks_to_its_neighbourhood(spec in steps(60)) {
        let mut h = real_history(&spec);
        let end = h.iter().filter_map(|o| o.completed.map(|c| c.0)).max().unwrap_or(0);
        // Two acknowledged writes both claim the version after the last one, then more work.
        let last = h.iter().filter_map(|o| match o.completed {
            Some((_, Outcome::Ok, Some(RegisterRet::Written { version }))) => Some(version),
            Some((_, Outcome::Ok, Some(RegisterRet::Read { version, .. }))) => Some(version),
            _ => None,
        }).max().unwrap_or(0);
        let written = |at: u64, value, version| Operation {
            process: 999,
            op: RegisterOp::Write { key: 0, value },
            invoked_us: at,
            completed: Some((at + 10, Outcome::Ok, Some(RegisterRet::Written { version }))),
        };
        h.push(written(end + 100, 5001, last + 1));
        h.push(written(end + 200, 5002, last + 1));
        let shrunk = smallest_window(&h, is_read, fails).expect("the history fails");
        prop_assert!(fails(&shrunk));
        prop_assert!(shrunk.len() <= 3, "{} operations left: {shrunk:?}", shrunk.len());
    }
}

#[test]
fn a_passing_history_has_no_window() {
    let h = real_history(&[(1, 5, 10, 10, 1), (0, 0, 10, 10, 1)]);
    assert_eq!(smallest_window(&h, is_read, fails), None);
}
