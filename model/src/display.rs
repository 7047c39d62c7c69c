//! Compact, readable renderings of states and steps: what the Explorer shows for each state and
//! what a counterexample trace prints, one line per server and per non-empty link.

use crate::action::Action;
use crate::config::Config;
use crate::state::{Conn, Fle, Handler, Server, State, SyncMode, Violation};
use crate::types::{sid_name, ServerState, Sid};
use std::fmt::{self, Write};

const VIOLATIONS: [(Violation, &str); 7] = [
    (Violation::IllegalMessage, "illegal-message"),
    (Violation::StateInconsistent, "state-inconsistent"),
    (Violation::ProposalInconsistent, "proposal-inconsistent"),
    (Violation::CommitInconsistent, "commit-inconsistent"),
    (Violation::AckInconsistent, "ack-inconsistent"),
    (Violation::CommittedTxnLost, "committed-txn-lost"),
    (Violation::VoteOrder, "vote-order"),
];

fn handler_name(h: Handler) -> &'static str {
    match h {
        Handler::None => "-",
        Handler::Connected => "connected",
        Handler::AwaitEpoch => "await-epoch",
        Handler::AwaitAckEpoch => "await-ACKEPOCH",
        Handler::AwaitSync => "await-sync",
        Handler::AwaitNewLeaderAck => "await-ACK(NEWLEADER)",
        Handler::AwaitQuorum => "await-quorum",
        Handler::Broadcast => "broadcast",
    }
}

/// The role column: `LEADING`, `FOLLOWING s1`, …
pub fn role_text(srv: &Server) -> String {
    if !srv.up {
        return "DOWN".into();
    }
    match (srv.role, srv.learner.leader) {
        (ServerState::Following | ServerState::Observing, Some(l)) => {
            format!("{} {}", srv.role.name(), sid_name(l))
        }
        (r, _) => r.name().to_string(),
    }
}

