use super::*;
use crate::chaos::history::{Outcome, WentBack};
use crate::chaos::linearizable::Refuted;

fn op(process: u32, from: u64, to: u64, o: RegisterOp, ret: RegisterRet) -> RegisterOperation {
    Operation {
        process,
        op: o,
        invoked_us: from,
        completed: Some((to, Outcome::Ok, Some(ret))),
    }
}

fn write(process: u32, from: u64, to: u64, value: u32, version: i32) -> RegisterOperation {
    let o = RegisterOp::Write { key: 1, value };
    op(process, from, to, o, RegisterRet::Written { version })
}

fn read(process: u32, from: u64, to: u64, value: u32, version: i32) -> RegisterOperation {
    let o = RegisterOp::Read { key: 1 };
    op(process, from, to, o, RegisterRet::Read { value, version })
}

#[test]
fn a_stale_read_is_allowed_unless_reads_are_linearizable() {
    // Client 2 reads the old value after client 1's write returned: a follower behind.
    let h = vec![write(1, 0, 10, 7, 1), read(2, 20, 30, 0, 0)];
    assert_eq!(check(&h, Reads::Sequential, 1000), vec![]);
    let found = check(&h, Reads::Linearizable, 1000);
    assert!(
        matches!(found[..], [Anomaly::NotLinearizable { key: 1, .. }]),
        "{found:?}"
    );
}

#[test]
fn a_client_that_goes_back_is_caught() {
    let h = vec![
        write(1, 0, 10, 7, 1),
        read(2, 20, 30, 7, 1),
        read(2, 40, 50, 0, 0),
    ];
    assert_eq!(
        check(&h, Reads::Sequential, 1000),
        vec![Anomaly::WentBack(WentBack {
            key: 1,
            op: 2,
            read: 0,
            seen: 1
        })]
    );
    // Nor may it miss its own write.
    let own = vec![write(1, 0, 10, 7, 1), read(1, 20, 30, 0, 0)];
    assert!(matches!(
        check(&own, Reads::Sequential, 1000)[..],
        [Anomaly::WentBack(WentBack { op: 1, .. })]
    ));
}

#[test]
fn a_value_no_one_wrote_is_caught() {
    let h = vec![write(1, 0, 10, 7, 1), read(2, 20, 30, 8, 1)];
    assert_eq!(
        check(&h, Reads::Sequential, 1000),
        vec![Anomaly::NeverWritten {
            key: 1,
            op: 1,
            value: 8,
            version: 1
        }]
    );
    // Nor a value read before its write began.
    let early = vec![read(2, 0, 5, 7, 1), write(1, 10, 20, 7, 1)];
    assert!(matches!(
        check(&early, Reads::Sequential, 1000)[..],
        [Anomaly::NeverWritten { op: 0, .. }]
    ));
}

#[test]
fn lost_writes_break_the_writes_linearizability() {
    // Two acknowledged writes both claim version 1: one of them was lost.
    let h = vec![write(1, 0, 10, 7, 1), write(2, 20, 30, 8, 1)];
    let found = check(&h, Reads::Sequential, 1000);
    assert!(
        matches!(
            &found[..],
            [Anomaly::NotLinearizable {
                key: 1,
                refuted: Refuted::NotLinearizable { op: 1, .. }
            }]
        ),
        "{found:?}"
    );
}

fn sync_read(process: u32, from: u64, to: u64, value: u32, version: i32) -> RegisterOperation {
    RegisterOperation {
        op: RegisterOp::SyncRead { key: 1 },
        ..read(process, from, to, value, version)
    }
}

#[test]
fn a_stale_read_after_a_sync_is_reported_as_allowed_by_zookeeper() {
    // Client 2 syncs after client 1's write was acknowledged, and still reads the old
    // value: what a deposed leader that has not noticed yet answers.
    let h = vec![write(1, 0, 10, 7, 1), sync_read(2, 20, 30, 0, 0)];
    let found = check(&h, Reads::Sequential, 1000);
    assert_eq!(
        found,
        vec![Anomaly::StaleAfterSync {
            key: 1,
            op: 1,
            read: 0,
            acknowledged: 1
        }]
    );
    assert!(found[0].allowed(Reads::Sequential));
    assert!(!found[0].allowed(Reads::Linearizable));
    // A plain read is not held to it.
    assert_eq!(
        check(
            &[write(1, 0, 10, 7, 1), read(2, 20, 30, 0, 0)],
            Reads::Sequential,
            1000
        ),
        vec![]
    );
}

#[test]
fn a_sync_need_not_see_a_write_acknowledged_after_it_began() {
    // The write is acknowledged after the sync was invoked: either order is allowed.
    let h = vec![write(1, 0, 25, 7, 1), sync_read(2, 20, 30, 0, 0)];
    assert_eq!(check(&h, Reads::Sequential, 1000), vec![]);
    // And a sync read of the newest version is fine however late.
    let h = vec![
        write(1, 0, 10, 7, 1),
        write(1, 11, 15, 8, 2),
        sync_read(2, 20, 30, 8, 2),
    ];
    assert_eq!(check(&h, Reads::Linearizable, 1000), vec![]);
}

proptest::proptest! {
    /// A real register's history, sync reads included, shows no anomaly of any kind.
    #[test]
    fn a_real_registers_history_has_no_anomaly(spec in super::example::steps(40)) {
        let h = super::example::real_history(&spec);
        proptest::prop_assert_eq!(check(&h, Reads::Linearizable, 1_000_000), vec![]);
    }
}
