//! Random walks from stateright's own simulation checker (`spawn_simulation`), replayed on the
//! implementation as they go: the walks' `Chooser` keeps a `Replayer` beside the checker's
//! state, replays each action it chose once the checker has taken it, and checks that the
//! checker's state is the one it replayed to. The checker also checks every property on the
//! way. A mismatch is kept (the first one, with its walk's seed) and the walk's replay stops.

use crate::model_to_impl::replay::{Mismatch, Replayer};
use crate::model_to_impl::walk::{is_fault, Rng, Summary};
use crate::shared::coverage::Coverage;
use crate::shared::divergence::Divergence;
use stateright::{Checker, Chooser, Model};
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use zab::replica::Bug;
use zab_model::{Action, State, ZabModel};

/// What every walk adds to, across the checker's threads.
#[derive(Default)]
struct Shared {
    sum: Summary,
    states: HashSet<u64>,
    mismatch: Option<(u64, Mismatch)>,
}

/// A chooser that takes a fault `fault_percent` of the times one is enabled and replays its
/// choices on the implementation.
#[derive(Clone)]
pub struct ReplayingChooser {
    model: &'static ZabModel,
    bug: Option<Bug>,
    fault_percent: u64,
    shared: Arc<Mutex<Shared>>,
}

/// One walk's chooser state.
pub struct Walk {
    seed: u64,
    rng: Rng,
    replayer: Option<Replayer<'static>>,
    /// The action chosen last, which the checker takes before asking again.
    pending: Option<Action>,
    coverage: Coverage,
    steps: u64,
    states: HashSet<u64>,
    shared: Arc<Mutex<Shared>>,
}

impl Walk {
    /// Replays the action chosen last, which took the checker to `current`.
    fn catch_up(&mut self, current: &State) {
        let (Some(r), Some(a)) = (self.replayer.as_mut(), self.pending.take()) else {
            return;
        };
        let result = r.step(a, &mut self.coverage).and_then(|()| {
            if r.state == *current {
                Ok(())
            } else {
                Err(Mismatch {
                    step: r.steps(),
                    action: format!("{a:?}"),
                    reason: Divergence::Trace("the checker reached another model state".into()),
                    trace: Vec::new(),
                })
            }
        });
        match result {
            Ok(()) => {
                self.steps += 1;
                self.states.insert(fingerprint(current));
            }
            Err(m) => self.fail(m),
        }
    }

    fn fail(&mut self, m: Mismatch) {
        self.replayer = None;
        let mut shared = self.shared.lock().expect("no walk panicked");
        shared.mismatch.get_or_insert((self.seed, m));
    }
}

impl Drop for Walk {
    fn drop(&mut self) {
        let mut shared = self.shared.lock().expect("no walk panicked");
        shared.sum.traces += 1;
        shared.sum.steps += self.steps;
        shared.sum.coverage.merge(&self.coverage);
        shared.states.extend(self.states.drain());
    }
}

fn fingerprint(st: &State) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    st.hash(&mut h);
    h.finish()
}

impl Chooser<ZabModel> for ReplayingChooser {
    type State = Walk;

    fn new_state(&self, seed: u64) -> Walk {
        Walk {
            seed,
            rng: Rng::new(seed),
            replayer: None,
            pending: None,
            coverage: Coverage::default(),
            steps: 0,
            states: HashSet::new(),
            shared: Arc::clone(&self.shared),
        }
    }

    fn choose_initial_state(&self, walk: &mut Walk, initial_states: &[State]) -> usize {
        let i = walk.rng.below(initial_states.len());
        match Replayer::new(self.model, initial_states[i].clone(), self.bug) {
            Ok(r) => walk.replayer = Some(r),
            Err(m) => walk.fail(m),
        }
        i
    }

    fn choose_action(&self, walk: &mut Walk, current: &State, actions: &[Action]) -> usize {
        walk.catch_up(current);
        let (faults, steps): (Vec<usize>, Vec<usize>) =
            (0..actions.len()).partition(|&i| is_fault(&actions[i]));
        let take_fault = !faults.is_empty()
            && (steps.is_empty() || (walk.rng.below(100) as u64) < self.fault_percent);
        let from = if take_fault { &faults } else { &steps };
        let i = from[walk.rng.below(from.len())];
        walk.pending = Some(actions[i]);
        i
    }
}

/// How long stateright's simulation checker walks, and how often it takes a fault.
#[derive(Clone, Copy, Debug)]
pub struct Simulation {
    /// The checker's seed (each walk's own seed is drawn from it).
    pub seed: u64,
    /// Stop once this many states have been visited.
    pub states: usize,
    /// The deepest a walk goes.
    pub depth: usize,
    /// Per cent of the steps that take a fault (crash, partition, loss) when one is enabled.
    pub fault_percent: u64,
}

/// Runs stateright's simulation checker on `model` as `run` says, replaying every walk on
/// the implementation (with `bug` in every replica). The first mismatch, with its walk's
/// seed, is the error.
pub fn simulate(
    model: &ZabModel,
    bug: Option<Bug>,
    run: Simulation,
) -> Result<Summary, (u64, Mismatch)> {
    let Simulation {
        seed,
        states,
        depth,
        fault_percent,
    } = run;
    let shared = Arc::new(Mutex::new(Shared::default()));
    let chooser = ReplayingChooser {
        model: Box::leak(Box::new(model.clone())),
        bug,
        fault_percent,
        shared: Arc::clone(&shared),
    };
    let checker = model
        .clone()
        .checker()
        .threads(2)
        .target_state_count(states)
        .target_max_depth(depth)
        .spawn_simulation(seed, chooser)
        .join();
    let violated: Vec<&str> = model
        .properties()
        .iter()
        .filter(|p| p.expectation == stateright::Expectation::Always)
        .filter(|p| checker.discovery(p.name).is_some())
        .map(|p| p.name)
        .collect();
    assert!(
        violated.is_empty(),
        "the simulation found violations: {violated:?}"
    );
    let mut shared = Arc::try_unwrap(shared)
        .ok()
        .expect("the checker's threads are done")
        .into_inner()
        .expect("no walk panicked");
    if let Some(m) = shared.mismatch.take() {
        return Err(m);
    }
    shared.sum.distinct_states = shared.states.len();
    Ok(shared.sum)
}
