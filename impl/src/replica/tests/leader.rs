//! A leader's side, step by step: syncing a learner and committing on a quorum, running out
//! of zxid counters, rebuilding its pending state, periodic snapshots, and which learners'
//! forwarded writes it proposes.

use super::*;

#[test]
fn the_leader_syncs_with_diff_and_commits_on_a_quorum() {
    let mut l = leader_3(Config::new(3, &[1, 2, 3], &[]));
    let [follower_info, ack_epoch, ack_newleader] = learner_1_joins();
    let out = l.step(follower_info);
    // A quorum connected: the epoch is fixed (2) and written before LEADERINFO leaves.
    assert_eq!(
        out,
        vec![
            Output::SaveAcceptedEpoch(2),
            send(1, quorum(Packet::LeaderInfo { epoch: 2 }))
        ]
    );
    let out = l.step(ack_epoch);
    assert_eq!(
        out,
        vec![
            Output::SaveCurrentEpoch(2),
            send(
                1,
                quorum(Packet::Diff {
                    zxid: Zxid::new(1, 1)
                })
            ),
            send(1, quorum(Packet::Proposal(entry(1, 1, 4)))),
            send(
                1,
                quorum(Packet::Commit {
                    zxid: Zxid::new(1, 1)
                })
            ),
            send(1, quorum(Packet::NewLeader { epoch: 2 })),
        ]
    );
    let out = l.step(ack_newleader);
    assert_eq!(out, vec![send(1, quorum(Packet::UpToDate))]);
    assert!(l.is_established_leader());
    // A write: logged asynchronously, proposed; committed once 1 acks and our disk has it.
    let out = l.step(Input::Write {
        session_id: 7,
        cxid: 1,
        body: Arc::new(vec![8]),
    });
    let mut p = entry(2, 1, 8);
    p.header.cxid = 1;
    p.txn = Txn::SetData {
        path: "/v".into(),
        data: vec![8].into(),
        version: 1,
    };
    assert_eq!(
        out,
        vec![
            Output::Append {
                entries: vec![p.clone()],
                fsync: false
            },
            send(1, quorum(Packet::Proposal(p.clone()))),
        ]
    );
    let ack = Input::Peer {
        from: 1,
        msg: quorum(Packet::Ack {
            zxid: Zxid::new(2, 1),
        }),
    };
    assert_eq!(
        l.step(ack),
        vec![],
        "1's ack alone is not a quorum of durable copies"
    );
    let out = l.step(Input::Fsynced {
        zxid: Zxid::new(2, 1),
    });
    assert_eq!(
        out,
        vec![
            Output::Applied {
                zxid: Zxid::new(2, 1),
                session_id: 7,
                cxid: 1,
                local: true,
                outcome: 2
            },
            send(
                1,
                quorum(Packet::Commit {
                    zxid: Zxid::new(2, 1)
                })
            ),
        ]
    );
}

#[test]
fn a_driven_leader_syncs_a_learner_only_when_told_and_by_the_route_it_is_told() {
    let cfg = Config {
        sync_schedule: SyncSchedule::Driven,
        ..Config::new(3, &[1, 2, 3], &[])
    };
    let mut l = leader_3(cfg);
    let [follower_info, ack_epoch, _] = learner_1_joins();
    l.step(follower_info);
    // Discovery ends (the epoch is written) but the handler waits for its turn.
    assert_eq!(l.step(ack_epoch), vec![Output::SaveCurrentEpoch(2)]);
    // A learner that is not waiting to sync is ignored.
    let other = Input::SyncLearner {
        learner: 2,
        snapshot: false,
    };
    assert_eq!(l.step(other), vec![]);
    let out = l.step(Input::SyncLearner {
        learner: 1,
        snapshot: true,
    });
    let snapshot = SnapshotData::from_bytes(Values(vec![vec![4]]).snapshot());
    assert_eq!(
        out,
        vec![
            send(
                1,
                quorum(Packet::Snap {
                    zxid: Zxid::new(1, 1),
                    snapshot
                })
            ),
            send(1, quorum(Packet::NewLeader { epoch: 2 })),
        ]
    );
    // Once synced, the handler does not sync again.
    let again = Input::SyncLearner {
        learner: 1,
        snapshot: false,
    };
    assert_eq!(l.step(again), vec![]);
}

#[test]
fn a_leader_out_of_zxid_counters_refuses_the_write_and_looks_for_a_new_epoch() {
    let mut l = leader_3(Config {
        last_counter: 2,
        ..Config::new(3, &[1, 2, 3], &[])
    });
    for input in learner_1_joins() {
        l.step(input);
    }
    assert!(l.is_established_leader());
    let write = |cxid| Input::Write {
        session_id: 7,
        cxid,
        body: Arc::new(vec![cxid as u8]),
    };
    for cxid in 1..=2 {
        let out = l.step(write(cxid));
        assert!(matches!(out[0], Output::Append { .. }), "{out:?}");
    }
    // 2.2 is the last counter: the third write would be 2.3. ZooKeeper refuses it
    // (XidRolloverException) and the leader shuts down, so the next proposal comes from a
    // new epoch. The unacknowledged proposals are drained to disk on the way out.
    let out = l.step(write(3));
    assert_eq!(
        out[..4],
        [
            Output::WriteRejected {
                session_id: 7,
                cxid: 3
            },
            Output::Disconnect { peer: 1 },
            Output::Append {
                entries: vec![],
                fsync: true
            },
            Output::RoleChanged {
                state: ServerState::Looking,
                leader: None,
                epoch: 2
            },
        ]
    );
    let vote = note(ServerState::Looking, 2, 3, Zxid::new(2, 2), 2);
    assert_eq!(out[4..], [send(1, vote.clone()), send(2, vote)]);
    assert_eq!(l.server_state(), ServerState::Looking);
}

