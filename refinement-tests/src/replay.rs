//! Model → implementation replay: each model action becomes the implementation input(s) that
//! realise it, and after every step the two views must be equal.
//!
//! The mapping (documented in `specs/refinement.md`):
//! - `Notify{from,to,n}`: the notification waiting on the election link is delivered; it must
//!   be the model's `n`.
//! - `Decide(s)`: one tick (finalizeWait is one tick); `Resend(s)`: ticks until the replica
//!   re-sends its vote (notTimeout ticks of silence).
//! - `LearnerTimeout(s)` / `LeaderTimeout(s)`: ticks until the replica gives up (initLimit /
//!   syncLimit).
//! - `Crash(s)`: the replica is dropped, its disk loses what was not synced, its links
//!   empty; `Restart(s)`: a new replica from its disk.
//! - `Partition(m)` / `Heal`: links across the cut are emptied / the cut is removed.
//! - `Lose{.., Election}`: the waiting notification is dropped.

use crate::abstraction::View;
use crate::coverage::Coverage;
use crate::harness::{ImplCluster, LIMIT, NOT_TIMEOUT};
use stateright::Model;
use zab::replica::{Fault, Input, Output, PeerMsg, Replica, ServerState};
use zab::sim::values::Values;
use zab_model::msg::Plane;
use zab_model::{Action, State, ZabModel};

/// Where and how a replay diverged.
#[derive(Debug)]
pub struct Mismatch {
    /// The number of the step (1-based) that diverged.
    pub step: usize,
    pub action: String,
    pub reason: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "step {} ({}): {}", self.step, self.action, self.reason)
    }
}

/// A model state and the implementation cluster that must match it.
#[derive(Clone)]
pub struct Replayer<'m> {
    pub model: &'m ZabModel,
    pub state: State,
    pub cluster: ImplCluster,
    pub steps: usize,
}

impl<'m> Replayer<'m> {
    /// Starts both sides from a model initial state; they must already agree.
    pub fn new(
        model: &'m ZabModel,
        init: State,
        fault: Option<Fault>,
    ) -> Result<Replayer<'m>, Mismatch> {
        let cfg = &model.cfg;
        let (v, o) = (cfg.servers as usize, cfg.observers as usize);
        let cluster = ImplCluster::from_model(v, o, &init, fault);
        let r = Replayer {
            model,
            state: init,
            cluster,
            steps: 0,
        };
        r.compare("init")?;
        Ok(r)
    }

    /// Takes one model action on both sides and compares.
    pub fn step(&mut self, a: Action, cov: &mut Coverage) -> Result<(), Mismatch> {
        self.steps += 1;
        let label = format!("{a:?}");
        let next = self
            .model
            .next_state(&self.state, a)
            .ok_or_else(|| self.mismatch(&label, "the model has no next state".into()))?;
        self.realise(a).map_err(|r| self.mismatch(&label, r))?;
        self.state = next;
        cov.record(&a);
        self.compare(&label)
    }

    fn mismatch(&self, action: &str, reason: String) -> Mismatch {
        Mismatch {
            step: self.steps,
            action: action.to_string(),
            reason,
        }
    }

    fn compare(&self, action: &str) -> Result<(), Mismatch> {
        let m = View::of_model(&self.state);
        let i = View::of_impl(&self.cluster).map_err(|r| self.mismatch(action, r))?;
        if m == i {
            Ok(())
        } else {
            Err(self.mismatch(action, format!("views differ:\n{}", m.diff(&i))))
        }
    }

    /// Drives the implementation through the input(s) that realise `a`.
    fn realise(&mut self, a: Action) -> Result<(), String> {
        let c = &mut self.cluster;
        match a {
            Action::Notify { from, to, .. } => {
                let n = c
                    .election
                    .remove(&(from, to))
                    .ok_or("no notification waiting on the implementation's link")?;
                c.input(
                    to,
                    Input::Peer {
                        from: crate::convert::server(from),
                        msg: PeerMsg::Election(n),
                    },
                );
            }
            Action::Decide(s) => {
                if !c.tick_until(s, 1, |r, _| r.server_state() != ServerState::Looking) {
                    return Err("the replica did not decide after finalizeWait".into());
                }
            }
            Action::Resend(s) => {
                let before = describe(c, s);
                if !c.tick_until(s, NOT_TIMEOUT, |_, out| resent(out)) {
                    return Err(format!(
                        "the replica did not re-send its vote after notTimeout: before {before}, after {}",
                        describe(c, s)
                    ));
                }
            }
            Action::LearnerTimeout(s) | Action::LeaderTimeout(s) => {
                let looking = |r: &Replica<Values>, _: &[Output<u64>]| {
                    r.server_state() == ServerState::Looking
                };
                if !c.tick_until(s, 2 * LIMIT + 2, looking) {
                    return Err("the replica did not give up within initLimit/syncLimit".into());
                }
            }
            Action::Crash(s) => c.crash(s),
            Action::Restart(s) => c.start(s),
            Action::Partition(m) => c.partition(m),
            Action::Heal => c.partition = zab_model::types::Mask::EMPTY,
            Action::Lose {
                from,
                to,
                plane: Plane::Election,
            } => {
                c.election.remove(&(from, to));
            }
            other => return Err(format!("{other:?} is not mapped yet (election scope only)")),
        }
        Ok(())
    }
}

fn describe(c: &ImplCluster, s: zab_model::types::Sid) -> String {
    match &c.replicas[s as usize] {
        None => "down".into(),
        Some(r) => format!("{:?} {:?}", r.server_state(), r.election()),
    }
}

fn resent(out: &[Output<u64>]) -> bool {
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
