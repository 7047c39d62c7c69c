//! Discovery: a learner connects and sends FOLLOWERINFO(acceptedEpoch); the leader waits for
//! a quorum, proposes an epoch above every acceptedEpoch heard (LEADERINFO); learners accept it
//! durably and answer ACKEPOCH(currentEpoch, last zxid); a quorum of ACKEPOCHs ends discovery.
//! After `Leader.getEpochToPropose`, `waitForEpochAck` and `Learner.registerWithLeader`.

use crate::config::{Config, Scope};
use crate::msg::Msg;
use crate::ops::{self, send};
use crate::state::{Conn, Handler, LeaderState, LearnerState, State, Violation};
use crate::types::{Phase, ServerState, Sid, Zxid};

/// The election is over for `s`: lead if it elected itself, else learn from `leader`.
pub fn enter_role(cfg: &Config, st: &mut State, s: Sid, leader: Sid) {
    let srv = st.server_mut(s);
    srv.learner = LearnerState::default();
    srv.leader = LeaderState::default();
    if cfg.scope == Scope::Election {
        // Fast Leader Election alone: the decision is the end of the story.
        srv.role = if leader == s {
            ServerState::Leading
        } else if cfg.is_voter(s) {
            ServerState::Following
        } else {
            ServerState::Observing
        };
        srv.learner.leader = Some(leader);
        return;
    }
    srv.phase = Phase::Discovery;
    if leader == s {
        srv.role = ServerState::Leading;
        srv.leader.epoch = srv.accepted_epoch + 1;
        // lead(): getEpochToPropose(self) — the leader counts toward its own quorum.
        srv.leader.connecting = crate::types::Mask::one(s);
        try_fix_epoch(cfg, st, s);
    } else {
        srv.role = if cfg.is_voter(s) {
            ServerState::Following
        } else {
            ServerState::Observing
        };
        srv.learner.leader = Some(leader);
        srv.learner.conn = Conn::NotYet;
    }
}

/// A learner may connect once its leader's acceptor is open.
pub fn can_connect(st: &State, s: Sid) -> bool {
    let srv = st.server(s);
    let Some(l) = srv.learner.leader else {
        return false;
    };
    srv.up
        && matches!(srv.role, ServerState::Following | ServerState::Observing)
        && srv.learner.conn == Conn::NotYet
        && st.reachable(s, l)
        && st.server(l).role == ServerState::Leading
        && st.server(l).leader.handler[s as usize] == Handler::None
}

/// `connectToLeader` + `registerWithLeader`'s first packet.
pub fn connect(cfg: &Config, st: &mut State, s: Sid) {
    let l = st
        .server(s)
        .learner
        .leader
        .expect("connect without a leader");
    st.server_mut(s).learner.conn = Conn::Open;
    st.server_mut(l).leader.handler[s as usize] = Handler::Connected;
    let acc = st.server(s).accepted_epoch;
    let info = Msg::FollowerInfo {
        accepted_epoch: acc,
    };
    send(st, s, l, info);
    if cfg.mutant_on(crate::mutants::Mutant::DuplicateFollowerInfo) {
        send(st, s, l, info);
    }
}

/// The leader reads FOLLOWERINFO from learner `j`.
pub fn on_follower_info(cfg: &Config, st: &mut State, l: Sid, j: Sid, accepted_epoch: u8) {
    let ls = &mut st.server_mut(l).leader;
    if ls.handler[j as usize] != Handler::Connected {
        st.ghost.raise(Violation::IllegalMessage);
        return;
    }
    if ls.epoch_fixed {
        ls.handler[j as usize] = Handler::AwaitAckEpoch;
        let e = ls.epoch;
        send(st, l, j, Msg::LeaderInfo { epoch: e });
        return;
    }
    if accepted_epoch >= ls.epoch {
        ls.epoch = accepted_epoch + 1;
    }
    if cfg.is_voter(j) {
        ls.connecting = ls.connecting.with(j);
    }
    ls.handler[j as usize] = Handler::AwaitEpoch;
    try_fix_epoch(cfg, st, l);
}

