use super::*;
use crate::chaos::register::example::{real_history, steps};
use crate::chaos::register::{Register, RegisterOp, RegisterRet};
use proptest::prelude::*;

type Op = Operation<RegisterOp, RegisterRet>;

fn op(
    invoked_us: u64,
    completed: Option<(u64, Outcome, Option<RegisterRet>)>,
    o: RegisterOp,
) -> Op {
    Operation {
        process: 0,
        op: o,
        invoked_us,
        completed,
    }
}

fn write(from: u64, to: u64, value: u32, version: i32) -> Op {
    let ret = RegisterRet::Written { version };
    op(
        from,
        Some((to, Outcome::Ok, Some(ret))),
        RegisterOp::Write { key: 0, value },
    )
}

fn read(from: u64, to: u64, value: u32, version: i32) -> Op {
    let ret = RegisterRet::Read { value, version };
    op(
        from,
        Some((to, Outcome::Ok, Some(ret))),
        RegisterOp::Read { key: 0 },
    )
}

const BUDGET: u64 = 1_000_000;

#[test]
fn a_read_after_a_write_sees_it() {
    let h = vec![write(0, 10, 7, 1), read(20, 30, 7, 1)];
    assert_eq!(check(&Register::CREATED, &h, BUDGET), Ok(()));
}

#[test]
fn a_stale_read_after_a_completed_write_is_refuted() {
    let h = vec![write(0, 10, 7, 1), read(20, 30, 0, 0)];
    assert_eq!(
        check(&Register::CREATED, &h, BUDGET),
        Err(Refuted::NotLinearizable {
            op: 1,
            longest: vec![0]
        })
    );
}

#[test]
fn a_read_concurrent_with_a_write_sees_either() {
    for (value, version) in [(0, 0), (7, 1)] {
        let h = vec![write(0, 30, 7, 1), read(10, 20, value, version)];
        assert_eq!(
            check(&Register::CREATED, &h, BUDGET),
            Ok(()),
            "read {value}"
        );
    }
    // But not the old value after it has seen the new one.
    let h = vec![write(0, 100, 7, 1), read(10, 20, 7, 1), read(30, 40, 0, 0)];
    assert!(check(&Register::CREATED, &h, BUDGET).is_err());
}

#[test]
fn an_unknown_write_may_or_may_not_have_happened() {
    let unknown = op(
        0,
        Some((10, Outcome::Unknown, None)),
        RegisterOp::Write { key: 0, value: 7 },
    );
    let never = op(0, None, RegisterOp::Write { key: 0, value: 7 });
    for w in [unknown, never] {
        for (value, version) in [(0, 0), (7, 1)] {
            let h = vec![w.clone(), read(50, 60, value, version)];
            assert_eq!(
                check(&Register::CREATED, &h, BUDGET),
                Ok(()),
                "{w:?} then {value}"
            );
        }
        // Once seen, it happened.
        let h = vec![w.clone(), read(50, 60, 7, 1), read(70, 80, 0, 0)];
        assert!(check(&Register::CREATED, &h, BUDGET).is_err());
    }
}

#[test]
fn a_failed_write_took_no_effect() {
    let failed = op(
        0,
        Some((10, Outcome::Fail, None)),
        RegisterOp::Write { key: 0, value: 7 },
    );
    let h = vec![failed, read(20, 30, 7, 1)];
    assert!(matches!(
        check(&Register::CREATED, &h, BUDGET),
        Err(Refuted::NotLinearizable { op: 1, .. })
    ));
}

#[test]
fn a_compare_and_set_needs_its_version() {
    let cas = |from, to, expect, value, version| {
        let ret = RegisterRet::Written { version };
        let o = RegisterOp::Cas {
            key: 0,
            version: expect,
            value,
        };
        op(from, Some((to, Outcome::Ok, Some(ret))), o)
    };
    let good = vec![write(0, 10, 1, 1), cas(20, 30, 1, 2, 2), read(40, 50, 2, 2)];
    assert_eq!(check(&Register::CREATED, &good, BUDGET), Ok(()));
    // Two CAS from the same version cannot both succeed.
    let both = vec![
        write(0, 10, 1, 1),
        cas(20, 30, 1, 2, 2),
        cas(20, 30, 1, 3, 3),
    ];
    assert!(check(&Register::CREATED, &both, BUDGET).is_err());
}

#[test]
fn the_search_stops_at_its_budget() {
    let h: Vec<Op> = (0..20).map(|v| write(0, 1000, v, v as i32 + 1)).collect();
    let mut stale = h.clone();
    stale.push(read(2000, 2001, 99, 21));
    assert_eq!(
        check(&Register::CREATED, &stale, 10),
        Err(Refuted::GaveUp(10))
    );
}

proptest! {
    #[test]
    fn a_real_registers_history_is_linearizable(
        spec in steps(40)
    ) {
        let h = real_history(&spec);
        prop_assert_eq!(check(&Register::CREATED, &h, BUDGET), Ok(()));
    }

    #[test]
    fn a_read_of_a_value_never_written_is_refuted(
        spec in steps(40)
    ) {
        let mut h = real_history(&spec);
        h.push(read(100_000, 100_001, 5_000, 1));
        let refuted = matches!(check(&Register::CREATED, &h, BUDGET), Err(Refuted::NotLinearizable { .. }));
        prop_assert!(refuted);
    }
}

/// Found by proptest in CI: a read of a value never written, among 13 reads and 6 writes
/// whose answers were lost, gave up after 1,000,000 steps instead of refuting (each
/// unknown operation doubles the subsets to visit). Unanswered reads are now left out.
#[test]
fn unanswered_reads_do_not_blow_up_a_refutation() {
    let spec = [
        (0, 1, 0, 0, 105),
        (0, 1, 0, 0, 215),
        (1, 1, 0, 0, 175),
        (0, 1, 0, 0, 195),
        (1, 2, 0, 0, 75),
        (0, 1, 0, 0, 35),
        (0, 1, 0, 0, 5),
        (1, 3, 0, 0, 15),
        (0, 1, 0, 0, 110),
        (2, 1, 0, 0, 5),
        (2, 1, 0, 0, 5),
        (0, 1, 0, 0, 145),
        (1, 4, 0, 0, 5),
        (0, 1, 0, 76, 0),
        (0, 1, 0, 0, 0),
        (0, 1, 0, 0, 0),
        (0, 1, 0, 0, 0),
    ];
    let mut h = real_history(&spec);
    h.push(read(100_000, 100_001, 5_000, 1));
    assert!(matches!(
        check(&Register::CREATED, &h, BUDGET),
        Err(Refuted::NotLinearizable { .. })
    ));
}
