//! Symmetry reduction over server ids (oracle election only, where ids carry no meaning).
//!
//! stateright 0.31 applies symmetry only in its DFS checker, so the model canonicalizes each
//! successor itself: `next_state` returns the least state, in the derived order, among the
//! renamings that sort servers by an id-free key (all orders are tried within groups of equal
//! keys). Voters are renamed among voters, observers among observers. Properties quantify
//! over all servers, so they are invariant under renaming. Counterexamples are mapped back to
//! the original names by replaying them (`unpermute_path`).

use crate::action::Action;
use crate::config::Config;
use crate::msg::{Notification, Packet};
use crate::state::{Fle, Server, State, MAX_SERVERS};
use crate::types::{Mask, Sid};

/// What a server looks like without the ids it refers to.
fn key(srv: &Server) -> impl Ord {
    let ls = &srv.leader;
    let l = &srv.learner;
    (
        (
            srv.up,
            srv.role,
            srv.phase,
            srv.accepted_epoch,
            srv.current_epoch,
            srv.log,
            srv.hist,
            srv.unsynced,
            srv.stale_unsynced,
            srv.committed,
            srv.last_processed,
        ),
        (srv.read, srv.read_floor),
        (
            ls.epoch,
            ls.epoch_fixed,
            ls.epoch_acked,
            ls.established,
            ls.connecting.len(),
            ls.electing.len(),
            ls.newleader_acks.len(),
        ),
        (l.conn, l.sync_mode, l.newleader, l.nl_steps, l.pnl, l.pc),
    )
}

/// The canonical representative of `st`'s symmetry class.
pub fn canonical(st: &State, cfg: &Config) -> State {
    canonical_with_perm(st, cfg).0
}

/// The canonical state and the renaming that produced it (`perm[old] = new`).
pub fn canonical_with_perm(st: &State, cfg: &Config) -> (State, Vec<Sid>) {
    let mut best: Option<(State, Vec<Sid>)> = None;
    for perm in candidate_perms(st, cfg) {
        let p = permute(st, &perm);
        if best.as_ref().is_none_or(|(b, _)| p < *b) {
            best = Some((p, perm));
        }
    }
    best.expect("at least the identity")
}

/// Renamings that sort each class (voters, observers) by key, trying every order within ties.
fn candidate_perms(st: &State, cfg: &Config) -> Vec<Vec<Sid>> {
    let classes: [Vec<Sid>; 2] = [
        (0..cfg.servers).collect(),
        (cfg.servers..cfg.servers + cfg.observers).collect(),
    ];
    let mut perms: Vec<Vec<Sid>> = vec![vec![0; st.n()]];
    for class in classes.iter().filter(|c| !c.is_empty()) {
        let mut sorted = class.clone();
        sorted.sort_by_key(|&s| key(st.server(s)));
        // Orders of `sorted` that permute only within runs of equal keys.
        let mut orders: Vec<Vec<Sid>> = vec![vec![]];
        let mut i = 0;
        while i < sorted.len() {
            let mut j = i + 1;
            while j < sorted.len() && key(st.server(sorted[j])) == key(st.server(sorted[i])) {
                j += 1;
            }
            let run = &sorted[i..j];
            let run_perms = permutations(run);
            orders = orders
                .into_iter()
                .flat_map(|o| {
                    run_perms.iter().map(move |rp| {
                        let mut o = o.clone();
                        o.extend(rp);
                        o
                    })
                })
                .collect();
            i = j;
        }
        perms = perms
            .into_iter()
            .flat_map(|p| {
                orders.iter().map(move |order| {
                    let mut p = p.clone();
                    // The server at position k of the order gets the k-th id of its class.
                    for (k, &old) in order.iter().enumerate() {
                        p[old as usize] = class[k];
                    }
                    p
                })
            })
            .collect();
    }
    perms
}

fn permutations(items: &[Sid]) -> Vec<Vec<Sid>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let x = rest.remove(i);
        for mut p in permutations(&rest) {
            p.insert(0, x);
            out.push(p);
        }
    }
    out
}

/// Renames every server id in the state (`perm[old] = new`).
pub fn permute(st: &State, perm: &[Sid]) -> State {
    let n = st.n();
    let mut servers = vec![Server::fresh(); n];
    for old in 0..n {
        servers[perm[old] as usize] = rename_server(&st.servers[old], perm);
    }
    let mut fle = vec![Fle::default(); st.fle.len()];
    for old in 0..st.fle.len() {
        fle[perm[old] as usize] = rename_fle(&st.fle[old], perm);
    }
    let mut env = st.env;
    env.partition = normalize_side(env.partition.permute(perm), n);
    let mut ghost = st.ghost;
    for m in ghost.epoch_leaders.iter_mut() {
        *m = m.permute(perm);
    }
    State {
        servers,
        fle,
        net: st.net.permute(perm, |p| rename_packet(p, perm)),
        env,
        ghost,
    }
}

