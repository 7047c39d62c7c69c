use super::*;

fn op(
    process: u32,
    at: u64,
    o: WatchOp,
    version: Option<i32>,
    events: &[(u32, i64)],
) -> WatchOperation {
    let events = events
        .iter()
        .map(|&(key, zxid)| Event { key, zxid })
        .collect();
    Operation {
        process,
        op: o,
        invoked_us: at,
        completed: Some((at + 5, Outcome::Ok, Some(WatchRet { version, events }))),
    }
}

fn read(p: u32, at: u64, version: i32, events: &[(u32, i64)]) -> WatchOperation {
    op(p, at, WatchOp::Read { key: 0 }, Some(version), events)
}

fn watch(p: u32, at: u64) -> WatchOperation {
    op(p, at, WatchOp::Watch { key: 0 }, None, &[])
}

fn wait(p: u32, at: u64, events: &[(u32, i64)]) -> WatchOperation {
    op(p, at, WatchOp::Wait, None, events)
}

#[test]
fn events_before_the_data_they_announce_are_sound() {
    let h = vec![
        watch(1, 0),
        read(1, 10, 3, &[]),
        wait(1, 20, &[(0, 0x104), (0, 0x105)]),
        read(1, 30, 5, &[]),
        read(1, 40, 6, &[(0, 0x106)]),
        wait(1, 50, &[(1, 0x107)]),
    ];
    assert_eq!(check(&h), vec![]);
}

#[test]
fn data_seen_before_its_event_is_caught() {
    let h = vec![read(1, 10, 3, &[]), read(1, 20, 4, &[])];
    assert_eq!(
        check(&h),
        vec![WatchAnomaly::DataBeforeEvent {
            key: 0,
            op: 1,
            read: 4,
            watched: 3
        }]
    );
}

#[test]
fn a_persistent_watch_that_misses_a_change_is_caught() {
    // Two changes after the first read, one event.
    let h = vec![
        watch(1, 0),
        read(1, 10, 3, &[]),
        wait(1, 20, &[(0, 0x104)]),
        read(1, 30, 5, &[]),
    ];
    let found = check(&h);
    assert!(
        found.contains(&WatchAnomaly::MissedEvents {
            key: 0,
            op: 3,
            read: 5,
            from: 3,
            expected: 2,
            got: 1
        }),
        "{found:?}"
    );
    // Without the persistent watch, one event after a one-time watch is all there is.
    let h = vec![
        read(1, 10, 3, &[]),
        wait(1, 20, &[(0, 0x104)]),
        read(1, 30, 5, &[]),
    ];
    assert_eq!(check(&h), vec![]);
}

#[test]
fn going_back_and_events_out_of_order_are_caught() {
    let h = vec![
        read(1, 10, 3, &[]),
        wait(1, 20, &[(0, 0x105), (0, 0x104)]),
        read(1, 30, 2, &[]),
    ];
    let found = check(&h);
    assert!(found.contains(&WatchAnomaly::OutOfOrder {
        op: 1,
        zxid: 0x104,
        before: 0x105
    }));
    assert!(found.contains(&WatchAnomaly::WentBack(WentBack {
        key: 0,
        op: 2,
        read: 2,
        seen: 3
    })));
    // Each process is read alone: another client's older read is no anomaly.
    assert_eq!(check(&[read(1, 10, 3, &[]), read(2, 20, 1, &[])]), vec![]);
}

#[test]
fn a_connection_up_to_the_end_must_have_heard_of_the_last_change() {
    // Watch at version 3 (its first read), one event since, the key ends at version 5.
    let mut h = vec![
        watch(1, 0),
        read(1, 10, 3, &[]),
        wait(1, 20, &[(0, 0x104)]),
        wait(1, 5_000_000, &[]),
    ];
    let end = End {
        quiet_from_us: 1_000_000,
        last: [(0, 5)].into_iter().collect(),
    };
    assert_eq!(
        check_run(&h, Some(&end)),
        vec![WatchAnomaly::NeverSawFinal {
            process: 1,
            key: 0,
            saw: 4,
            last: 5
        }]
    );
    // With the second event it has.
    h.push(wait(1, 5_100_000, &[(0, 0x105)]));
    assert_eq!(check_run(&h, Some(&end)), vec![]);
    // A connection whose last answer came too soon after the writes stopped, or that
    // ended unknown, is not held to it.
    let early = End {
        quiet_from_us: 4_000_000,
        ..end.clone()
    };
    h.pop();
    assert_eq!(check_run(&h, Some(&early)), vec![]);
    h.push(Operation {
        process: 1,
        op: WatchOp::Wait,
        invoked_us: 5_200_000,
        completed: Some((9_000_000, Outcome::Unknown, None)),
    });
    assert_eq!(check_run(&h, Some(&end)), vec![]);
}
