//! Model → implementation replay: each model action becomes the implementation input(s) that
//! realise it, and after every step the two views must be equal. The mapping is the table in
//! `specs/refinement.md`; `realise` is that table as code.

use crate::shared::abstraction::View;
use crate::shared::connection::ConnState;
use crate::shared::convert;
use crate::shared::coverage::Coverage;
use crate::shared::divergence::{behaviour, Divergence, OrDivergence, R};
use crate::shared::harness::{ImplCluster, Out, LIMIT, NOT_TIMEOUT};
use crate::shared::machine::Txns;
use stateright::Model;
use std::sync::Arc;
use zab::replica::{Bug, Input, Output, PeerMsg, Replica, ServerState};
use zab::sim::values::Values;
use zab_model::msg::Plane;
use zab_model::types::Sid;
use zab_model::{Action, Scope, State, ZabModel};

/// Where and how a replay diverged.
#[derive(Debug)]
pub struct Mismatch {
    /// The number of the step (1-based) that diverged.
    pub step: usize,
    /// The model action of that step as `Debug` prints it (`init` for the initial comparison).
    pub action: String,
    /// What went wrong: the implementation could not realise the action, a value left the
    /// model's domain, or the two views differ (their differences, one line each).
    pub reason: Divergence,
    /// The actions that led there, in order.
    pub trace: Vec<String>,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "step {} ({}): {}", self.step, self.action, self.reason)?;
        writeln!(f, "trace:")?;
        for (i, a) in self.trace.iter().enumerate() {
            writeln!(f, "  {:>3}. {a}", i + 1)?;
        }
        Ok(())
    }
}

/// A model state and the implementation cluster that must match it.
#[derive(Clone)]
pub struct Replayer<'m> {
    /// The model whose actions are replayed.
    pub model: &'m ZabModel,
    /// The model state reached so far.
    pub state: State,
    /// The implementation cluster, driven to match `state`.
    pub cluster: ImplCluster,
    /// The model actions taken so far, in order.
    pub trace: Vec<Action>,
}

