//! Hostile peers: whatever a peer sends (any message, any values, from any server id), a
//! replica neither panics nor lets arithmetic on the values wrap. Its durable epochs and its
//! election round never go back, acceptedEpoch never falls below currentEpoch, and no epoch
//! is ever u32::MAX, after which no leader could propose a higher one.

use super::*;
use crate::replica::messages::{ForwardedRequest, MAX_EPOCH};
use proptest::prelude::*;

fn any_u32() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(2),
        Just(u32::MAX - 1),
        Just(u32::MAX),
        any::<u32>()
    ]
}

fn any_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(2),
        Just(u64::MAX - 1),
        Just(u64::MAX),
        any::<u64>()
    ]
}

fn any_zxid() -> impl Strategy<Value = Zxid> {
    (any_u32(), any_u32()).prop_map(|(e, c)| Zxid::new(e, c))
}

/// Voters 1–3, an unknown id, and the extremes.
fn any_server() -> impl Strategy<Value = ServerId> {
    prop_oneof![1..=3u64, Just(0u64), Just(9u64), Just(u64::MAX)]
}

fn any_state() -> impl Strategy<Value = ServerState> {
    prop_oneof![
        Just(ServerState::Looking),
        Just(ServerState::Following),
        Just(ServerState::Leading),
        Just(ServerState::Observing),
    ]
}

fn any_notification() -> impl Strategy<Value = Notification> {
    (
        any_state(),
        any_u64(),
        proptest::option::of(any_server()),
        any_zxid(),
        any_u32(),
    )
        .prop_map(|(state, round, leader, zxid, epoch)| Notification {
            state,
            round,
            vote: Vote {
                leader,
                zxid,
                epoch,
            },
        })
}

fn any_entry() -> impl Strategy<Value = TxnEntry> {
    (any_u32(), any_u32(), any::<u8>()).prop_map(|(e, c, v)| entry(e, c, v))
}

fn any_packet() -> impl Strategy<Value = Packet> {
    prop_oneof![
        any_u32().prop_map(|accepted_epoch| Packet::FollowerInfo { accepted_epoch }),
        any_u32().prop_map(|epoch| Packet::LeaderInfo { epoch }),
        (proptest::option::of(any_u32()), any_zxid()).prop_map(|(current_epoch, last_zxid)| {
            Packet::AckEpoch {
                current_epoch,
                last_zxid,
            }
        }),
        any_zxid().prop_map(|zxid| Packet::Diff { zxid }),
        any_zxid().prop_map(|zxid| Packet::Trunc { zxid }),
        (any_zxid(), proptest::collection::vec(any::<u8>(), 0..16)).prop_map(|(zxid, bytes)| {
            Packet::Snap {
                zxid,
                snapshot: SnapshotData::from_bytes(bytes),
            }
        }),
        any_entry().prop_map(Packet::Proposal),
        any_zxid().prop_map(|zxid| Packet::Commit { zxid }),
        any_u32().prop_map(|epoch| Packet::NewLeader { epoch }),
        any_zxid().prop_map(|zxid| Packet::Ack { zxid }),
        Just(Packet::UpToDate),
        any_entry().prop_map(Packet::Inform),
        (
            any_server(),
            any::<i64>(),
            any::<i32>(),
            proptest::collection::vec(any::<u8>(), 0..8)
        )
            .prop_map(|(origin, session_id, cxid, body)| {
                Packet::Request(ForwardedRequest {
                    origin,
                    session_id,
                    cxid,
                    body: Arc::new(body),
                })
            }),
        Just(Packet::Ping),
        any_u64().prop_map(|token| Packet::ReadIndex { token }),
        any_u64().prop_map(|round| Packet::Confirm { round }),
        any_u64().prop_map(|round| Packet::ConfirmAck { round }),
        (any_u64(), any_zxid()).prop_map(|(token, zxid)| Packet::ReadIndexReply { token, zxid }),
    ]
}

fn any_input() -> impl Strategy<Value = Input> {
    prop_oneof![
        4 => (any_server(), any_notification())
            .prop_map(|(from, n)| Input::Peer { from, msg: PeerMsg::Election(n) }),
        8 => (any_server(), any_packet()).prop_map(|(from, p)| Input::Peer { from, msg: quorum(p) }),
        2 => Just(Input::Tick { now_ms: 0 }),
        1 => any_server().prop_map(|peer| Input::Disconnected { peer }),
        1 => any_zxid().prop_map(|zxid| Input::Fsynced { zxid }),
        1 => any_u64().prop_map(|token| Input::Read { token }),
        1 => any_server().prop_map(|peer| Input::Heard { peer }),
    ]
}

