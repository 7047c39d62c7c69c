//! Exact outputs of single steps: the ordering contract (durable writes before the packets
//! that reveal them) and the protocol's messages.

use super::*;
use crate::txn::{Txn, TxnHeader};
use std::sync::Arc;

/// A toy state machine: the list of values written, in order.
#[derive(Clone, Debug, Default, PartialEq)]
struct Values(Vec<Vec<u8>>);

impl StateMachine for Values {
    type Outcome = usize;
    fn prepare(&self, _: i64, body: &[u8], _: Zxid, _: i64) -> Txn {
        Txn::SetData {
            path: "/v".into(),
            data: body.to_vec().into(),
            version: self.0.len() as i32,
        }
    }
    fn apply(&mut self, entry: &TxnEntry) -> usize {
        if let Txn::SetData { data, .. } = &entry.txn {
            self.0.push(data.to_vec());
        }
        self.0.len()
    }
    fn write_snapshot(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        out.write_all(&crate::encoding::encode(&self.0).unwrap())
    }
    fn read_snapshot(&self, input: &mut dyn std::io::Read) -> std::io::Result<Self> {
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes)?;
        crate::encoding::decode(&bytes)
            .map(Values)
            .map_err(std::io::Error::other)
    }
}

fn entry(epoch: u32, counter: u32, v: u8) -> TxnEntry {
    TxnEntry {
        header: TxnHeader {
            session_id: 7,
            cxid: counter as i32,
            zxid: Zxid::new(epoch, counter),
            time: 0,
        },
        txn: Txn::SetData {
            path: "/v".into(),
            data: vec![v].into(),
            version: 0,
        },
    }
}

fn replica(id: ServerId, durable: Durable) -> (Replica<Values>, Vec<Output<usize>>) {
    Replica::new(Config::new(id, &[1, 2, 3], &[]), durable, Values::default())
        .expect("a valid start")
}

fn note(state: ServerState, round: u64, leader: ServerId, zxid: Zxid, epoch: u32) -> PeerMsg {
    PeerMsg::Election(Notification {
        state,
        round,
        vote: Vote {
            leader: Some(leader),
            zxid,
            epoch,
        },
    })
}

fn send(to: ServerId, msg: PeerMsg) -> Output<usize> {
    Output::Send { to, msg }
}

fn quorum(p: Packet) -> PeerMsg {
    PeerMsg::Quorum(p)
}

#[test]
fn a_fresh_voter_sends_its_own_vote_to_every_other_voter() {
    let (_, out) = replica(2, Durable::default());
    let mine = note(ServerState::Looking, 1, 2, Zxid::ZERO, 0);
    assert_eq!(out, vec![send(1, mine.clone()), send(3, mine)]);
}

#[test]
fn a_better_vote_is_adopted_and_sent_to_every_other_voter() {
    let (mut r, _) = replica(1, Durable::default());
    let out = r.step(Input::Peer {
        from: 3,
        msg: note(ServerState::Looking, 1, 3, Zxid::ZERO, 0),
    });
    let adopted = note(ServerState::Looking, 1, 3, Zxid::ZERO, 0);
    assert_eq!(out, vec![send(2, adopted.clone()), send(3, adopted)]);
    // Our vote and 3's agree: a quorum, so the finalize wait runs, then we follow 3.
    r.step(Input::Tick { now_ms: 100 });
    let out = r.step(Input::Tick { now_ms: 200 });
    assert_eq!(
        out,
        vec![
            send(3, quorum(Packet::FollowerInfo { accepted_epoch: 0 })),
            Output::RoleChanged {
                state: ServerState::Following,
                leader: Some(3),
                epoch: 0
            }
        ]
    );
}

#[test]
fn a_worse_vote_is_recorded_but_not_adopted() {
    let (mut r, _) = replica(3, Durable::default());
    let out = r.step(Input::Peer {
        from: 1,
        msg: note(ServerState::Looking, 1, 1, Zxid::ZERO, 0),
    });
    assert_eq!(out, vec![]);
}

