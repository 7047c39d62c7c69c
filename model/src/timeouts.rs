//! Protocol timeouts (initLimit, syncLimit, the follower's read timeout). A timeout is enabled
//! only when what the server waits for can no longer happen: that is the timing assumption
//! under which liveness is checked (timeouts are long enough for a live quorum to finish).
//! Premature timeouts are faults with budgets: a learner's is a `Lose` of its connection, a
//! leader's is `PrematureTimeout` (`faults.rs`).

use crate::config::{Config, Election, Scope};
use crate::discovery::more_recent;
use crate::state::{Conn, Handler, State};
use crate::types::{ServerState, Sid};

/// A learner gives up on its leader.
pub fn learner_timeout_enabled(cfg: &Config, st: &State, s: Sid) -> bool {
    let srv = st.server(s);
    if !srv.up || !matches!(srv.role, ServerState::Following | ServerState::Observing) {
        return false;
    }
    let Some(l) = srv.learner.leader else {
        return false;
    };
    if crate::sync::in_newleader(cfg, srv, s) {
        // The QuorumPeer thread is inside its NEWLEADER handling: it logs, writes the epoch
        // and writes the ACK before it reads again, so a broken connection is noticed only
        // after the last step (found by refinement: the replica handles NEWLEADER in one
        // step).
        return false;
    }
    let gone = !st.reachable(s, l);
    let left = leader_left(cfg, st, s, l);
    if cfg.scope == Scope::Election {
        return gone || left;
    }
    match srv.learner.conn {
        Conn::Closed => true,
        Conn::NotYet => gone || left,
        Conn::Open => false,
    }
}

/// Whether learner `s`'s leader `l` has left the round in which `s` chose it, so that its
/// connection attempts can only fail (a LOOKING server accepts no learners) until ZooKeeper's
/// `connectToLeader` gives up: `l` follows someone else, or is LOOKING again after a crash or
/// a timeout. Under FLE a LOOKING `l` still in the learner's round may yet decide to lead (a
/// follower can decide first), so the learner waits; in any other round it cannot lead the
/// learner's (its FOLLOWING peers' votes carry their round, and `checkLeader` wants its own),
/// whether it moved on or restarted (rounds start again at a restart).
fn leader_left(cfg: &Config, st: &State, s: Sid, l: Sid) -> bool {
    match st.server(l).role {
        ServerState::Leading => false,
        ServerState::Following | ServerState::Observing => true,
        // The oracle makes a leader LEADING as it is elected, so a LOOKING one gave up; in
        // `--phase election` FLE runs whatever `--election` says (`ZabModel::actions`).
        ServerState::Looking if cfg.election == Election::Oracle && cfg.scope == Scope::All => true,
        ServerState::Looking => st.fle[l as usize].round != st.fle[s as usize].round,
    }
}

/// A leader cannot assemble (initLimit) or keep (syncLimit) a quorum.
pub fn leader_timeout_enabled(cfg: &Config, st: &State, l: Sid) -> bool {
    let srv = st.server(l);
    if !srv.up || srv.role != ServerState::Leading {
        return false;
    }
    if cfg.scope == Scope::Election {
        // Zab's initLimit: a leader without a quorum of followers gives up, whoever is still
        // LOOKING. Each give-up starts a new round, so early ones cannot form a cycle.
        let support = st
            .ids()
            .filter(|&v| cfg.is_voter(v))
            .filter(|&v| {
                v == l
                    || (st.reachable(l, v)
                        && st.server(v).role == ServerState::Following
                        && st.server(v).learner.leader == Some(l))
            })
            .count();
        return !cfg.is_quorum(support);
    }
    let ls = &srv.leader;
    if ls.established {
        // The tick check: synced (connected) voters, the leader included.
        let synced = ls.learners().with(l);
        let count = synced.iter().filter(|&v| cfg.is_voter(v)).count();
        return !cfg.is_quorum(count);
    }
    !cfg.is_quorum(potential_support(cfg, st, l))
}

/// How many voters could still count toward the quorum the leader is waiting for: those
/// already counted, plus reachable voters that follow it or may join it and whose answer would
/// count (they would not reject its epoch, not answer "already accepted", not be ahead of it).
fn potential_support(cfg: &Config, st: &State, l: Sid) -> usize {
    let leader = st.server(l);
    let ls = &leader.leader;
    let counted = if !ls.epoch_fixed {
        ls.connecting
    } else if !ls.epoch_acked {
        ls.electing
    } else {
        ls.newleader_acks
    };
    let summary = (leader.current_epoch, leader.last_processed);
    st.ids()
        .filter(|&v| cfg.is_voter(v))
        .filter(|&v| {
            if counted.contains(v) {
                return true;
            }
            if !st.reachable(l, v) {
                return false;
            }
            let srv = st.server(v);
            let attached = match srv.role {
                ServerState::Looking => true,
                ServerState::Following => {
                    srv.learner.leader == Some(l) && srv.learner.conn != Conn::Closed
                }
                _ => false,
            };
            if !attached {
                return false;
            }
            let ahead = more_recent((srv.current_epoch, srv.last_processed), summary);
            let handler = ls.handler[v as usize];
            if !ls.epoch_fixed {
                true
            } else if !ls.epoch_acked {
                match handler {
                    Handler::None => srv.accepted_epoch < ls.epoch && !ahead,
                    Handler::Connected | Handler::AwaitEpoch | Handler::AwaitAckEpoch => !ahead,
                    _ => false,
                }
            } else {
                match handler {
                    Handler::AwaitQuorum | Handler::Broadcast => false,
                    _ => srv.accepted_epoch <= ls.epoch,
                }
            }
        })
        .count()
}