/// One line describing a server.
pub fn server_line(s: Sid, srv: &Server, fle: Option<&Fle>) -> String {
    let mut line = format!(
        "{} {:<13} {:<9} acc={} cur={} last={:?} log={:?}",
        sid_name(s),
        role_text(srv),
        if srv.up { srv.phase.name() } else { "" },
        srv.accepted_epoch,
        srv.current_epoch,
        srv.last_processed,
        srv.log,
    );
    if !srv.up {
        return line;
    }
    let _ = write!(line, " hist={:?} commit={}", srv.hist, srv.committed);
    if !srv.unsynced.is_empty() {
        let _ = write!(line, " unsynced={:?}", srv.unsynced);
        if srv.stale_unsynced > 0 {
            let _ = write!(line, "({} stale)", srv.stale_unsynced);
        }
    }
    match srv.role {
        ServerState::Leading => {
            let ls = &srv.leader;
            let _ = write!(line, " | epoch {}", ls.epoch);
            if !ls.epoch_fixed {
                let _ = write!(line, " (connecting {:?})", ls.connecting);
            } else if !ls.epoch_acked {
                let _ = write!(line, " (electing {:?})", ls.electing);
            } else if !ls.established {
                let _ = write!(line, " (NEWLEADER acks {:?})", ls.newleader_acks);
            }
            for (j, h) in ls.handler.iter().enumerate() {
                if *h != Handler::None {
                    let _ = write!(line, " {}:{}", sid_name(j as Sid), handler_name(*h));
                }
            }
            let outstanding = srv.hist.len().saturating_sub(srv.committed as usize);
            for k in 0..outstanding {
                let idx = srv.committed as usize + k;
                let _ = write!(
                    line,
                    " acks[{:?}]={:?}",
                    srv.hist.get(idx).unwrap().zxid,
                    ls.acks[idx]
                );
            }
        }
        ServerState::Following | ServerState::Observing => {
            let l = &srv.learner;
            if l.conn != Conn::Open {
                let _ = write!(line, " | conn {:?}", l.conn);
            }
            if l.sync_mode != SyncMode::None {
                let _ = write!(line, " | sync {:?}", l.sync_mode);
            }
            if !l.pnl.is_empty() || !l.pc.is_empty() {
                let pc: Vec<String> =
                    l.pc.as_slice()
                        .iter()
                        .map(|t| format!("{:?}", t.zxid))
                        .collect();
                let _ = write!(line, " pending={:?} committed=[{}]", l.pnl, pc.join(" "));
            }
            if let Some(e) = l.newleader {
                let _ = write!(line, " NEWLEADER(e={e}) steps done {}", l.nl_steps);
            }
        }
        ServerState::Looking => {}
    }
    if let Some(f) = fle {
        let _ = write!(line, " | round {} vote {:?}", f.round, f.vote);
        let votes: Vec<String> = f
            .recv
            .iter()
            .enumerate()
            .filter_map(|(v, b)| b.map(|b| format!("{}:{:?}", sid_name(v as Sid), b.vote)))
            .collect();
        if !votes.is_empty() && srv.role == ServerState::Looking {
            let _ = write!(line, " box {{{}}}", votes.join(" "));
        }
    }
    line
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in self.ids() {
            writeln!(
                f,
                "{}",
                server_line(s, self.server(s), self.fle.get(s as usize))
            )?;
        }
        let mut links: Vec<(crate::msg::Link, Vec<String>)> = Vec::new();
        for (link, p) in self.net.iter() {
            match links.last_mut() {
                Some((l, v)) if l == link => v.push(format!("{p:?}")),
                _ => links.push((*link, vec![format!("{p:?}")])),
            }
        }
        for (l, msgs) in &mut links {
            for (k, m) in msgs.iter_mut().enumerate() {
                if self.net.is_pinned(*l, k) {
                    m.push_str(" [in TCP]");
                }
            }
        }
        if !links.is_empty() {
            writeln!(f, "in flight:")?;
            for (l, msgs) in links {
                writeln!(f, "  {:?}: {}", l, msgs.join(", "))?;
            }
        }
        let e = &self.env;
        write!(
            f,
            "faults used: crashes {} partitions {} losses {}",
            e.crashes, e.partitions, e.losses
        )?;
        if e.transmits > 0 {
            write!(f, " transmits {}", e.transmits)?;
        }
        if e.premature_timeouts > 0 {
            write!(f, " premature timeouts {}", e.premature_timeouts)?;
        }
        if !e.partition.is_empty() {
            write!(f, " | partitioned: {:?} | rest", e.partition)?;
        }
        writeln!(f)?;
        let g = &self.ghost;
        write!(
            f,
            "committed {:?} proposed {:?} requests {}",
            g.committed, g.proposed, g.requests
        )?;
        let raised: Vec<&str> = VIOLATIONS
            .iter()
            .filter(|(v, _)| g.raised(*v))
            .map(|(_, n)| *n)
            .collect();
        if !raised.is_empty() {
            write!(f, " | VIOLATIONS: {}", raised.join(", "))?;
        }
        Ok(())
    }
}

/// One trace line: who did what, and the actor's resulting role / epochs / last zxid.
pub fn trace_line(cfg: &Config, action: &Action, next: &State) -> String {
    let _ = cfg;
    let who = action
        .actor()
        .map(|s| {
            let srv = next.server(s);
            format!(
                "  => {} {} cur={} last={:?} commit={}",
                sid_name(s),
                role_text(srv),
                srv.current_epoch,
                srv.last_processed,
                srv.committed
            )
        })
        .unwrap_or_default();
    format!("{action:?}{who}")
}

/// What the Explorer shows as a step's outcome: the state it leads to.
pub fn describe_step(cfg: &Config, _before: &State, action: &Action, next: &State) -> String {
    format!("{}\n\n{:?}", trace_line(cfg, action, next), next)
}
