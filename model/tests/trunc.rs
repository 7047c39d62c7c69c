//! A TRUNC that would cut into a learner's snapshot: ZooKeeper cannot truncate it (its
//! truncateLog fails and the server exits), so the learner gives up on that leader.

mod common;
use common::cfg;
use stateright::Model;
use zab_model::sync::into_snapshot;
use zab_model::types::{Hist, Txn, Zxid};
use zab_model::ZabModel;

#[test]
fn a_trunc_below_the_snapshot_cannot_be_carried_out() {
    let mut srv = ZabModel::new(cfg(|_| {})).init_states()[0].servers[0];
    let t = |c| Txn {
        zxid: Zxid::new(1, c),
        value: c,
    };
    srv.log = Hist::from_slice(&[t(1), t(2)]);
    srv.log_snap = 2;
    // Both txns came in a snapshot, neither delivered as committed.
    assert!(into_snapshot(&srv, Zxid::ZERO));
    assert!(into_snapshot(&srv, Zxid::new(1, 1)));
    assert!(
        !into_snapshot(&srv, Zxid::new(1, 2)),
        "the snapshot's own zxid"
    );
    // Logged after the snapshot: truncatable.
    srv.log_snap = 1;
    assert!(!into_snapshot(&srv, Zxid::new(1, 1)));
    // Cutting what was delivered is a violation of its own, not this case.
    srv.log_snap = 2;
    srv.committed = 2;
    assert!(!into_snapshot(&srv, Zxid::ZERO));
}
