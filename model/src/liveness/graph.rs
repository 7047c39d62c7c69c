//! The reachable state graph of a stateright `Model`, explored breadth-first for the
//! fair-cycle search (`fair_cycles.rs`): only its shape is kept, with each state's unmet goals
//! and each edge's fairness, as the model's `Fairness` says.

use stateright::Model;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hash};
use std::time::Instant;

/// What the search needs of a model beyond its steps: its goals and its fairness.
pub trait Fairness<M: Model> {
    /// Which goals are unmet in `st`: bit k for goal k (at most 8 goals).
    fn unmet(&self, st: &M::State) -> u8;
    /// The class of `a` under weak fairness; `None` for an environment step (a fault, a
    /// client's request), which fairness never forces.
    fn class(&self, a: &M::Action) -> Option<u32>;
    /// Whether weak fairness obliges taking `a`, enabled in `st`, eventually.
    fn obliged(&self, st: &M::State, a: &M::Action) -> bool;
}

impl<M: Model> Graph<M> {
    /// States explored.
    pub fn states(&self) -> usize {
        self.unmet.len()
    }

    /// Transitions explored, including those leading outside the checked bounds.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }
}

/// The explored graph. Only its shape is kept: states are dropped once expanded (a state is
/// recovered, when a lasso is printed, by replaying its breadth-first path).
pub struct Graph<M: Model> {
    pub(super) inits: Vec<M::State>,
    /// Per state: which goals are unmet in it (bit per goal).
    pub(super) unmet: Vec<u8>,
    /// Outgoing edges of state i: `edges[offsets[i]..offsets[i+1]]`, as (target, class, action
    /// index). A target of `u32::MAX` leaves the checked bounds.
    pub(super) offsets: Vec<usize>,
    pub(super) edges: Vec<(u32, Option<u32>, u32)>,
    /// Per edge: whether its action is under a fairness obligation in the source state (see
    /// `obliged`).
    pub(super) obliges: Vec<bool>,
    /// BFS tree: how each state was first reached (`None`: initial state number `k` is
    /// stored in `init_of`).
    pub(super) parent: Vec<Option<(u32, u32)>>,
    pub(super) init_of: Vec<u32>,
    /// False when exploration stopped at the state limit: the result is then partial.
    pub complete: bool,
}

pub(super) const OUTSIDE: u32 = u32::MAX;

fn fingerprint<H: BuildHasher, S: Hash>(h: &H, st: &S) -> u64 {
    let mut hasher = h.build_hasher();
    st.hash(&mut hasher);
    std::hash::Hasher::finish(&hasher)
}

/// Explores `model` breadth-first, up to `max_states` states (with `progress`, a line on
/// stderr every 2 s), recording each state's unmet goals and each edge's fairness.
pub fn explore<M: Model, F: Fairness<M>>(
    model: &M,
    fair: &F,
    max_states: usize,
    progress: bool,
) -> Graph<M>
where
    M::State: Clone + Hash,
    M::Action: Clone,
{
    let hasher = ahash::RandomState::with_seeds(1, 2, 3, 4);
    let mut ids: HashMap<u64, u32> = HashMap::new();
    let mut g = Graph {
        inits: Vec::new(),
        unmet: Vec::new(),
        offsets: vec![0],
        edges: Vec::new(),
        obliges: Vec::new(),
        parent: Vec::new(),
        init_of: Vec::new(),
        complete: true,
    };
    let unmet_bits = |st: &M::State| fair.unmet(st);
    // The frontier holds the states still to expand, in id order.
    let mut queue: VecDeque<M::State> = VecDeque::new();
    for st in model.init_states() {
        let fp = fingerprint(&hasher, &st);
        if let std::collections::hash_map::Entry::Vacant(e) = ids.entry(fp) {
            e.insert(g.unmet.len() as u32);
            g.unmet.push(unmet_bits(&st));
            g.parent.push(None);
            g.init_of.push(g.inits.len() as u32);
            g.inits.push(st.clone());
            queue.push_back(st);
        }
    }
    let started = Instant::now();
    let mut last_report = Instant::now();
    let mut i = 0u32;
    let mut actions = Vec::new();
    while let Some(st) = queue.pop_front() {
        actions.clear();
        model.actions(&st, &mut actions);
        for (k, a) in actions.iter().enumerate() {
            let Some(succ) = model.next_state(&st, a.clone()) else {
                continue; // not enabled after all: no edge
            };
            let target = if !model.within_boundary(&succ) {
                OUTSIDE
            } else {
                let fp = fingerprint(&hasher, &succ);
                match ids.get(&fp) {
                    Some(&t) => t,
                    None if g.unmet.len() >= max_states => {
                        g.complete = false;
                        OUTSIDE
                    }
                    None => {
                        let t = g.unmet.len() as u32;
                        ids.insert(fp, t);
                        g.unmet.push(unmet_bits(&succ));
                        g.parent.push(Some((i, k as u32)));
                        g.init_of.push(u32::MAX);
                        queue.push_back(succ);
                        t
                    }
                }
            };
            g.edges.push((target, fair.class(a), k as u32));
            g.obliges.push(fair.obliged(&st, a));
        }
        g.offsets.push(g.edges.len());
        i += 1;
        if progress && last_report.elapsed().as_secs() >= 2 {
            last_report = Instant::now();
            eprintln!(
                "liveness: {} states, {} edges, {} queued, {:.0}s",
                g.unmet.len(),
                g.edges.len(),
                queue.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    g
}

impl<M: Model> Graph<M> {
    pub(super) fn out(&self, i: u32) -> &[(u32, Option<u32>, u32)] {
        &self.edges[self.offsets[i as usize]..self.offsets[i as usize + 1]]
    }
}

/// How many steps from an initial state `v` was first reached.
pub(super) fn depth<M: Model>(g: &Graph<M>, mut v: u32) -> usize {
    let mut d = 0;
    while let Some((p, _)) = g.parent[v as usize] {
        v = p;
        d += 1;
    }
    d
}
