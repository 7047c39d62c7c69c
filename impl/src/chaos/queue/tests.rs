use super::*;

fn enq(value: u32, from: u64, to: u64, outcome: Outcome, seq: Option<u64>) -> QueueOperation {
    Operation {
        process: value,
        op: Enqueue { value },
        invoked_us: from,
        completed: Some((to, outcome, seq.map(|seq| Enqueued { seq }))),
    }
}

#[test]
fn a_queue_that_kept_everything_in_order_passes() {
    let ops = vec![
        enq(1, 0, 10, Outcome::Ok, Some(0)),
        enq(2, 5, 20, Outcome::Ok, Some(1)),
        enq(3, 30, 40, Outcome::Unknown, None),
        enq(4, 30, 40, Outcome::Unknown, None),
    ];
    // The unknown ones may be there or not.
    assert_eq!(check(&ops, &[(1, 0), (2, 1), (3, 2)]), vec![]);
    assert!(parse_child("v17-0000000042") == Some((17, 42)));
    assert_eq!(parse_child("other"), None);
    assert!(prefix(17).ends_with("/v17-"));
}

#[test]
fn lost_renumbered_duplicated_and_phantom_values_are_caught() {
    let ops = vec![
        enq(1, 0, 10, Outcome::Ok, Some(0)),
        enq(2, 0, 10, Outcome::Ok, Some(1)),
        enq(3, 0, 10, Outcome::Fail, None),
        enq(4, 0, 10, Outcome::Unknown, None),
    ];
    let found = check(&ops, &[(2, 5), (3, 6), (4, 7), (4, 8), (9, 9)]);
    assert!(found.contains(&QueueAnomaly::Lost {
        op: 0,
        value: 1,
        seq: 0
    }));
    assert!(found.contains(&QueueAnomaly::Renumbered {
        op: 1,
        value: 2,
        told: 1,
        found: 5
    }));
    assert!(
        found.contains(&QueueAnomaly::Phantom { value: 3, seq: 6 }),
        "a failed enqueue"
    );
    assert!(
        found.contains(&QueueAnomaly::Phantom { value: 9, seq: 9 }),
        "no enqueue"
    );
    assert!(found.contains(&QueueAnomaly::Duplicated { value: 4, count: 2 }));
    assert_eq!(found.len(), 5, "{found:?}");
}

#[test]
fn numbers_against_real_time_are_caught() {
    // 1 ended before 2 began, but has the larger number; 3 overlaps both and may be anywhere.
    let ops = vec![
        enq(1, 0, 10, Outcome::Ok, Some(5)),
        enq(2, 20, 30, Outcome::Ok, Some(4)),
        enq(3, 5, 25, Outcome::Ok, Some(9)),
    ];
    let found = check(&ops, &[(1, 5), (2, 4), (3, 9)]);
    assert_eq!(
        found,
        vec![QueueAnomaly::OutOfOrder {
            first: 0,
            second: 1,
            a: 5,
            b: 4
        }]
    );
}
