//! How long a leader waits on a silent learner: initLimit while it synchronizes (up to its
//! ACK of NEWLEADER), syncLimit once it has, as ZooKeeper's LearnerHandler times its reads.

use super::*;

/// Ticks the established leader `l` `n` times while learner 1 pings it each tick; whether
/// it gave learner 2 up meanwhile.
fn ticks_dropping_2(l: &mut Replica<Values>, n: u64) -> bool {
    let mut dropped = false;
    for _ in 0..n {
        l.step(Input::Peer {
            from: 1,
            msg: quorum(Packet::Ping),
        });
        let out = l.step(Input::Tick { now_ms: 0 });
        dropped |= out.contains(&Output::Disconnect { peer: 2 });
    }
    dropped
}

/// Learner 2 of an established leader has been sent its sync and NEWLEADER and is silent
/// (restoring a large SNAP, writing its own snapshot): it is given initLimit, not syncLimit.
/// Once in broadcast, syncLimit is what it gets.
#[test]
fn a_syncing_learner_gets_init_limit_and_a_synced_one_sync_limit() {
    let mut cfg = Config::new(3, &[1, 2, 3], &[]);
    (cfg.init_limit, cfg.sync_limit) = (20, 5);
    let mut l = leader_3(cfg);
    for input in learner_1_joins() {
        l.step(input);
    }
    assert!(l.is_established_leader());
    let from_2 = |p| Input::Peer {
        from: 2,
        msg: quorum(p),
    };
    l.step(from_2(Packet::FollowerInfo { accepted_epoch: 1 }));
    l.step(from_2(Packet::AckEpoch {
        current_epoch: Some(0),
        last_zxid: Zxid::ZERO,
    }));
    assert!(!ticks_dropping_2(&mut l, 10), "dropped within initLimit");
    assert!(ticks_dropping_2(&mut l, 11), "kept past initLimit");

    l.step(from_2(Packet::FollowerInfo { accepted_epoch: 2 }));
    l.step(from_2(Packet::AckEpoch {
        current_epoch: Some(2),
        last_zxid: Zxid::new(1, 1),
    }));
    l.step(from_2(Packet::Ack {
        zxid: Zxid::new(2, 0),
    }));
    assert!(l.leads_in_broadcast(2));
    assert!(
        ticks_dropping_2(&mut l, 6),
        "kept past syncLimit in broadcast"
    );
}