/// `getEpochToPropose` returns once a quorum including the leader has connected: the leader
/// accepts the epoch durably and every waiting handler sends LEADERINFO.
fn try_fix_epoch(cfg: &Config, st: &mut State, l: Sid) {
    let srv = st.server_mut(l);
    let ls = &mut srv.leader;
    if ls.epoch_fixed || !ls.connecting.contains(l) || !cfg.is_quorum(ls.connecting.len()) {
        return;
    }
    ls.epoch_fixed = true;
    srv.accepted_epoch = ls.epoch;
    let e = ls.epoch;
    for j in st.ids().collect::<Vec<_>>() {
        if st.server(l).leader.handler[j as usize] == Handler::AwaitEpoch {
            st.server_mut(l).leader.handler[j as usize] = Handler::AwaitAckEpoch;
            send(st, l, j, Msg::LeaderInfo { epoch: e });
        }
    }
    // lead(): waitForEpochAck(self, leaderStateSummary).
    let ls = &mut st.server_mut(l).leader;
    ls.electing = ls.electing.with(l);
    try_finish_epoch_ack(cfg, st, l);
}

/// The learner reads LEADERINFO: it accepts a newer epoch durably before answering.
pub fn on_leader_info(cfg: &Config, st: &mut State, j: Sid, l: Sid, epoch: u8) {
    let srv = st.server_mut(j);
    if srv.phase != Phase::Discovery {
        st.ghost.raise(Violation::StateInconsistent);
        return;
    }
    let last = srv.last_processed;
    let reply = if epoch > srv.accepted_epoch {
        let cur = srv.current_epoch;
        srv.accepted_epoch = epoch;
        Some(cur)
    } else if epoch == srv.accepted_epoch {
        // Already acked this epoch: answer -1 so it does not count twice.
        None
    } else {
        // "Leaders epoch is less than accepted epoch": give up on this leader.
        ops::shutdown_to_looking(cfg, st, j);
        return;
    };
    st.server_mut(j).phase = Phase::Synchronization;
    send(
        st,
        j,
        l,
        Msg::AckEpoch {
            current_epoch: reply,
            last,
        },
    );
}

/// `StateSummary.isMoreRecentThan`: (currentEpoch, last zxid) order.
pub fn more_recent(a: (u8, Zxid), b: (u8, Zxid)) -> bool {
    a.0 > b.0 || (a.0 == b.0 && a.1 > b.1)
}

/// The leader reads ACKEPOCH from `j` (`LearnerHandler` then `waitForEpochAck`).
pub fn on_ack_epoch(
    cfg: &Config,
    st: &mut State,
    l: Sid,
    j: Sid,
    current_epoch: Option<u8>,
    last: Zxid,
) {
    let leader = st.server(l);
    if leader.leader.handler[j as usize] != Handler::AwaitAckEpoch {
        st.ghost.raise(Violation::IllegalMessage);
        return;
    }
    let summary = (leader.current_epoch, leader.last_processed);
    let finished = leader.leader.epoch_acked;
    st.server_mut(l).leader.peer_last[j as usize] = last;
    if !finished {
        if let Some(cur) = current_epoch {
            if more_recent((cur, last), summary) {
                // "Follower is ahead of the leader": the handler thread dies.
                ops::close_learner_conn(cfg, st, j);
                return;
            }
            if cfg.is_voter(j) {
                let ls = &mut st.server_mut(l).leader;
                ls.electing = ls.electing.with(j);
            }
        }
    }
    st.server_mut(l).leader.handler[j as usize] = Handler::AwaitSync;
    try_finish_epoch_ack(cfg, st, l);
}

/// `electionFinished`: a quorum including the leader acked the epoch. The leader writes
/// currentEpoch and enters synchronization; handlers may now run syncFollower.
fn try_finish_epoch_ack(cfg: &Config, st: &mut State, l: Sid) {
    let srv = st.server_mut(l);
    let ls = &mut srv.leader;
    if ls.epoch_acked || !ls.electing.contains(l) || !cfg.is_quorum(ls.electing.len()) {
        return;
    }
    ls.epoch_acked = true;
    let e = ls.epoch;
    srv.current_epoch = e;
    srv.phase = Phase::Synchronization;
    // waitForNewLeaderAck(self): the leader acks its own NEWLEADER.
    srv.leader.newleader_acks = crate::types::Mask::one(l);
    // Past the ghost's slots (epoch 10 and above: only the refinement's explanations, which
    // may step past a model's bounds, get there) leaders go unrecorded rather than panic.
    if let Some(m) = st.ghost.epoch_leaders.get_mut(e as usize) {
        *m = m.with(l);
    }
    crate::sync::try_establish(cfg, st, l);
}
