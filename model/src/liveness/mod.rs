//! Liveness checked for real: Zab's goals, its actions' fairness, and the fair-cycle search
//! of `fair_cycles.rs` over the model's reachable states.
//!
//! * Faults and client requests are environment steps: budgeted, never forced by fairness.
//!   Budgets only grow, so no cycle contains a fault — every cycle is fault-free, which is the
//!   "faults stop at some point" assumption for free.
//! * Weak fairness is per action class (`fairness_class`); a `Decide` a better vote may still
//!   postpone is not obliged (`obliged`).

mod fair_cycles;
mod graph;
#[cfg(test)]
mod tests;

pub use graph::Fairness;

use crate::action::Action;
use crate::config::{Config, Scope};
use crate::model::ZabModel;
use crate::state::State;
use crate::types::{Mask, ServerState, Sid};
use std::time::Instant;

/// The goals checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    /// Once faults stop and a quorum of voters is up and connected, a leader is established
    /// (election-only scope: a leader is elected by a quorum).
    LeaderEstablished,
    /// A proposal of an established leader is eventually committed.
    RequestCommitted,
}

impl Goal {
    /// The goal's name in reports, as `properties.md` lists it.
    pub fn name(self) -> &'static str {
        match self {
            Goal::LeaderEstablished => "leader_eventually_established",
            Goal::RequestCommitted => "request_eventually_committed",
        }
    }
}

/// A fair cycle in which a goal never holds, reached from an initial state.
pub type Lasso = fair_cycles::Lasso<State, Action>;

/// The verdict on one liveness goal.
#[derive(Clone, Debug)]
pub struct GoalResult {
    /// The goal checked.
    pub goal: Goal,
    /// A fair lasso in which the goal never holds, or `None` when there is none (within the
    /// explored states).
    pub lasso: Option<Lasso>,
}

/// The outcome of a liveness check: the size of the explored graph and a verdict per goal.
#[derive(Clone, Debug)]
pub struct Report {
    /// Unique states explored.
    pub states: usize,
    /// Transitions explored, including those leading outside the checked bounds.
    pub edges: usize,
    /// Wall-clock time of exploration and analysis.
    pub seconds: f64,
    /// False when exploration stopped at the state limit: the result is then partial.
    pub complete: bool,
    /// One result per goal: `leader_eventually_established`, then `request_eventually_committed`
    /// unless only the election is checked.
    pub goals: Vec<GoalResult>,
}

impl Report {
    /// Whether no goal has a fair lasso.
    pub fn holds(&self) -> bool {
        self.goals.iter().all(|g| g.lasso.is_none())
    }
}

/// The class of an action under weak fairness (`None`: an environment step).
pub fn fairness_class(a: &Action) -> Option<u32> {
    let pair = |k: u32, a: Sid, b: Sid| Some((k << 16) | ((a as u32) << 8) | b as u32);
    let one = |k: u32, a: Sid| Some((k << 16) | a as u32);
    match *a {
        Action::Elect { .. } => Some(1 << 16),
        Action::Join { server, .. } => one(2, server),
        Action::Notify { from, to, .. } => pair(3, from, to),
        Action::Decide(s) => one(4, s),
        Action::Resend(s) => one(5, s),
        Action::Connect(s) => one(6, s),
        Action::Deliver { from, to, .. } => pair(7, from, to),
        Action::SyncLearner {
            leader, learner, ..
        } => pair(8, leader, learner),
        Action::NewLeaderStep(s, _) => one(9, s),
        Action::SyncFlush(s, _) => one(10, s),
        Action::LearnerTimeout(s) => one(11, s),
        Action::LeaderTimeout(s) => one(12, s),
        Action::ReadServe(s) => one(13, s),
        Action::ClientRequest(_)
        | Action::ReadStart(_)
        | Action::Crash(_)
        | Action::Restart(_)
        | Action::Partition(_)
        | Action::Heal
        | Action::Lose { .. }
        | Action::Transmit { .. }
        | Action::PrematureTimeout(_) => None,
    }
}