/// A fresh LOOKING voter, a learner of 3 in discovery, one in synchronization (after its
/// DIFF), a follower in broadcast, and a leader in discovery.
fn start(which: u8) -> Replica<Values> {
    let learner = |packets: &[Packet]| {
        let (mut r, _) = replica(1, Durable::default());
        r.become_learner(3);
        for p in packets {
            r.step(Input::Peer {
                from: 3,
                msg: quorum(p.clone()),
            });
        }
        r
    };
    match which {
        0 => replica(1, Durable::default()).0,
        1 => learner(&[]),
        2 => learner(&[
            Packet::LeaderInfo { epoch: 1 },
            Packet::Diff { zxid: Zxid::ZERO },
        ]),
        3 => follower_in_broadcast(),
        _ => leader_3(Config::new(3, &[1, 2, 3], &[])),
    }
}

/// Steps `r` through `inputs`, checking after each step what a hostile peer must never
/// achieve.
fn survive(mut r: Replica<Values>, inputs: Vec<Input>) -> Result<(), TestCaseError> {
    let (mut accepted, mut current) = (r.accepted_epoch(), r.current_epoch());
    let mut round = r.fle.round;
    for input in inputs {
        let shown = format!("{input:?}");
        let mut joined = false;
        for out in r.step(input) {
            match out {
                Output::RoleChanged { .. } => joined = true,
                Output::SaveAcceptedEpoch(e) => {
                    prop_assert!(
                        e >= accepted && e < u32::MAX,
                        "acceptedEpoch {e} after {shown}"
                    );
                    accepted = e;
                }
                Output::SaveCurrentEpoch(e) => {
                    prop_assert!(
                        e >= current && e < u32::MAX,
                        "currentEpoch {e} after {shown}"
                    );
                    current = e;
                }
                _ => {}
            }
        }
        prop_assert!(
            r.accepted_epoch() >= r.current_epoch(),
            "epochs crossed after {shown}"
        );
        // Only joining an established ensemble sets the round back: a quorum of peers out of
        // the election names a leader that says it leads, and the replica takes their round
        // (ZooKeeper's `setLogicalClock(n.electionEpoch)`).
        prop_assert!(
            r.fle.round >= round || joined,
            "the round went back after {shown}"
        );
        round = r.fle.round;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    #[test]
    fn a_hostile_peer_cannot_panic_a_replica_or_wrap_its_epochs(
        which in 0u8..5,
        inputs in proptest::collection::vec(any_input(), 1..40),
    ) {
        survive(start(which), inputs)?;
    }
}

/// Found by the proptest above in CI: two peers out of the election, one of them the leader
/// both name, make a fresh replica join that leader at round 0, below its own round 1. That
/// is ZooKeeper's rule (`setLogicalClock(n.electionEpoch)` on joining an established
/// ensemble), not a hostile win; the check allows the round back only with such a join.
#[test]
fn joining_an_established_leader_may_set_the_round_back() {
    let told = |from, state| Input::Peer {
        from,
        msg: note(state, 0, 3, Zxid::ZERO, u32::MAX),
    };
    let r = start(0);
    let round = r.fle.round;
    assert!(round > 0);
    let inputs = vec![
        told(1, ServerState::Following),
        told(3, ServerState::Leading),
    ];
    let mut check = start(0);
    for i in inputs.clone() {
        check.step(i);
    }
    assert_eq!((check.fle.round, check.leader()), (0, Some(3)));
    survive(r, inputs).unwrap();
}

/// A leader whose acceptedEpoch is MAX_EPOCH has no epoch above it to propose. It must not
/// propose MAX_EPOCH again: a learner that accepted it answers "already accepted" and one
/// below it accepts, so the epoch would be led twice and its zxids could name two histories.
#[test]
fn a_leader_at_the_epoch_ceiling_never_fixes_an_epoch() {
    let durable = Durable {
        accepted_epoch: MAX_EPOCH,
        current_epoch: MAX_EPOCH,
        snapshot: None,
        log: vec![],
    };
    let cfg = Config::new(3, &[1, 2, 3], &[]);
    let (mut l, _) = Replica::new(cfg, durable, Values::default()).expect("a valid start");
    l.become_leader();
    for (from, acc) in [(1, 5), (2, MAX_EPOCH - 1)] {
        let out = l.step(Input::Peer {
            from,
            msg: quorum(Packet::FollowerInfo {
                accepted_epoch: acc,
            }),
        });
        let leader_info = out.iter().any(|o| {
            matches!(
                o,
                Output::Send {
                    msg: PeerMsg::Quorum(Packet::LeaderInfo { .. }),
                    ..
                }
            )
        });
        assert!(!leader_info, "an epoch was proposed: {out:?}");
    }
}
