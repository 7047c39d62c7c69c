//! How traces are chosen: every path of the model's state graph up to a depth; long seeded
//! random walks that favour the protocol's own steps over faults, so that they reach deep
//! into synchronization and broadcast; and every path to a small depth around the states
//! such walks pass through. Each step is replayed on the implementation at once, so a
//! divergence is reported at the step where it happens.

use crate::model_to_impl::replay::{Mismatch, Replayer};
use crate::shared::coverage::Coverage;
use stateright::Model;
use std::collections::HashSet;
use zab::replica::Bug;
use zab_model::{Action, State, ZabModel};

/// What a batch of replays covered.
#[derive(Debug, Default)]
pub struct Summary {
    /// Traces replayed: complete paths, walks, or runs of events; in `state_graph`, one per
    /// transition.
    pub traces: u64,
    /// Model actions replayed and compared (events, in trace validation); a prefix shared by
    /// several paths counts once.
    pub steps: u64,
    /// Distinct model states reached.
    pub distinct_states: usize,
    /// What those steps exercised.
    pub coverage: Coverage,
}

impl Summary {
    /// Adds another batch's counts. Distinct states are summed, so a state both batches reached
    /// counts twice.
    pub fn merge(&mut self, other: Summary) {
        self.traces += other.traces;
        self.steps += other.steps;
        self.distinct_states += other.distinct_states;
        self.coverage.merge(&other.coverage);
    }
}

/// Every path from every initial state up to `depth` actions, depth first. Each path is a
/// trace; both sides are cloned at each branch, so no prefix is replayed twice.
pub fn all_paths(model: &ZabModel, bug: Option<Bug>, depth: usize) -> Result<Summary, Mismatch> {
    let mut sum = Summary::default();
    let mut seen = HashSet::new();
    for init in model.init_states() {
        let r = Replayer::new(model, init.clone(), bug)?;
        seen.insert(init);
        dfs(model, r, depth, &mut sum, &mut seen)?;
    }
    sum.distinct_states = seen.len();
    Ok(sum)
}

fn dfs(
    model: &ZabModel,
    r: Replayer<'_>,
    depth: usize,
    sum: &mut Summary,
    seen: &mut HashSet<State>,
) -> Result<(), Mismatch> {
    let mut actions = Vec::new();
    if depth > 0 {
        model.actions(&r.state, &mut actions);
    }
    if actions.is_empty() {
        sum.traces += 1;
        return Ok(());
    }
    for a in actions {
        let mut next = r.clone();
        next.step(a, &mut sum.coverage)?;
        sum.steps += 1;
        seen.insert(next.state.clone());
        dfs(model, next, depth - 1, sum, seen)?;
    }
    Ok(())
}

/// Every transition of the model's state graph up to `depth` steps from the initial states,
/// breadth first: each state reached is expanded once (from the implementation cluster of the
/// first path that reached it), and every action enabled there is replayed and compared.
pub fn state_graph(model: &ZabModel, bug: Option<Bug>, depth: usize) -> Result<Summary, Mismatch> {
    let mut sum = Summary::default();
    let mut seen: HashSet<State> = HashSet::new();
    let mut frontier = Vec::new();
    for init in model.init_states() {
        if seen.insert(init.clone()) {
            frontier.push(Replayer::new(model, init, bug)?);
        }
    }
    for _ in 0..depth {
        let mut next_frontier = Vec::new();
        for r in frontier {
            let mut actions = Vec::new();
            model.actions(&r.state, &mut actions);
            for a in actions {
                let mut next = r.clone();
                next.step(a, &mut sum.coverage)?;
                sum.steps += 1;
                if seen.insert(next.state.clone()) {
                    next_frontier.push(next);
                }
            }
        }
        frontier = next_frontier;
    }
    sum.traces = sum.steps;
    sum.distinct_states = seen.len();
    Ok(sum)
}

/// A batch of seeded random walks.
#[derive(Clone, Copy, Debug)]
pub struct Walks {
    /// The seed of the first walk; each next walk takes the next seed, so a failing seed can
    /// run alone.
    pub first_seed: u64,
    /// How many walks.
    pub count: u64,
    /// The most steps a walk takes.
    pub length: usize,
    /// Per cent of the steps that take a fault (crash, partition, loss) when one is enabled;
    /// `None`: every enabled action is as likely as any other.
    pub fault_percent: Option<u64>,
    /// Every this many steps, every path to `around_depth` from the walk's state is replayed
    /// too (0: never).
    pub around_every: usize,
    /// The depth of those searches around the walk's state (see `around_every`).
    pub around_depth: usize,
}

