//! Faults, each bounded by a budget: crash (restart is free), partition (heal is free), loss
//! (an election notification dropped, or a quorum connection broken), transmit (an
//! election notification in TCP that a newer one cannot replace), and premature timeout (a
//! leader giving up on a quorum that could still form).

use crate::action::Action;
use crate::config::Config;
use crate::msg::{Link, Plane};
use crate::ops;
use crate::state::{Conn, State};
use crate::types::{Mask, Sid};

/// The enabled fault steps, each within its budget: `Crash` of an up server, `Restart` of a
/// down one (free), `Partition` into two sides when none is in force (each split once: the side
/// holding s1), `Heal` while one is, `Lose` on every non-empty link and on every live learner
/// connection with nothing in flight, `PrematureTimeout` of a leader whose own timeout is not
/// due, and `Transmit` on every election link with a notification waiting.
pub fn actions(cfg: &Config, st: &State, out: &mut Vec<Action>) {
    for s in st.ids() {
        let up = st.server(s).up;
        if up && st.env.crashes < cfg.crashes {
            out.push(Action::Crash(s));
        }
        if !up {
            out.push(Action::Restart(s));
        }
    }
    if st.env.partition.is_empty() && st.env.partitions < cfg.partitions {
        // Each split once: the side that holds s1.
        let all = (1u16 << st.n()) - 1;
        for m in 1..all {
            let mask = Mask(m as u8);
            if mask.contains(0) {
                out.push(Action::Partition(mask));
            }
        }
    }
    if !st.env.partition.is_empty() {
        out.push(Action::Heal);
    }
    if st.env.losses < cfg.losses {
        for (link, _) in st.net.heads() {
            out.push(Action::Lose {
                from: link.from,
                to: link.to,
                plane: link.plane,
            });
        }
        // A quorum connection can break with nothing in flight too, and a learner's attempt
        // to connect can fail (the leader's acceptor is not listening yet).
        for s in st.ids() {
            let l = &st.server(s).learner;
            let live = matches!(l.conn, Conn::Open | Conn::NotYet);
            let Some(leader) = l.leader.filter(|_| live) else {
                continue;
            };
            let quiet = |from, to| {
                let link = Link {
                    from,
                    to,
                    plane: Plane::Quorum,
                };
                st.net.head(link).is_none()
            };
            if st.server(s).up && quiet(s, leader) && quiet(leader, s) {
                out.push(Action::Lose {
                    from: s,
                    to: leader,
                    plane: Plane::Quorum,
                });
            }
        }
    }
    if st.env.premature_timeouts < cfg.premature_timeouts {
        // Only where the protocol's own timeout is not due: that one is free.
        for s in st.ids() {
            let srv = st.server(s);
            let leading = srv.up && srv.role == crate::types::ServerState::Leading;
            if leading && !crate::timeouts::leader_timeout_enabled(cfg, st, s) {
                out.push(Action::PrematureTimeout(s));
            }
        }
    }
    if st.env.transmits < cfg.transmits {
        for link in st.net.waiting() {
            if link.plane == Plane::Election {
                out.push(Action::Transmit {
                    from: link.from,
                    to: link.to,
                });
            }
        }
    }
}

/// `Transmit`: the notification waiting on the election link from `from` to `to` is written to
/// TCP, so a newer one will queue behind it instead of replacing it.
pub fn transmit(st: &mut State, from: Sid, to: Sid) {
    st.env.transmits += 1;
    st.net.pin(Link {
        from,
        to,
        plane: Plane::Election,
    });
}

/// `PrematureTimeout`: leader `s` gives up on its quorum too early and goes back to LOOKING,
/// closing its learners' connections.
pub fn premature_timeout(cfg: &Config, st: &mut State, s: Sid) {
    st.env.premature_timeouts += 1;
    ops::shutdown_to_looking(cfg, st, s);
}

/// `Crash`: server `s` goes down, keeping only its durable state (acceptedEpoch, currentEpoch,
/// log); its connections close and its messages in flight are dropped.
pub fn crash(cfg: &Config, st: &mut State, s: Sid) {
    st.env.crashes += 1;
    ops::crash(cfg, st, s);
}

/// `Partition`: `side` is cut off from the rest. Messages in flight across the cut are dropped
/// and learner connections across it break.
pub fn partition(cfg: &Config, st: &mut State, side: Mask) {
    st.env.partitions += 1;
    st.env.partition = side;
    st.net
        .drop_where(|l| side.contains(l.from) != side.contains(l.to));
    for s in st.ids().collect::<Vec<_>>() {
        let srv = st.server(s);
        if let Some(l) = srv.learner.leader {
            if side.contains(s) != side.contains(l) {
                ops::close_learner_conn(cfg, st, s);
            }
        }
    }
}

/// `Heal`: the partition ends. Connections it broke stay broken until learners notice and
/// reconnect.
pub fn heal(st: &mut State) {
    st.env.partition = Mask::EMPTY;
}

/// `Lose`: on the election plane, the link's newest notification is dropped; on the quorum
/// plane, the connection between `from` and `to` breaks (a learner's attempt to connect fails),
/// dropping everything in flight on it both ways.
pub fn lose(cfg: &Config, st: &mut State, from: Sid, to: Sid, plane: Plane) {
    st.env.losses += 1;
    match plane {
        Plane::Election => {
            st.net.pop_newest(Link { from, to, plane });
        }
        Plane::Quorum => {
            // TCP does not lose a packet and go on: the connection breaks.
            for learner in [from, to] {
                let other = if learner == from { to } else { from };
                let l = &mut st.server_mut(learner).learner;
                if l.leader != Some(other) {
                    continue;
                }
                if l.conn == Conn::NotYet {
                    l.conn = Conn::Closed; // the attempt to connect failed
                } else {
                    ops::close_learner_conn(cfg, st, learner);
                }
            }
            st.net.drop_pair(from, to, Plane::Quorum);
        }
    }
}

/// Restarting a crashed server.
pub fn restart(cfg: &Config, st: &mut State, s: Sid) {
    ops::restart(cfg, st, s);
}