impl<'m> Replayer<'m> {
    /// Starts both sides from a model initial state; they must already agree.
    pub fn new(
        model: &'m ZabModel,
        init: State,
        bug: Option<Bug>,
    ) -> Result<Replayer<'m>, Mismatch> {
        let cfg = &model.cfg;
        let (v, o) = (cfg.servers as usize, cfg.observers as usize);
        let cluster = ImplCluster::from_model(v, o, &init, bug);
        let r = Replayer {
            model,
            state: init,
            cluster,
            trace: Vec::new(),
        };
        r.compare("init")?;
        Ok(r)
    }

    /// Takes one model action on both sides and compares.
    pub fn step(&mut self, a: Action, cov: &mut Coverage) -> Result<(), Mismatch> {
        self.trace.push(a);
        let label = format!("{a:?}");
        let next = self
            .model
            .next_state(&self.state, a)
            .ok_or_else(|| self.mismatch(&label, no_next_state()))?;
        self.realise(a, &next)
            .map_err(|r| self.mismatch(&label, r))?;
        self.state = next;
        cov.record(&a, &self.state);
        self.compare(&label)
    }

    /// How many model actions were taken so far (the trace's length).
    pub fn steps(&self) -> usize {
        self.trace.len()
    }

    fn mismatch(&self, action: &str, reason: Divergence) -> Mismatch {
        Mismatch {
            step: self.trace.len(),
            action: action.to_string(),
            reason,
            trace: self.trace.iter().map(|a| format!("{a:?}")).collect(),
        }
    }

    fn compare(&self, action: &str) -> Result<(), Mismatch> {
        let zab = self.model.cfg.scope == Scope::All;
        let m = View::of_model(&self.model.cfg, &self.state);
        let i = View::of_impl(&self.cluster, zab).map_err(|r| self.mismatch(action, r))?;
        if m == i {
            Ok(())
        } else {
            Err(self.mismatch(action, Divergence::Views(m.diff(&i))))
        }
    }

    /// Drives the implementation through the input(s) that realise `a`, which takes the
    /// model to `next`.
    fn realise(&mut self, a: Action, next: &State) -> R<()> {
        let c = &mut self.cluster;
        match a {
            Action::Notify { from, to, .. } => {
                let n = c
                    .take_notification(from, to)
                    .absent("no notification waiting on the implementation's link")?;
                let from = convert::server(from);
                c.input(
                    to,
                    Input::Peer {
                        from,
                        msg: PeerMsg::Election(n),
                    },
                );
            }
            Action::Decide(s) => {
                if !c.tick_until(s, 1, |r, _| r.server_state() != ServerState::Looking) {
                    return Err(behaviour("the replica did not decide after finalizeWait"));
                }
            }
            Action::Resend(s) => {
                if !c.tick_until(s, NOT_TIMEOUT, |_, out| resent(out)) {
                    return Err(behaviour(
                        "the replica did not re-send its vote after notTimeout",
                    ));
                }
            }
            Action::Connect(s) => c.connect(s)?,
            Action::Deliver { from, to, msg } => {
                let p = c.deliver(from, to)?;
                if convert::model_msg(&p) != Some(msg) {
                    return Err(behaviour(format!("the implementation's link held {p:?}")));
                }
            }
            Action::SyncLearner {
                leader,
                learner,
                snapshot,
            } => {
                let learner = convert::server(learner);
                c.input(leader, Input::SyncLearner { learner, snapshot });
            }
            Action::NewLeaderStep(s, _) => c.newleader_step(s)?,
            Action::SyncFlush(s, z) => {
                let e = c.flush_one(s)?;
                if convert::model_zxid(e.zxid()) != Some(z) {
                    return Err(behaviour(format!("the sync thread wrote {:?}", e.zxid())));
                }
            }
            Action::ClientRequest(s) => {
                let value = next.ghost.requests;
                c.input(s, client_write(value));
            }
            Action::ReadStart(s) => {
                let token = u64::from(next.ghost.reads);
                c.input(s, Input::Read { token });
            }
            Action::ReadServe(s) => serve_read(c, s)?,
            Action::LearnerTimeout(s) => learner_gives_up(c, s)?,
            // A premature timeout is the same timer: the harness only lets it expire.
            Action::LeaderTimeout(s) | Action::PrematureTimeout(s) => c.leader_gives_up(s)?,
            Action::Crash(s) => c.crash(s),
            Action::Restart(s) => c.start(s)?,
            Action::Partition(m) => c.partition(m),
            Action::Heal => c.partition = zab_model::types::Mask::EMPTY,
            Action::Lose {
                from,
                to,
                plane: Plane::Election,
            } => c.lose_notification(from, to),
            Action::Lose { from, to, .. } => c.break_connection(from, to),
            Action::Transmit { from, to } => c.transmit(from, to)?,
            Action::Elect { .. } | Action::Join { .. } => {
                let why = "the oracle election has no implementation: replay --election fle";
                return Err(Divergence::Trace(why.into()));
            }
        }
        Ok(())
    }
}

fn no_next_state() -> Divergence {
    Divergence::Trace("the model has no next state for this action".into())
}

/// A client's write of request number `value` (its body carries the value).
pub fn client_write(value: u8) -> Input {
    Input::Write {
        session_id: 1,
        cxid: value as i32,
        body: Arc::new(Values::body(value as u64)),
    }
}

/// The server's driver answers its read: its replica gave a read index, and has applied up
/// to it.
pub fn serve_read(c: &mut ImplCluster, s: Sid) -> R<()> {
    let index = c.ready_reads[s as usize]
        .take()
        .absent("no read index for the read")?;
    match c.replica(s) {
        Some(r) if r.committed() >= index => Ok(()),
        _ => Err(behaviour(format!(
            "the read's index {index:?} is not applied"
        ))),
    }
}

/// The learner notices: a closed connection is reported by the transport; a connection that
/// never opened times out (initLimit).
fn learner_gives_up(c: &mut ImplCluster, s: Sid) -> R<()> {
    if c.conns.state(s) == Some(ConnState::Closed) {
        let leader = c
            .conns
            .leader_of(s)
            .expect("a closed connection has a leader");
        let peer = convert::server(leader);
        c.input(s, Input::Disconnected { peer });
        if !c.replica(s).is_some_and(|r| looking(r, &[])) {
            return Err(behaviour(
                "the learner did not leave when its connection closed",
            ));
        }
    } else if !c.tick_until(s, 2 * LIMIT + 2, looking) {
        return Err(behaviour("the learner did not give up within initLimit"));
    }
    Ok(())
}

fn looking(r: &Replica<Txns>, _: &[Out]) -> bool {
    r.server_state() == ServerState::Looking
}

fn resent(out: &[Out]) -> bool {
    out.iter().any(|o| {
        matches!(
            o,
            Output::Send {
                msg: PeerMsg::Election(_),
                ..
            }
        )
    })
}
