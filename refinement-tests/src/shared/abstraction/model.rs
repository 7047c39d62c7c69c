//! The model's side of the abstraction.

use super::{LeaderView, LearnerView, LiveView, ServerView, SyncView, View};
use std::collections::BTreeMap;
use zab_model::msg::{Packet, Plane};
use zab_model::state::{Ballot, Fle, Handler, Server};
use zab_model::sync;
use zab_model::types::{Mask, Phase, ServerState, Sid};
use zab_model::{Config, Scope, State};

impl View {
    /// The model's view of `st`. A follower inside its NEWLEADER handling shows the memory the
    /// rest of the handling leaves, since the implementation does it in one step; its disk,
    /// epochs, step count and ACK are shown as they are. Unless the scope is `Scope::All`, only
    /// the election's variables are compared.
    pub fn of_model(cfg: &Config, st: &State) -> View {
        let servers = st.ids().map(|s| server(cfg, st, s)).collect();
        let mut election: BTreeMap<_, Vec<_>> = BTreeMap::new();
        let mut quorum: BTreeMap<_, Vec<_>> = BTreeMap::new();
        for (l, p) in st.net.iter() {
            match (l.plane, p) {
                (Plane::Election, Packet::Election(n)) => {
                    election.entry((l.from, l.to)).or_default().push(*n);
                }
                (Plane::Quorum, Packet::Quorum(m)) => {
                    quorum.entry((l.from, l.to)).or_default().push(*m)
                }
                _ => unreachable!("a packet on the other plane"),
            }
        }
        View {
            servers,
            election,
            quorum,
        }
    }
}

fn server(cfg: &Config, st: &State, s: Sid) -> ServerView {
    let srv = st.server(s);
    let live = srv.up.then(|| {
        let mut v = live(cfg, &memory_after_newleader(cfg, st, s), s);
        // The steps themselves are counted as they are.
        if let Some(sync) = v.learner.as_mut().and_then(|l| l.sync.as_mut()) {
            sync.nl_steps = srv.learner.nl_steps;
        }
        v
    });
    ServerView {
        up: srv.up,
        accepted_epoch: srv.accepted_epoch,
        current_epoch: srv.current_epoch,
        log: srv.log,
        log_snap: srv.log_snap,
        live,
    }
}

/// The state as the rest of `s`'s NEWLEADER handling leaves it: the implementation handles
/// NEWLEADER in one step, so its memory is there already (its disk and its ACK are not: those
/// are compared as they are).
fn memory_after_newleader(cfg: &Config, st: &State, s: Sid) -> State {
    let mut st = st.clone();
    while sync::in_newleader(cfg, st.server(s), s) {
        sync::newleader_step(cfg, &mut st, s);
    }
    st
}

fn live(cfg: &Config, st: &State, s: Sid) -> LiveView {
    let srv = st.server(s);
    let f: Fle = st.fle.get(s as usize).copied().unwrap_or_default();
    let zab = cfg.scope == Scope::All;
    LiveView {
        role: srv.role,
        phase: if zab { srv.phase } else { Phase::Election },
        hist: srv.hist,
        hist_snap: srv.hist_snap,
        unsynced: srv.unsynced,
        committed: srv.committed,
        last_processed: srv.last_processed,
        round: f.round,
        vote: f.vote,
        vote_round: f.vote_round,
        recv: boxed(&f.recv),
        ooe: boxed(&f.ooe),
        draining: f.draining,
        read: srv.read,
        leader: (zab && srv.role == ServerState::Leading).then(|| leader(cfg, srv)),
        learner: (zab && matches!(srv.role, ServerState::Following | ServerState::Observing))
            .then(|| learner(srv)),
    }
}

fn boxed(b: &[Option<Ballot>]) -> BTreeMap<Sid, Ballot> {
    b.iter()
        .enumerate()
        .filter_map(|(i, x)| x.map(|x| (i as Sid, x)))
        .collect()
}

fn leader(cfg: &Config, srv: &Server) -> LeaderView {
    let ls = &srv.leader;
    let handlers: BTreeMap<Sid, Handler> = ls
        .handler
        .iter()
        .enumerate()
        .take(cfg.n())
        .filter(|(_, h)| **h != Handler::None)
        .map(|(j, h)| (j as Sid, *h))
        .collect();
    let peer_last = handlers
        .iter()
        .filter(|(_, h)| **h == Handler::AwaitSync)
        .map(|(j, _)| (*j, ls.peer_last[*j as usize]))
        .collect();
    // Proposals are outstanding only at an established leader (before, its whole history
    // counts as committed and the ack slots are dead).
    let outstanding = if ls.established {
        srv.committed as usize..srv.hist.len()
    } else {
        0..0
    };
    let acks = outstanding
        .map(|i| {
            let voters = ls.acks[i].iter().filter(|&v| cfg.is_voter(v));
            let mask = voters.fold(Mask::EMPTY, |m, v| m.with(v));
            (srv.hist.get(i).expect("in range").zxid, mask)
        })
        .collect();
    LeaderView {
        epoch: ls.epoch,
        epoch_fixed: ls.epoch_fixed,
        connecting: ls.connecting,
        electing: ls.electing,
        epoch_acked: ls.epoch_acked,
        newleader_acks: ls.newleader_acks,
        established: ls.established,
        handlers,
        peer_last,
        acks,
        read_queue: ls.read_queue,
        read_round: ls.read_round,
        read_rounds: ls.read_rounds,
    }
}

fn learner(srv: &Server) -> LearnerView {
    let l = &srv.learner;
    LearnerView {
        leader: l.leader.expect("a learner has a leader"),
        conn: l.conn,
        sync: (srv.phase == Phase::Synchronization).then(|| SyncView {
            mode: l.sync_mode,
            newleader: l.newleader,
            nl_steps: l.nl_steps,
            pnl: l.pnl,
            pc: l.pc.as_slice().iter().map(|t| t.zxid).collect(),
        }),
    }
}