#[test]
fn leaderinfo_saves_the_accepted_epoch_before_acking_it() {
    let (mut r, _) = replica(1, Durable::default());
    r.become_learner(3);
    r.out.clear();
    let out = r.step(Input::Peer {
        from: 3,
        msg: quorum(Packet::LeaderInfo { epoch: 1 }),
    });
    assert_eq!(
        out,
        vec![
            Output::SaveAcceptedEpoch(1),
            send(
                3,
                quorum(Packet::AckEpoch {
                    current_epoch: Some(0),
                    last_zxid: Zxid::ZERO
                })
            ),
        ]
    );
    assert_eq!(r.phase(), Phase::Synchronization);
}

#[test]
fn newleader_logs_then_writes_the_epoch_then_acks() {
    let (mut r, _) = replica(1, Durable::default());
    r.become_learner(3);
    r.step(Input::Peer {
        from: 3,
        msg: quorum(Packet::LeaderInfo { epoch: 1 }),
    });
    for p in [
        Packet::Diff {
            zxid: Zxid::new(1, 1),
        },
        Packet::Proposal(entry(1, 1, 9)),
        Packet::Commit {
            zxid: Zxid::new(1, 1),
        },
    ] {
        assert_eq!(
            r.step(Input::Peer {
                from: 3,
                msg: quorum(p)
            }),
            vec![]
        );
    }
    let out = r.step(Input::Peer {
        from: 3,
        msg: quorum(Packet::NewLeader { epoch: 1 }),
    });
    assert_eq!(
        out,
        vec![
            Output::SaveUpdatingEpoch(1),
            Output::Append {
                entries: vec![entry(1, 1, 9)],
                fsync: true
            },
            Output::SaveCurrentEpoch(1),
            send(
                3,
                quorum(Packet::Ack {
                    zxid: Zxid::new(1, 0)
                })
            ),
        ]
    );
    assert_eq!(r.state_machine().0, vec![vec![9]]);
    assert_eq!(r.current_epoch(), 1);
}

/// Server 1, synced by leader 3 in epoch 1 with an empty history (DIFF), in broadcast.
fn follower_in_broadcast() -> Replica<Values> {
    follower_in_broadcast_with(Config::new(1, &[1, 2, 3], &[]))
}

fn follower_in_broadcast_with(cfg: Config) -> Replica<Values> {
    let (mut r, _) = Replica::new(cfg, Durable::default(), Values::default()).unwrap();
    r.become_learner(3);
    for p in [
        Packet::LeaderInfo { epoch: 1 },
        Packet::Diff { zxid: Zxid::ZERO },
        Packet::NewLeader { epoch: 1 },
        Packet::UpToDate,
    ] {
        r.step(Input::Peer {
            from: 3,
            msg: quorum(p),
        });
    }
    r
}

#[test]
fn a_follower_acks_a_proposal_only_once_it_is_durable() {
    let mut r = follower_in_broadcast();
    let out = r.step(Input::Peer {
        from: 3,
        msg: quorum(Packet::Proposal(entry(1, 1, 5))),
    });
    assert_eq!(
        out,
        vec![Output::Append {
            entries: vec![entry(1, 1, 5)],
            fsync: false
        }]
    );
    let out = r.step(Input::Fsynced {
        zxid: Zxid::new(1, 1),
    });
    assert_eq!(
        out,
        vec![send(
            3,
            quorum(Packet::Ack {
                zxid: Zxid::new(1, 1)
            })
        )]
    );
    // COMMIT applies it.
    let out = r.step(Input::Peer {
        from: 3,
        msg: quorum(Packet::Commit {
            zxid: Zxid::new(1, 1),
        }),
    });
    assert_eq!(
        out,
        vec![Output::Applied {
            zxid: Zxid::new(1, 1),
            session_id: 7,
            cxid: 1,
            local: false,
            outcome: 1
        }]
    );
}

/// A write forwarded to a leader that goes away is forgotten when the follower goes back to
/// LOOKING: nothing would ever count it out.
#[test]
fn writes_in_flight_are_forgotten_on_the_way_back_to_looking() {
    let mut r = follower_in_broadcast();
    r.step(Input::Write {
        session_id: 7,
        cxid: 1,
        body: Arc::new(vec![]),
    });
    assert_eq!(r.local_writes.len(), 1);
    r.step(Input::Disconnected { peer: 3 });
    assert_eq!(r.server_state(), ServerState::Looking);
    assert!(r.local_writes.is_empty(), "{:?}", r.local_writes);
}

