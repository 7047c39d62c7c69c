//! Linearizable reads by read index (zabd's `zab.reads=linearizable`; not in ZooKeeper).
//!
//! A read at server `s` asks the leader for its commit point (READINDEX; a leader asks
//! itself). The leader cannot answer from its own state alone: a leader cut off from its
//! quorum does not know yet that a newer one may be committing without it. So it batches
//! the requests into a quorum round: it takes its last committed zxid as the read index,
//! sends CONFIRM to its followers, and once a quorum (itself included) answered CONFIRMACK it
//! sends READINDEXREPLY to each waiting learner. The server answers its client once it has
//! applied up to the read index. ZooKeeper's `sync` skips the quorum round
//! (ZOOKEEPER-1675), which is what the `zk-1675` switch re-introduces.

use crate::bugs::Bug;
use crate::config::Config;
use crate::msg::Msg;
use crate::ops::send;
use crate::state::{Read, ReadRound, State, Violation};
use crate::types::{Phase, ServerState, Sid, Zxid};

/// Whether a client may open a linearizable read at `s` now: the server is in broadcast
/// (an established leader, or a learner connected to one) and has no read open.
pub fn can_start(cfg: &Config, st: &State, s: Sid) -> bool {
    st.ghost.reads < cfg.reads
        && st.server(s).read == Read::Idle
        && crate::broadcast::accepts_writes(st, s)
}

/// `ReadStart(s)`: a client opens a linearizable read at `s`. The ghost floor is the last
/// committed zxid now: the answer must include it.
pub fn start(cfg: &Config, st: &mut State, s: Sid) {
    st.ghost.reads += 1;
    let floor = st.ghost.committed.last_zxid();
    let srv = st.server_mut(s);
    srv.read = Read::Asked;
    srv.read_floor = floor;
    match (srv.role, srv.learner.leader) {
        (ServerState::Leading, _) => enqueue(cfg, st, s, s),
        (_, Some(leader)) => send(st, s, leader, Msg::ReadIndex),
        (_, None) => unreachable!("a learner in broadcast has a leader"),
    }
}

/// READINDEX from learner `j` at leader `l`.
pub fn on_read_index(cfg: &Config, st: &mut State, l: Sid, j: Sid) {
    enqueue(cfg, st, l, j);
}

/// Queues `j`'s request at leader `l` and starts a round if none is in progress.
fn enqueue(cfg: &Config, st: &mut State, l: Sid, j: Sid) {
    let ls = &mut st.server_mut(l).leader;
    ls.read_queue = ls.read_queue.with(j);
    if ls.read_round.is_none() {
        start_round(cfg, st, l);
    }
}

/// The leader's last committed zxid.
fn commit_point(st: &State, l: Sid) -> Zxid {
    st.server(l).delivered().last_zxid()
}

/// Starts a quorum round for every queued request: CONFIRM to each follower in broadcast.
fn start_round(cfg: &Config, st: &mut State, l: Sid) {
    let index = commit_point(st, l);
    let srv = st.server_mut(l);
    let ls = &mut srv.leader;
    let round = ReadRound {
        round: ls.read_rounds,
        index,
        waiting: ls.read_queue,
        acks: crate::types::Mask::one(l),
    };
    ls.read_rounds += 1;
    ls.read_queue = crate::types::Mask::EMPTY;
    ls.read_round = Some(round);
    let followers: Vec<Sid> = st
        .ids()
        .filter(|&j| j != l && cfg.is_voter(j))
        .filter(|&j| st.server(l).leader.handler[j as usize] == crate::state::Handler::Broadcast)
        .collect();
    if cfg.bug_on(Bug::Zk1675) || cfg.is_quorum(1) {
        // ZooKeeper's sync: the leader answers from its own state, without a quorum round.
        return finish_round(cfg, st, l);
    }
    for j in followers {
        send(st, l, j, Msg::Confirm { round: round.round });
    }
}

/// A follower `j` that enters broadcast while a round is in progress is asked too: the
/// followers asked when the round began may have left since, and without `j`'s answer the
/// round, and every read queued behind it, could wait while the leader keeps its quorum.
pub fn join_round(cfg: &Config, st: &mut State, l: Sid, j: Sid) {
    if let Some(r) = st.server(l).leader.read_round {
        if cfg.is_voter(j) && !cfg.bug_on(Bug::Zk1675) {
            send(st, l, j, Msg::Confirm { round: r.round });
        }
    }
}

/// CONFIRM at follower `j`: it still follows `l`.
pub fn on_confirm(st: &mut State, j: Sid, l: Sid, round: u8) {
    send(st, j, l, Msg::ConfirmAck { round });
}

/// CONFIRMACK from follower `j` at leader `l`: once a quorum answered this round, every
/// waiting read gets the read index.
pub fn on_confirm_ack(cfg: &Config, st: &mut State, l: Sid, j: Sid, round: u8) {
    let ls = &mut st.server_mut(l).leader;
    let Some(r) = ls.read_round.as_mut().filter(|r| r.round == round) else {
        return; // an answer to an earlier round
    };
    r.acks = r.acks.with(j);
    if cfg.is_quorum(r.acks.len()) {
        finish_round(cfg, st, l);
    }
}

/// The round is confirmed: the read index goes to every waiting server, and the next round
/// starts if requests queued meanwhile.
fn finish_round(cfg: &Config, st: &mut State, l: Sid) {
    let Some(round) = st.server_mut(l).leader.read_round.take() else {
        return;
    };
    for j in round.waiting.iter() {
        if j == l {
            st.server_mut(l).read = Read::Ready(round.index);
        } else {
            send(st, l, j, Msg::ReadIndexReply { zxid: round.index });
        }
    }
    if !st.server(l).leader.read_queue.is_empty() {
        start_round(cfg, st, l);
    }
}

/// READINDEXREPLY at learner `j`: its read waits until it has applied `zxid`.
pub fn on_read_index_reply(st: &mut State, j: Sid, zxid: Zxid) {
    st.server_mut(j).read = Read::Ready(zxid);
}

/// Whether `s` can answer its read now: the leader confirmed a read index and `s` has applied
/// up to it.
pub fn can_serve(st: &State, s: Sid) -> bool {
    let srv = st.server(s);
    match srv.read {
        Read::Ready(index) => srv.up && srv.delivered().last_zxid() >= index,
        _ => false,
    }
}

/// `ReadServe(s)`: `s` answers the read from its applied state, which must hold everything
/// committed before the read began.
pub fn serve(st: &mut State, s: Sid) {
    let srv = st.server_mut(s);
    let seen = srv.delivered().last_zxid();
    let stale = seen < srv.read_floor;
    srv.read = Read::Idle;
    srv.read_floor = Zxid::ZERO;
    st.ghost.read_served = true;
    if stale {
        st.ghost.raise(Violation::StaleRead);
    }
}

/// Whether a CONFIRM from `l` reaches `j` as a follower of `l` in broadcast.
pub fn follows_in_broadcast(st: &State, j: Sid, l: Sid) -> bool {
    let r = st.server(j);
    r.role == ServerState::Following && r.phase == Phase::Broadcast && r.learner.leader == Some(l)
}
