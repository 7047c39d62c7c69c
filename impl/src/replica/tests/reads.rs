//! Linearizable reads by read index: the leader answers only after a quorum round, batches
//! what arrives during one, and every open read fails when its server leaves its role.

use super::*;

fn from(j: ServerId, p: Packet) -> Input {
    Input::Peer {
        from: j,
        msg: quorum(p),
    }
}

/// Leader 3 of epoch 2 with learners 1 and 2 in broadcast; 1.1 committed.
fn leader_with_two_followers() -> Replica<Values> {
    let mut l = leader_3(Config::new(3, &[1, 2, 3], &[]));
    for j in [1, 2] {
        for input in learner_1_joins() {
            let Input::Peer { msg, .. } = input else {
                unreachable!()
            };
            l.step(Input::Peer { from: j, msg });
        }
    }
    assert!(l.leads_in_broadcast(1) && l.leads_in_broadcast(2));
    l.out.clear();
    l
}

fn confirms(out: &[Output<usize>]) -> Vec<(ServerId, u64)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send {
                to,
                msg: PeerMsg::Quorum(Packet::Confirm { round }),
            } => Some((*to, *round)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_leader_answers_its_own_read_only_after_a_quorum_confirms() {
    let mut l = leader_with_two_followers();
    let index = l.committed();
    assert_eq!(index, Zxid::new(1, 1));
    let out = l.step(Input::Read { token: 5 });
    assert_eq!(confirms(&out), vec![(1, 0), (2, 0)]);
    assert!(!out.iter().any(|o| matches!(o, Output::ReadIndex { .. })));
    // An answer to another round does not count.
    assert_eq!(l.step(from(1, Packet::ConfirmAck { round: 7 })), vec![]);
    let out = l.step(from(2, Packet::ConfirmAck { round: 0 }));
    assert_eq!(
        out,
        vec![Output::ReadIndex {
            token: 5,
            zxid: index
        }]
    );
    // The late answer of the finished round is ignored.
    assert_eq!(l.step(from(1, Packet::ConfirmAck { round: 0 })), vec![]);
}

#[test]
fn reads_arriving_during_a_round_wait_for_the_next_one() {
    let mut l = leader_with_two_followers();
    l.step(Input::Read { token: 1 });
    // A learner's request during round 0: it must not ride on a round that began before it.
    assert_eq!(l.step(from(1, Packet::ReadIndex { token: 40 })), vec![]);
    let out = l.step(from(2, Packet::ConfirmAck { round: 0 }));
    assert_eq!(
        out[0],
        Output::ReadIndex {
            token: 1,
            zxid: Zxid::new(1, 1)
        }
    );
    assert_eq!(
        confirms(&out[1..]),
        vec![(1, 1), (2, 1)],
        "round 1 starts at once"
    );
    let out = l.step(from(1, Packet::ConfirmAck { round: 1 }));
    let reply = Packet::ReadIndexReply {
        token: 40,
        zxid: Zxid::new(1, 1),
    };
    assert_eq!(out, vec![send(1, quorum(reply))]);
}

#[test]
fn a_read_index_from_a_learner_not_in_broadcast_drops_the_connection() {
    let mut l = leader_with_two_followers();
    let out = l.step(from(5, Packet::ReadIndex { token: 1 }));
    assert_eq!(out, vec![Output::Disconnect { peer: 5 }]);
}

#[test]
fn a_learner_that_disconnects_gets_no_reply_for_its_read() {
    let mut l = leader_with_two_followers();
    l.step(from(1, Packet::ReadIndex { token: 8 }));
    l.step(Input::Disconnected { peer: 1 });
    // 2 and the leader are a quorum; the round's only waiting read was 1's, now gone.
    let out = l.step(from(2, Packet::ConfirmAck { round: 0 }));
    assert_eq!(out, vec![]);
}

#[test]
fn a_follower_asks_its_leader_confirms_and_answers_at_the_index() {
    let mut f = follower_in_broadcast();
    let out = f.step(Input::Read { token: 9 });
    assert_eq!(out, vec![send(3, quorum(Packet::ReadIndex { token: 9 }))]);
    let out = f.step(from(3, Packet::Confirm { round: 4 }));
    assert_eq!(out, vec![send(3, quorum(Packet::ConfirmAck { round: 4 }))]);
    let zxid = Zxid::new(1, 1);
    // A reply for a read it does not have open is ignored.
    assert_eq!(
        f.step(from(3, Packet::ReadIndexReply { token: 2, zxid })),
        vec![]
    );
    let out = f.step(from(3, Packet::ReadIndexReply { token: 9, zxid }));
    assert_eq!(out, vec![Output::ReadIndex { token: 9, zxid }]);
}

#[test]
fn open_reads_fail_when_their_server_leaves_its_role() {
    let mut f = follower_in_broadcast();
    f.step(Input::Read { token: 9 });
    let out = f.step(Input::Disconnected { peer: 3 });
    assert_eq!(out.first(), Some(&Output::ReadFailed { token: 9 }));
    assert_eq!(f.server_state(), ServerState::Looking);
    // Not serving: a read fails at once.
    assert_eq!(
        f.step(Input::Read { token: 10 }),
        vec![Output::ReadFailed { token: 10 }]
    );

    let mut l = leader_with_two_followers();
    l.step(Input::Read { token: 3 });
    l.step(Input::Disconnected { peer: 1 });
    l.step(Input::Disconnected { peer: 2 });
    // Alone, the leader gives up at its next tick, and its read with it.
    let mut out = Vec::new();
    for _ in 0..2 {
        out.extend(l.step(Input::Tick { now_ms: 0 }));
    }
    assert!(out.contains(&Output::ReadFailed { token: 3 }), "{out:?}");
    assert_eq!(l.server_state(), ServerState::Looking);
}

#[test]
fn a_follower_that_rejoins_during_a_round_is_asked_too() {
    let mut l = leader_with_two_followers();
    l.step(Input::Read { token: 5 });
    // Both followers leave before answering; 1 comes back and is synced again.
    l.step(Input::Disconnected { peer: 1 });
    l.step(Input::Disconnected { peer: 2 });
    let mut out = Vec::new();
    for input in learner_1_joins() {
        out.extend(l.step(input));
    }
    assert_eq!(confirms(&out), vec![(1, 0)], "{out:?}");
    let out = l.step(from(1, Packet::ConfirmAck { round: 0 }));
    assert_eq!(
        out,
        vec![Output::ReadIndex {
            token: 5,
            zxid: Zxid::new(1, 1)
        }]
    );
}