#[test]
fn a_proposal_with_a_gap_ends_the_following() {
    let mut r = follower_in_broadcast();
    let out = r.step(Input::Peer {
        from: 3,
        msg: quorum(Packet::Proposal(entry(1, 2, 5))),
    });
    assert_eq!(out[0], Output::Disconnect { peer: 3 });
    assert_eq!(r.server_state(), ServerState::Looking);
}

#[test]
fn an_inform_with_a_gap_or_a_repeat_ends_the_observing() {
    for (z, ok) in [(1, true), (3, false), (1, false)] {
        let mut r = follower_in_broadcast_with(Config::new(4, &[1, 2, 3], &[4]));
        assert_eq!(r.server_state(), ServerState::Observing);
        if !ok && z == 1 {
            r.step(Input::Peer {
                from: 3,
                msg: quorum(Packet::Inform(entry(1, 1, 5))),
            });
        }
        let out = r.step(Input::Peer {
            from: 3,
            msg: quorum(Packet::Inform(entry(1, z, 5))),
        });
        let left = out.contains(&Output::Disconnect { peer: 3 });
        assert_eq!(left, !ok, "INFORM 1.{z}: {out:?}");
        let state = r.server_state();
        assert_eq!(state == ServerState::Looking, !ok, "INFORM 1.{z}");
    }
}

/// Server 3 with 1.1 on disk, voted for itself, leading; server 1 (empty) is yet to connect.
fn leader_3(cfg: Config) -> Replica<Values> {
    let durable = Durable {
        accepted_epoch: 1,
        current_epoch: 1,
        snapshot: None,
        log: vec![entry(1, 1, 4)],
    };
    let (mut l, _) = Replica::new(cfg, durable, Values::default()).expect("a valid start");
    l.fle.vote = Some(Vote {
        leader: Some(3),
        zxid: Zxid::new(1, 1),
        epoch: 1,
    });
    l.become_leader();
    l.out.clear();
    l
}

/// Server 1's side of discovery and synchronization with leader 3, one message per step.
fn learner_1_joins() -> [Input; 3] {
    let from_1 = |p| Input::Peer {
        from: 1,
        msg: quorum(p),
    };
    [
        from_1(Packet::FollowerInfo { accepted_epoch: 1 }),
        from_1(Packet::AckEpoch {
            current_epoch: Some(0),
            last_zxid: Zxid::ZERO,
        }),
        from_1(Packet::Ack {
            zxid: Zxid::new(2, 0),
        }),
    ]
}

#[test]
fn a_write_without_a_leader_is_rejected() {
    let (mut r, _) = replica(1, Durable::default());
    let out = r.step(Input::Write {
        session_id: 1,
        cxid: 1,
        body: Arc::new(vec![]),
    });
    assert_eq!(
        out,
        vec![Output::WriteRejected {
            session_id: 1,
            cxid: 1
        }]
    );
}

#[test]
fn a_restart_replays_the_whole_log_and_votes_with_its_last_zxid() {
    let durable = Durable {
        accepted_epoch: 1,
        current_epoch: 1,
        snapshot: None,
        log: vec![entry(1, 1, 1), entry(1, 2, 2)],
    };
    let (r, out) = replica(1, durable);
    assert_eq!(r.last_processed(), Zxid::new(1, 2));
    assert_eq!(
        out[0],
        send(2, note(ServerState::Looking, 1, 1, Zxid::new(1, 2), 1))
    );
}

#[test]
fn a_snapshot_the_state_machine_cannot_read_stops_the_start() {
    let durable = Durable {
        snapshot: Some((Zxid::new(1, 3), Arc::new(vec![0xff]))),
        ..Durable::default()
    };
    let err = Replica::new(Config::new(1, &[1, 2, 3], &[]), durable, Values::default())
        .expect_err("garbage is not a snapshot");
    assert_eq!(err, super::StartError::BadSnapshot(Zxid::new(1, 3)));
}

mod hostile;
mod leader;
mod lone;
mod reads;
mod timeouts;