/// Whether weak fairness obliges the scheduler to take this enabled action eventually. Every
/// protocol action does, except a `Decide` while a notification that beats the proposal is on
/// its way: ZooKeeper's finalizeWait drain is cut short by any better vote that arrives, so a
/// stream of better votes can postpone the decision forever (ZOOKEEPER-1419's livelock).
fn obliged(cfg: &Config, st: &State, a: &Action) -> bool {
    match *a {
        Action::Decide(s) => !crate::fle::better_vote_pending(cfg, st, s),
        _ => true,
    }
}

/// Whether some quorum of voters is up and mutually connected (otherwise no leader can be
/// expected).
pub fn quorum_connected(cfg: &Config, st: &State) -> bool {
    (0..cfg.servers).any(|a| {
        let side = (0..cfg.servers)
            .filter(|&b| st.server(b).up && st.server(a).up && st.env.connected(a, b))
            .count();
        cfg.is_quorum(side)
    })
}

/// A leader with a quorum of voters (itself included) following it (election-only scope).
pub fn elected(cfg: &Config, st: &State) -> bool {
    st.ids().any(|l| {
        let srv = st.server(l);
        srv.up
            && srv.role == ServerState::Leading
            && cfg.is_quorum(
                (0..cfg.servers)
                    .filter(|&v| {
                        v == l || {
                            let f = st.server(v);
                            f.up && f.role == ServerState::Following && f.learner.leader == Some(l)
                        }
                    })
                    .count(),
            )
    })
}

/// Whether the goal is unmet in this state (the state is "bad" for the goal).
fn unmet(cfg: &Config, goal: Goal, st: &State) -> bool {
    match goal {
        Goal::LeaderEstablished => {
            let done = if cfg.scope == Scope::Election {
                elected(cfg, st)
            } else {
                st.servers.iter().any(|s| s.is_established_leader())
            };
            !done && quorum_connected(cfg, st)
        }
        Goal::RequestCommitted => st
            .servers
            .iter()
            .any(|s| s.is_established_leader() && (s.committed as usize) < s.hist.len()),
    }
}

/// Zab's goals and fairness, for the search.
struct ZabFairness<'a> {
    cfg: &'a Config,
    goals: &'a [Goal],
}

impl Fairness<ZabModel> for ZabFairness<'_> {
    fn unmet(&self, st: &State) -> u8 {
        self.goals
            .iter()
            .enumerate()
            .filter(|(_, goal)| unmet(self.cfg, **goal, st))
            .fold(0, |acc, (k, _)| acc | 1 << k)
    }

    fn class(&self, a: &Action) -> Option<u32> {
        fairness_class(a)
    }

    fn obliged(&self, st: &State, a: &Action) -> bool {
        obliged(self.cfg, st, a)
    }
}

/// Explores the model (up to `max_states`) and checks every goal.
pub fn check(model: &ZabModel, max_states: usize, progress: bool) -> Report {
    let started = Instant::now();
    let goals = match model.cfg.scope {
        Scope::Election => vec![Goal::LeaderEstablished],
        Scope::All => vec![Goal::LeaderEstablished, Goal::RequestCommitted],
    };
    let fair = ZabFairness {
        cfg: &model.cfg,
        goals: &goals,
    };
    let g = graph::explore(model, &fair, max_states, progress);
    let results = (0..)
        .zip(&goals)
        .map(|(k, goal)| GoalResult {
            goal: *goal,
            lasso: fair_cycles::fair_lasso(model, &g, k),
        })
        .collect();
    Report {
        states: g.states(),
        edges: g.edge_count(),
        seconds: started.elapsed().as_secs_f64(),
        complete: g.complete,
        goals: results,
    }
}

/// The servers (voters) that are up: for reports.
pub fn up_voters(cfg: &Config, st: &State) -> Mask {
    (0..cfg.servers)
        .filter(|&s| st.server(s).up)
        .fold(Mask::EMPTY, |m, s| m.with(s))
}