impl Walks {
    /// `count` walks of at most `length` steps from seed 0, every enabled action as likely as
    /// any other, and no searches around them.
    pub fn new(count: u64, length: usize) -> Walks {
        Walks {
            first_seed: 0,
            count,
            length,
            fault_percent: None,
            around_every: 0,
            around_depth: 0,
        }
    }
}

/// The random walks of `w`; the seed of a failing walk is in the error.
pub fn random_walks(
    model: &ZabModel,
    bug: Option<Bug>,
    w: Walks,
) -> Result<Summary, (u64, Mismatch)> {
    let mut sum = Summary::default();
    let mut seen = HashSet::new();
    let inits = model.init_states();
    for seed in w.first_seed..w.first_seed + w.count {
        let mut rng = Rng(seed ^ 0x5eed_f2ab);
        let init = inits[rng.below(inits.len())].clone();
        let mut r = Replayer::new(model, init, bug).map_err(|m| (seed, m))?;
        for i in 0..w.length {
            if w.around_every > 0 && i > 0 && i % w.around_every == 0 {
                dfs(model, r.clone(), w.around_depth, &mut sum, &mut seen)
                    .map_err(|m| (seed, m))?;
            }
            let mut actions: Vec<Action> = Vec::new();
            model.actions(&r.state, &mut actions);
            let Some(a) = choose(&mut rng, &actions, w.fault_percent) else {
                break;
            };
            r.step(a, &mut sum.coverage).map_err(|m| (seed, m))?;
            sum.steps += 1;
            seen.insert(r.state.clone());
        }
        sum.traces += 1;
    }
    sum.distinct_states = seen.len();
    Ok(sum)
}

/// A bug, which a walk takes only `fault_percent` of the time it could.
pub fn is_fault(a: &Action) -> bool {
    matches!(
        a,
        Action::Crash(_)
            | Action::Partition(_)
            | Action::Lose { .. }
            | Action::Transmit { .. }
            | Action::PrematureTimeout(_)
    )
}

fn choose(rng: &mut Rng, actions: &[Action], fault_percent: Option<u64>) -> Option<Action> {
    let Some(fault_percent) = fault_percent else {
        return (!actions.is_empty()).then(|| actions[rng.below(actions.len())]);
    };
    let (faults, steps): (Vec<Action>, Vec<Action>) = actions.iter().partition(|a| is_fault(a));
    let pick = |rng: &mut Rng, v: &[Action]| v[rng.below(v.len())];
    match (faults.is_empty(), steps.is_empty()) {
        (true, true) => None,
        (true, false) => Some(pick(rng, &steps)),
        (false, true) => Some(pick(rng, &faults)),
        (false, false) if (rng.below(100) as u64) < fault_percent => Some(pick(rng, &faults)),
        (false, false) => Some(pick(rng, &steps)),
    }
}

/// Replays one trace given as choices. The first picks the initial state; each next one an
/// action enabled at its step: a fault (crash, partition, loss) when it is 19 modulo 20 and
/// one is enabled, else a protocol step — so that proptest, which shrinks choices towards
/// zero, shrinks a failing schedule to a short fault-free trace where it can.
pub fn replay_choices(
    model: &ZabModel,
    bug: Option<Bug>,
    choices: &[u16],
) -> Result<Summary, Mismatch> {
    let mut sum = Summary::default();
    let inits = model.init_states();
    let first = choices.first().copied().unwrap_or(0) as usize;
    let mut r = Replayer::new(model, inits[first % inits.len()].clone(), bug)?;
    for &c in choices.iter().skip(1) {
        let mut actions: Vec<Action> = Vec::new();
        model.actions(&r.state, &mut actions);
        let (faults, steps): (Vec<Action>, Vec<Action>) = actions.iter().partition(|a| is_fault(a));
        let c = c as usize;
        let a = if (c % 20 == 19 && !faults.is_empty()) || steps.is_empty() {
            match faults.get(c / 20 % faults.len().max(1)) {
                Some(a) => *a,
                None => break,
            }
        } else {
            steps[c % steps.len()]
        };
        r.step(a, &mut sum.coverage)?;
        sum.steps += 1;
    }
    sum.traces = 1;
    Ok(sum)
}

/// splitmix64, so a seed replays the same walk anywhere.
pub struct Rng(u64);

impl Rng {
    /// A generator whose sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next number, in `0..n`; `n` must not be 0.
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}
