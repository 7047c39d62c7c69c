//! An election notification written to TCP is read before the newer one queued behind it.

mod common;
use common::cfg;
use stateright::Model;
use zab_model::msg::{Link, Packet, Plane};
use zab_model::{Action, Election, State, ZabModel};

fn step(m: &ZabModel, st: &State, a: Action) -> State {
    let mut enabled = Vec::new();
    m.actions(st, &mut enabled);
    assert!(enabled.contains(&a), "{a:?} not enabled in\n{st:?}");
    m.next_state(st, a).expect("a step")
}

fn notifies(m: &ZabModel, st: &State, from: u8, to: u8) -> Vec<Action> {
    let mut enabled = Vec::new();
    m.actions(st, &mut enabled);
    enabled
        .into_iter()
        .filter(|a| matches!(a, Action::Notify { from: f, to: t, .. } if (*f, *t) == (from, to)))
        .collect()
}

#[test]
fn the_older_notification_in_tcp_is_read_first_then_the_newer() {
    let m = ZabModel::new(cfg(|c| {
        c.election = Election::Fle;
        c.txns = 0;
        c.crashes = 0;
        c.transmits = 1;
    }));
    let s0 = m.init_states().remove(0);
    let e01 = Link {
        from: 0,
        to: 1,
        plane: Plane::Election,
    };
    let first = s0.net.head(e01).expect("s1's first vote for s2");
    // s1 writes its first vote to TCP; then s3's vote makes s1 change its own and re-send.
    let st = step(&m, &s0, Action::Transmit { from: 0, to: 1 });
    let Some(Packet::Election(from3)) = st.net.head(Link {
        from: 2,
        to: 0,
        plane: Plane::Election,
    }) else {
        panic!("s3's first vote for s1")
    };
    let st = step(
        &m,
        &st,
        Action::Notify {
            from: 2,
            to: 0,
            n: from3,
        },
    );
    let queued: Vec<Packet> = st.net.queue(e01).collect();
    assert_eq!(queued.len(), 2, "the newer vote queues behind: {queued:?}");
    assert_eq!(queued[0], first);
    assert_ne!(queued[1], first);
    // The budget is spent: nothing more goes into TCP.
    let mut enabled = Vec::new();
    m.actions(&st, &mut enabled);
    assert!(!enabled.iter().any(|a| matches!(a, Action::Transmit { .. })));
    // s2 reads the older one first, then the newer one.
    let mut st = st;
    for p in queued {
        let Packet::Election(n) = p else {
            panic!("{p:?} on an election link")
        };
        let read = Action::Notify { from: 0, to: 1, n };
        assert_eq!(notifies(&m, &st, 0, 1), vec![read]);
        st = step(&m, &st, read);
    }
    assert_eq!(st.net.len_of(e01), 0);
}
