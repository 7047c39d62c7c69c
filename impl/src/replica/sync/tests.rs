use super::*;
use crate::txn::{Txn, TxnHeader};

fn e(epoch: u32, counter: u32) -> TxnEntry {
    TxnEntry {
        header: TxnHeader {
            session_id: 0,
            cxid: 0,
            zxid: Zxid::new(epoch, counter),
            time: 0,
        },
        txn: Txn::CloseSession,
    }
}

#[test]
fn queue_committed_picks_diff_trunc_or_gives_up() {
    let log = [e(1, 1), e(1, 2), e(2, 1)];
    // The peer has 1.1: DIFF, then everything after it.
    assert_eq!(
        queue_committed(&log, Zxid::new(1, 1)),
        Some((
            Packet::Diff {
                zxid: Zxid::new(2, 1)
            },
            1
        ))
    );
    // An empty peer (counter 0): DIFF and everything.
    assert_eq!(
        queue_committed(&log, Zxid::ZERO),
        Some((
            Packet::Diff {
                zxid: Zxid::new(2, 1)
            },
            0
        ))
    );
    // The peer has 1.3, which we never committed: TRUNC to 1.2 would cross into epoch 2?
    // No: the first entry above 1.3 is 2.1, a different epoch, so a snapshot is needed.
    assert_eq!(queue_committed(&log, Zxid::new(1, 3)), None);
    // Same epoch gap: TRUNC back to the last entry below the peer's.
    let log = [e(1, 1), e(1, 2), e(1, 4)];
    assert_eq!(
        queue_committed(&log, Zxid::new(1, 3)),
        Some((
            Packet::Trunc {
                zxid: Zxid::new(1, 2)
            },
            2
        ))
    );
}

#[test]
fn next_zxid_rules() {
    assert!(is_next(Zxid::new(1, 1), Zxid::new(1, 2)));
    assert!(is_next(Zxid::new(1, 7), Zxid::new(2, 1)));
    assert!(!is_next(Zxid::new(1, 1), Zxid::new(1, 3)));
    assert!(!is_next(Zxid::new(2, 1), Zxid::new(1, 2)));
}
