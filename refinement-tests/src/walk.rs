//! How traces are chosen: every path of the model's state graph up to a depth, and long
//! seeded random walks. Both replay each step on the implementation at once, so a divergence
//! is reported at the step where it happens.

use crate::coverage::Coverage;
use crate::replay::{Mismatch, Replayer};
use stateright::Model;
use std::collections::HashSet;
use zab::replica::Fault;
use zab_model::{Action, State, ZabModel};

/// What a batch of replays covered.
#[derive(Debug, Default)]
pub struct Summary {
    pub traces: u64,
    pub steps: u64,
    pub distinct_states: usize,
    pub coverage: Coverage,
}

/// Every path from every initial state up to `depth` actions, depth first. Each path is a
/// trace; both sides are cloned at each branch, so no prefix is replayed twice.
pub fn all_paths(
    model: &ZabModel,
    fault: Option<Fault>,
    depth: usize,
) -> Result<Summary, Mismatch> {
    let mut sum = Summary::default();
    let mut seen = HashSet::new();
    for init in model.init_states() {
        let r = Replayer::new(model, init.clone(), fault)?;
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

/// `count` random walks of at most `length` steps, each from a seed (`first_seed..`); the
/// seed of a failing walk is in the error.
pub fn random_walks(
    model: &ZabModel,
    fault: Option<Fault>,
    first_seed: u64,
    count: u64,
    length: usize,
) -> Result<Summary, (u64, Mismatch)> {
    let mut sum = Summary::default();
    let mut seen = HashSet::new();
    let inits = model.init_states();
    for seed in first_seed..first_seed + count {
        let mut rng = Rng(seed ^ 0x5eed_f2ab);
        let init = inits[rng.below(inits.len())].clone();
        let mut r = Replayer::new(model, init, fault).map_err(|m| (seed, m))?;
        for _ in 0..length {
            let mut actions: Vec<Action> = Vec::new();
            model.actions(&r.state, &mut actions);
            if actions.is_empty() {
                break;
            }
            let a = actions[rng.below(actions.len())];
            r.step(a, &mut sum.coverage).map_err(|m| (seed, m))?;
            sum.steps += 1;
            seen.insert(r.state.clone());
        }
        sum.traces += 1;
    }
    sum.distinct_states = seen.len();
    Ok(sum)
}

/// splitmix64, so a seed replays the same walk anywhere.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}
