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
            let leading = srv.up && srv.role == crate::types::Role::Leading;
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

pub fn transmit(st: &mut State, from: Sid, to: Sid) {
    st.env.transmits += 1;
    st.net.pin(Link {
        from,
        to,
        plane: Plane::Election,
    });
}

pub fn premature_timeout(cfg: &Config, st: &mut State, s: Sid) {
    st.env.premature_timeouts += 1;
    ops::shutdown_to_looking(cfg, st, s);
}

pub fn crash(cfg: &Config, st: &mut State, s: Sid) {
    st.env.crashes += 1;
    ops::crash(cfg, st, s);
}

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

pub fn heal(st: &mut State) {
    st.env.partition = Mask::EMPTY;
}

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
