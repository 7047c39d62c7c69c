//! The oracle election grain (`--election oracle`): one atomic step in which a quorum of LOOKING
//! voters agrees on a member with the highest (currentEpoch, last zxid), as the outcome of a
//! Fast Leader Election round. ZooKeeper breaks the remaining ties by server id; ids are
//! arbitrary labels given by the operator, so the oracle lets any tied member win, which covers
//! every id assignment at once (and makes server ids interchangeable for symmetry reduction).
//!
//! Only quorums of minimal size are enumerated: a larger agreeing set is the same election
//! followed by `Join`s, and its leader is also the highest of the minimal subset containing it.

use crate::action::Action;
use crate::config::Config;
use crate::discovery;
use crate::state::State;
use crate::types::{Mask, ServerState, Sid};

fn looking_voter(cfg: &Config, st: &State, s: Sid) -> bool {
    cfg.is_voter(s) && st.server(s).up && st.server(s).role == ServerState::Looking
}

/// The (currentEpoch, last zxid) a server would vote with.
fn summary(st: &State, s: Sid) -> (u8, crate::types::Zxid) {
    let srv = st.server(s);
    (srv.current_epoch, srv.last_processed)
}

/// The enabled oracle election steps: `Elect` for every minimal quorum of up LOOKING voters
/// that can all talk to each other, once per member with the quorum's highest (currentEpoch,
/// lastProcessed zxid); `Join` for every up LOOKING server and reachable LEADING server.
pub fn actions(cfg: &Config, st: &State, out: &mut Vec<Action>) {
    let size = cfg.servers as usize / 2 + 1;
    let voters: Vec<Sid> = (0..cfg.servers)
        .filter(|&s| looking_voter(cfg, st, s))
        .collect();
    for quorum in subsets(&voters, size) {
        let mask = quorum.iter().fold(Mask::EMPTY, |m, &s| m.with(s));
        if !quorum
            .iter()
            .all(|&a| quorum.iter().all(|&b| st.env.connected(a, b)))
        {
            continue;
        }
        let best = quorum.iter().map(|&s| summary(st, s)).max().unwrap();
        for &leader in &quorum {
            if summary(st, leader) == best {
                out.push(Action::Elect {
                    leader,
                    quorum: mask,
                });
            }
        }
    }
    for s in st.ids() {
        if !st.server(s).up || st.server(s).role != ServerState::Looking {
            continue;
        }
        for l in st.ids() {
            if l != s && st.reachable(s, l) && st.server(l).role == ServerState::Leading {
                out.push(Action::Join {
                    server: s,
                    leader: l,
                });
            }
        }
    }
}

fn subsets(items: &[Sid], k: usize) -> Vec<Vec<Sid>> {
    if k == 0 {
        return vec![vec![]];
    }
    if items.len() < k {
        return vec![];
    }
    let mut with_first: Vec<Vec<Sid>> = subsets(&items[1..], k - 1)
        .into_iter()
        .map(|mut v| {
            v.insert(0, items[0]);
            v
        })
        .collect();
    with_first.extend(subsets(&items[1..], k));
    with_first
}

/// `Elect`: the leader enters LEADING and every other quorum member FOLLOWING it; unless only
/// the election is checked, each enters discovery (the leader proposes acceptedEpoch + 1).
pub fn elect(cfg: &Config, st: &mut State, leader: Sid, quorum: Mask) {
    // The leader first, so that followers find its acceptor open.
    discovery::enter_role(cfg, st, leader, leader);
    for s in quorum.iter().filter(|&s| s != leader) {
        discovery::enter_role(cfg, st, s, leader);
    }
}

/// `Join`: LOOKING server `s` follows (an observer observes) `leader`, as FLE's
/// `outofelection` path does.
pub fn join(cfg: &Config, st: &mut State, s: Sid, leader: Sid) {
    discovery::enter_role(cfg, st, s, leader);
}

#[cfg(test)]
mod tests {
    use super::subsets;

    #[test]
    fn subsets_of_size_k() {
        assert_eq!(
            subsets(&[0, 1, 2], 2),
            vec![vec![0, 1], vec![0, 2], vec![1, 2]]
        );
        assert_eq!(subsets(&[0, 1, 2, 3, 4], 3).len(), 10);
    }
}
