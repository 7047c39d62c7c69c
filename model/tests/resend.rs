//! notTimeout re-sends the vote when `haveDelivered` holds: some send queue to another voter
//! has nothing waiting in it; a notification already written to TCP has left its queue
//! (mismatch 9, `specs/refinement.md`).

mod common;
use common::cfg;
use stateright::Model;
use zab_model::msg::{Link, Packet, Plane};
use zab_model::{Action, Election, State, ZabModel};

fn model() -> ZabModel {
    ZabModel::new(cfg(|c| {
        c.election = Election::Fle;
        c.txns = 0;
        c.crashes = 0;
        c.transmits = 1;
    }))
}

fn enabled(m: &ZabModel, st: &State) -> Vec<Action> {
    let mut out = Vec::new();
    m.actions(st, &mut out);
    out
}

fn step(m: &ZabModel, st: &State, a: Action) -> State {
    assert!(enabled(m, st).contains(&a), "{a:?} not enabled in\n{st:?}");
    m.next_state(st, a).expect("a step")
}

fn election(from: u8, to: u8) -> Link {
    Link {
        from,
        to,
        plane: Plane::Election,
    }
}

fn resends(m: &ZabModel, st: &State) -> Vec<u8> {
    enabled(m, st)
        .into_iter()
        .filter_map(|a| match a {
            Action::Resend(s) => Some(s),
            _ => None,
        })
        .collect()
}

#[test]
fn no_resend_while_every_send_queue_holds_a_waiting_vote() {
    let m = model();
    let s0 = m.init_states().remove(0);
    assert_eq!(s0.net.waiting().count(), 6, "every first vote waits");
    assert_eq!(resends(&m, &s0), Vec::<u8>::new());
}

#[test]
fn one_drained_queue_is_enough_to_resend() {
    let m = model();
    let s0 = m.init_states().remove(0);
    // s2 reads s1's vote: s1's queue to s2 is empty, its queue to s3 still waits.
    let Some(Packet::Election(n)) = s0.net.head(election(0, 1)) else {
        panic!("s1's first vote for s2")
    };
    let st = step(&m, &s0, Action::Notify { from: 0, to: 1, n });
    assert_eq!(st.net.len_of(election(0, 1)), 0);
    assert_eq!(st.net.len_of(election(0, 2)), 1);
    assert!(resends(&m, &st).contains(&0), "s3 still lacks s1's vote");
    // The re-send replaces the copy waiting for s3 and queues a new one for s2.
    let st = step(&m, &st, Action::Resend(0));
    assert_eq!(st.net.len_of(election(0, 2)), 1);
    assert_eq!(st.net.len_of(election(0, 1)), 1);
}

#[test]
fn a_vote_written_to_tcp_has_left_its_queue() {
    let m = model();
    let s0 = m.init_states().remove(0);
    let st = step(&m, &s0, Action::Transmit { from: 0, to: 1 });
    assert!(resends(&m, &st).contains(&0), "s1's queue to s2 is empty");
    let st = step(&m, &st, Action::Resend(0));
    // Behind the copy in TCP a new one queues; the one waiting for s3 is replaced.
    assert_eq!(st.net.len_of(election(0, 1)), 2);
    assert_eq!(st.net.len_of(election(0, 2)), 1);
}