/// Every 1,024 commits the leader rebuilds its pending state from the applied one: the
/// proposals still outstanding are replayed onto it, so the next write is prepared against
/// them too (here its version counts every value written before it).
#[test]
fn a_leader_rebuilding_its_pending_state_keeps_the_outstanding_proposals() {
    let mut l = leader_3(Config::new(3, &[1, 2, 3], &[]));
    for input in learner_1_joins() {
        l.step(input);
    }
    let write = |cxid: i32| Input::Write {
        session_id: 7,
        cxid,
        body: Arc::new(vec![1]),
    };
    for cxid in 1..=1030 {
        l.step(write(cxid));
    }
    for counter in 1..=1024 {
        l.step(Input::Peer {
            from: 1,
            msg: quorum(Packet::Ack {
                zxid: Zxid::new(2, counter),
            }),
        });
    }
    l.step(Input::Fsynced {
        zxid: Zxid::new(2, 1024),
    });
    assert_eq!(l.committed(), Zxid::new(2, 1024));
    let out = l.step(write(1031));
    let Some(Output::Append { entries, .. }) = out.first() else {
        panic!("not proposed: {out:?}");
    };
    // 1 value before the epoch, 1,030 proposed: the write after them sees 1,031.
    assert!(
        matches!(entries[0].txn, Txn::SetData { version: 1031, .. }),
        "{:?}",
        entries[0].txn
    );
}

/// snapCount 2 draws a threshold of exactly one entry: the step after an entry is applied
/// (and durable) starts by snapshotting it, and the log before it leaves memory.
#[test]
fn a_periodic_snapshot_saves_the_applied_state_and_drops_the_log_it_covers() {
    let mut cfg = Config::new(1, &[1, 2, 3], &[]);
    cfg.snap_count = Some(2);
    let mut r = follower_in_broadcast_with(cfg);
    let z1 = Zxid::new(1, 1);
    for input in [
        Input::Peer {
            from: 3,
            msg: quorum(Packet::Proposal(entry(1, 1, 5))),
        },
        Input::Fsynced { zxid: z1 },
        Input::Peer {
            from: 3,
            msg: quorum(Packet::Proposal(entry(1, 2, 6))),
        },
    ] {
        r.step(input);
    }
    assert_eq!(r.log().len(), 2, "nothing applied yet, nothing to snapshot");
    let out = r.step(Input::Peer {
        from: 3,
        msg: quorum(Packet::Commit { zxid: z1 }),
    });
    assert!(
        matches!(out.as_slice(), [Output::Applied { .. }]),
        "{out:?}"
    );
    // The next step snapshots z1 first; 1.2 is not durable yet, so it stays.
    let out = r.step(Input::Tick { now_ms: 0 });
    let Some(Output::SaveSnapshot { zxid, data }) = out.first() else {
        panic!("no snapshot first: {out:?}");
    };
    assert_eq!(*zxid, z1);
    assert_eq!(
        r.state_machine().restore(&data.bytes()),
        Some(Values(vec![vec![5]]))
    );
    assert_eq!(r.base_zxid(), z1);
    assert_eq!(r.log(), &[entry(1, 2, 6)][..]);
    // Applied but not durable: no snapshot until the sync thread catches up.
    r.step(Input::Peer {
        from: 3,
        msg: quorum(Packet::Commit {
            zxid: Zxid::new(1, 2),
        }),
    });
    let out = r.step(Input::Tick { now_ms: 0 });
    assert!(!out.iter().any(|o| matches!(o, Output::SaveSnapshot { .. })));
    r.step(Input::Fsynced {
        zxid: Zxid::new(1, 2),
    });
    let out = r.step(Input::Tick { now_ms: 0 });
    assert!(
        matches!(out.first(), Some(Output::SaveSnapshot { zxid, .. }) if *zxid == Zxid::new(1, 2))
    );
    assert!(r.log().is_empty());
}

/// A REQUEST is a synced learner's: from a peer the leader has not sent UPTODATE (here one
/// that never connected), the write is not proposed and the connection is dropped. Before,
/// any connection that claimed a configured id could write under any session and identity.
#[test]
fn a_leader_proposes_forwarded_writes_only_from_learners_in_broadcast() {
    let mut l = leader_3(Config::new(3, &[1, 2, 3], &[]));
    for input in learner_1_joins() {
        l.step(input);
    }
    assert!(l.is_established_leader());
    let request = |from| Input::Peer {
        from,
        msg: quorum(Packet::Request(super::messages::ForwardedRequest {
            origin: from,
            session_id: 7,
            cxid: 1,
            body: Arc::new(vec![8]),
        })),
    };
    assert_eq!(l.step(request(2)), vec![Output::Disconnect { peer: 2 }]);
    assert!(l.leads_in_broadcast(1) && !l.leads_in_broadcast(2));
    let out = l.step(request(1));
    assert!(
        matches!(out.first(), Some(Output::Append { .. })),
        "learner 1's write is proposed: {out:?}"
    );
}