/// A partition and its complement are the same split: keep the side holding s1.
pub fn normalize_side(side: Mask, n: usize) -> Mask {
    if side.is_empty() || side.contains(0) {
        side
    } else {
        Mask(!side.0 & ((1u16 << n) - 1) as u8)
    }
}

fn rename_server(srv: &Server, perm: &[Sid]) -> Server {
    let mut s = *srv;
    let ls = &mut s.leader;
    ls.connecting = ls.connecting.permute(perm);
    ls.electing = ls.electing.permute(perm);
    ls.newleader_acks = ls.newleader_acks.permute(perm);
    for m in ls.acks.iter_mut() {
        *m = m.permute(perm);
    }
    ls.read_queue = ls.read_queue.permute(perm);
    if let Some(r) = ls.read_round.as_mut() {
        r.waiting = r.waiting.permute(perm);
        r.acks = r.acks.permute(perm);
    }
    let mut handler = [Default::default(); MAX_SERVERS];
    let mut peer_last = [Default::default(); MAX_SERVERS];
    for old in 0..perm.len() {
        handler[perm[old] as usize] = ls.handler[old];
        peer_last[perm[old] as usize] = ls.peer_last[old];
    }
    ls.handler = handler;
    ls.peer_last = peer_last;
    s.learner.leader = s.learner.leader.map(|l| perm[l as usize]);
    s
}

fn rename_fle(f: &Fle, perm: &[Sid]) -> Fle {
    let mut out = *f;
    out.vote.leader = f.vote.leader.map(|l| perm[l as usize]);
    out.recv = Default::default();
    out.ooe = Default::default();
    for old in 0..perm.len() {
        out.recv[perm[old] as usize] = f.recv[old].map(|mut b| {
            b.vote.leader = b.vote.leader.map(|l| perm[l as usize]);
            b
        });
        out.ooe[perm[old] as usize] = f.ooe[old].map(|mut b| {
            b.vote.leader = b.vote.leader.map(|l| perm[l as usize]);
            b
        });
    }
    out
}

fn rename_packet(p: Packet, perm: &[Sid]) -> Packet {
    match p {
        Packet::Election(n) => Packet::Election(Notification {
            vote: crate::msg::Vote {
                leader: n.vote.leader.map(|l| perm[l as usize]),
                ..n.vote
            },
            ..n
        }),
        q => q,
    }
}

/// Renames the servers an action names.
pub fn permute_action(a: Action, perm: &[Sid]) -> Action {
    let p = |s: Sid| perm[s as usize];
    match a {
        Action::Elect { leader, quorum } => Action::Elect {
            leader: p(leader),
            quorum: quorum.permute(perm),
        },
        Action::Join { server, leader } => Action::Join {
            server: p(server),
            leader: p(leader),
        },
        Action::Notify { from, to, n } => Action::Notify {
            from: p(from),
            to: p(to),
            n: Notification {
                vote: crate::msg::Vote {
                    leader: n.vote.leader.map(p),
                    ..n.vote
                },
                ..n
            },
        },
        Action::Decide(s) => Action::Decide(p(s)),
        Action::Resend(s) => Action::Resend(p(s)),
        Action::Connect(s) => Action::Connect(p(s)),
        Action::Deliver { from, to, msg } => Action::Deliver {
            from: p(from),
            to: p(to),
            msg,
        },
        Action::SyncLearner {
            leader,
            learner,
            snapshot,
        } => Action::SyncLearner {
            leader: p(leader),
            learner: p(learner),
            snapshot,
        },
        Action::NewLeaderStep(s, step) => Action::NewLeaderStep(p(s), step),
        Action::SyncFlush(s, z) => Action::SyncFlush(p(s), z),
        Action::ClientRequest(s) => Action::ClientRequest(p(s)),
        Action::ReadStart(s) => Action::ReadStart(p(s)),
        Action::ReadServe(s) => Action::ReadServe(p(s)),
        Action::LearnerTimeout(s) => Action::LearnerTimeout(p(s)),
        Action::LeaderTimeout(s) => Action::LeaderTimeout(p(s)),
        Action::PrematureTimeout(s) => Action::PrematureTimeout(p(s)),
        Action::Crash(s) => Action::Crash(p(s)),
        Action::Restart(s) => Action::Restart(p(s)),
        // The model splits by the side holding s1; renaming may hand it the other side.
        Action::Partition(m) => Action::Partition(normalize_side(m.permute(perm), perm.len())),
        Action::Heal => Action::Heal,
        Action::Lose { from, to, plane } => Action::Lose {
            from: p(from),
            to: p(to),
            plane,
        },
        Action::Transmit { from, to } => Action::Transmit {
            from: p(from),
            to: p(to),
        },
    }
}

/// The inverse renaming.
pub fn invert(perm: &[Sid]) -> Vec<Sid> {
    let mut inv = vec![0; perm.len()];
    for (old, &new) in perm.iter().enumerate() {
        inv[new as usize] = old as Sid;
    }
    inv
}
