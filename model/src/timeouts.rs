//! Protocol timeouts (initLimit, syncLimit, the follower's read timeout). A timeout is enabled
//! only when what the server waits for can no longer happen: that is the timing assumption
//! under which liveness is checked (timeouts are long enough for a live quorum to finish).
//! Premature timeouts are faults with budgets: a learner's is a `Lose` of its connection, a
//! leader's is `PrematureTimeout` (`faults.rs`).

use crate::config::{Config, Election, Scope};
use crate::discovery::more_recent;
use crate::msg::Packet;
use crate::state::{Conn, Handler, State};
use crate::types::{Mask, ServerState, Sid};

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
/// follower can decide first), so the learner waits while that can still happen
/// (`may_lead`); in any other round `l` cannot lead the learner's (its FOLLOWING peers'
/// votes carry their round, and `checkLeader` wants its own), whether it moved on or
/// restarted (rounds start again at a restart).
fn leader_left(cfg: &Config, st: &State, s: Sid, l: Sid) -> bool {
    match st.server(l).role {
        ServerState::Leading => false,
        ServerState::Following | ServerState::Observing => true,
        // The oracle makes a leader LEADING as it is elected, so a LOOKING one gave up; in
        // `--phase election` FLE runs whatever `--election` says (`ZabModel::actions`).
        ServerState::Looking if cfg.election == Election::Oracle && cfg.scope == Scope::All => true,
        ServerState::Looking => {
            st.fle[l as usize].round != st.fle[s as usize].round || !may_lead(cfg, st, l)
        }
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
    let may_elect = may_still_elect(cfg, st, l);
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
                ServerState::Looking => may_elect.contains(v),
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

/// The LOOKING voters that may still come to follow `l`. Under the oracle, any (an election
/// may name `l` again). Under FLE (lookForLeader) a LOOKING voter decides for `l` only with a
/// quorum of votes for `l` in `l`'s decision round, or with a quorum of servers outside the
/// election that name `l`. The first needs its proposal to become `l`'s vote, which only a
/// LOOKING notification of that round carrying it can do (a LEADING or FOLLOWING one never
/// changes a proposal), and never happens to a voter whose proposal, or own vote when pulled
/// into that round, already beats it: proposals only grow within a round. The second is a
/// fixed point: voters join once enough others have. Counting every LOOKING voter instead
/// kept the leader's initLimit disabled for ever while one that outranks it waited
/// (`specs/liveness.md`). Knowingly left out: after `l` restarted (rounds start again),
/// servers in a later round may still hold a vote naming `l`; the leader's timeout is then
/// enabled early, which only adds behaviours.
fn may_still_elect(cfg: &Config, st: &State, l: Sid) -> Mask {
    let looking = |v: Sid| st.server(v).up && st.server(v).role == ServerState::Looking;
    let lookers = st.ids().filter(|&v| cfg.is_voter(v) && looking(v));
    if cfg.election == Election::Oracle {
        return lookers.fold(Mask::EMPTY, |m, v| m.with(v));
    }
    let lf = &st.fle[l as usize];
    let mut may = Mask::EMPTY;
    if vote_carried(cfg, st, l) {
        for v in lookers.filter(|&v| can_propose(cfg, st, v, lf.vote_round, lf.vote)) {
            may = may.with(v);
        }
    }
    // Servers already out of the election for `l`: the leader and its followers.
    let mut named = st
        .ids()
        .filter(|&w| cfg.is_voter(w) && st.server(w).up)
        .filter(|&w| {
            w == l
                || (st.server(w).role == ServerState::Following
                    && st.fle[w as usize].vote.leader == Some(l))
        })
        .fold(Mask::EMPTY, |m, w| m.with(w));
    loop {
        let grown = st
            .ids()
            .filter(|&v| cfg.is_voter(v) && looking(v) && !may.contains(v))
            .find(|&v| cfg.is_quorum(named.or(may).without(v).len()));
        let Some(v) = grown else {
            return may;
        };
        may = may.with(v);
        named = named.with(v);
    }
}

/// Whether `l`'s vote is still held by a LOOKING server in `l`'s decision round, or on its
/// way in a LOOKING notification of that round: the only sources a proposal can take it from.
fn vote_carried(cfg: &Config, st: &State, l: Sid) -> bool {
    let lf = &st.fle[l as usize];
    // Only a voter's: an observer's notification only draws the receiver's vote in reply.
    let held = st.ids().any(|u| {
        let f = &st.fle[u as usize];
        cfg.is_voter(u)
            && st.server(u).up
            && st.server(u).role == ServerState::Looking
            && f.round == lf.vote_round
            && f.vote == lf.vote
    });
    held || st.net.iter().any(|(link, p)| {
        matches!(p, Packet::Election(n) if cfg.is_voter(link.from)
            && n.state == ServerState::Looking
            && n.round == lf.vote_round && n.vote == lf.vote)
    })
}

/// Whether LOOKING voter `v` may yet take `vote` as its proposal in `round`.
fn can_propose(cfg: &Config, st: &State, v: Sid, round: u8, vote: crate::msg::Vote) -> bool {
    let vf = &st.fle[v as usize];
    let from = if vf.round == round {
        vf.vote
    } else if vf.round < round {
        crate::fle::self_vote(cfg, st, v)
    } else {
        return false;
    };
    cfg.bug_on(crate::bugs::Bug::Zk1419) || !crate::fle::beats(cfg, from, vote)
}

/// Whether LOOKING voter `l` may still decide to lead in its current round: its proposal
/// names itself (proposals only grow, so one naming another never comes back) and a quorum
/// may still vote for it there (LOOKING voters that may take it, deciders whose ballot is
/// it), or a quorum outside the election may come to name it. One case is left out: with
/// five voters, three that decided for `l` before its proposal moved on can still make it
/// lead by their FOLLOWING notifications; a learner's timeout is then enabled early, which
/// only adds behaviours (the FLE configurations checked with Zab have three voters).
fn may_lead(cfg: &Config, st: &State, l: Sid) -> bool {
    let lf = &st.fle[l as usize];
    if cfg.bug_on(crate::bugs::Bug::Zk1419) {
        return true;
    }
    if lf.vote.leader != Some(l) {
        return false;
    }
    let voters = || {
        st.ids()
            .filter(|&v| v != l && cfg.is_voter(v) && st.server(v).up)
    };
    let role = |v: Sid| st.server(v).role;
    let lookers = voters()
        .filter(|&v| role(v) == ServerState::Looking && can_propose(cfg, st, v, lf.round, lf.vote))
        .count();
    let ballots = voters()
        .filter(|&v| role(v) != ServerState::Looking)
        .filter(|&v| {
            st.fle[v as usize].vote == lf.vote && st.fle[v as usize].vote_round == lf.round
        })
        .count();
    let naming = voters()
        .filter(|&v| role(v) == ServerState::Following && st.fle[v as usize].vote.leader == Some(l))
        .count();
    cfg.is_quorum(1 + lookers + ballots) || cfg.is_quorum(lookers + naming)
}
