//! Liveness checked for real. stateright's `eventually` ignores paths that end in a cycle, so
//! this module builds the reachable state graph itself and looks for a *fair lasso*: a reachable
//! cycle in which the goal never holds and which is weakly fair to every protocol action.
//!
//! * Faults and client requests are environment steps: budgeted, never forced by fairness.
//!   Budgets only grow, so no cycle contains a fault — every cycle is fault-free, which is the
//!   "faults stop at some point" assumption for free.
//! * Weak fairness is per action class (`fairness_class`): an action that stays enabled in every
//!   state of a cycle must be taken in it. A strongly connected component of the goal-less
//!   subgraph contains a fair cycle iff every class enabled in all of its states labels one of
//!   its internal edges (a cycle through all its edges then is fair; and no smaller cycle can
//!   fix a class enabled everywhere but never taken).
//! * An action whose successor lies outside the checked bounds counts as enabled and as leaving
//!   the component, so truncation never fabricates a counterexample.

use crate::action::Action;
use crate::config::{Config, Scope};
use crate::model::ZabModel;
use crate::state::State;
use crate::types::{Mask, Role, Sid};
use stateright::Model;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hash};
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

/// A fair cycle in which the goal never holds, reached from an initial state.
#[derive(Clone, Debug)]
pub struct Lasso {
    /// The initial state the lasso starts from.
    pub init: State,
    /// The actions from `init` to the first state of the cycle (a breadth-first path).
    pub prefix: Vec<Action>,
    /// The actions of the cycle, back to its first state: repeated forever, fair to every
    /// protocol action, and the goal holds in none of its states.
    pub cycle: Vec<Action>,
}

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
        Action::ClientRequest(_)
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
            && srv.role == Role::Leading
            && cfg.is_quorum(
                (0..cfg.servers)
                    .filter(|&v| {
                        v == l || {
                            let f = st.server(v);
                            f.up && f.role == Role::Following && f.learner.leader == Some(l)
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

/// The explored graph. Only its shape is kept: states are dropped once expanded (a state is
/// recovered, when a lasso is printed, by replaying its breadth-first path).
struct Graph {
    inits: Vec<State>,
    /// Per state: which goals are unmet in it (bit per goal).
    unmet: Vec<u8>,
    /// Outgoing edges of state i: `edges[offsets[i]..offsets[i+1]]`, as (target, class, action
    /// index). A target of `u32::MAX` leaves the checked bounds.
    offsets: Vec<usize>,
    edges: Vec<(u32, Option<u32>, u32)>,
    /// Per edge: whether its action is under a fairness obligation in the source state (see
    /// `obliged`).
    obliges: Vec<bool>,
    /// BFS tree: how each state was first reached (`None`: initial state number `k` is
    /// stored in `init_of`).
    parent: Vec<Option<(u32, u32)>>,
    init_of: Vec<u32>,
    complete: bool,
}

const OUTSIDE: u32 = u32::MAX;

fn fingerprint<H: BuildHasher>(h: &H, st: &State) -> u64 {
    let mut hasher = h.build_hasher();
    st.hash(&mut hasher);
    std::hash::Hasher::finish(&hasher)
}

fn explore(model: &ZabModel, goals: &[Goal], max_states: usize, progress: bool) -> Graph {
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
    let unmet_bits = |st: &State| -> u8 {
        goals
            .iter()
            .enumerate()
            .filter(|(_, goal)| unmet(&model.cfg, **goal, st))
            .fold(0, |acc, (k, _)| acc | 1 << k)
    };
    // The frontier holds the states still to expand, in id order.
    let mut queue: VecDeque<State> = VecDeque::new();
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
            let succ = model.step(&st, *a);
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
            g.edges.push((target, fairness_class(a), k as u32));
            g.obliges.push(obliged(&model.cfg, &st, a));
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

impl Graph {
    fn out(&self, i: u32) -> &[(u32, Option<u32>, u32)] {
        &self.edges[self.offsets[i as usize]..self.offsets[i as usize + 1]]
    }
}

/// Tarjan's algorithm, iterative, over the subgraph of `bad` states.
fn sccs(g: &Graph, bad: &[bool]) -> Vec<Vec<u32>> {
    let n = g.unmet.len();
    let mut index = vec![u32::MAX; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    let mut counter = 0u32;
    for root in 0..n as u32 {
        if !bad[root as usize] || index[root as usize] != u32::MAX {
            continue;
        }
        // Frames: (node, next edge position).
        let mut frames: Vec<(u32, usize)> = vec![(root, 0)];
        index[root as usize] = counter;
        low[root as usize] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root as usize] = true;
        while let Some(&mut (v, ref mut pos)) = frames.last_mut() {
            let edges = g.out(v);
            if *pos < edges.len() {
                let w = edges[*pos].0;
                *pos += 1;
                if w == OUTSIDE || !bad[w as usize] {
                    continue;
                }
                if index[w as usize] == u32::MAX {
                    index[w as usize] = counter;
                    low[w as usize] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w as usize] = true;
                    frames.push((w, 0));
                } else if on_stack[w as usize] {
                    low[v as usize] = low[v as usize].min(index[w as usize]);
                }
            } else {
                frames.pop();
                if let Some(&(u, _)) = frames.last() {
                    low[u as usize] = low[u as usize].min(low[v as usize]);
                }
                if low[v as usize] == index[v as usize] {
                    let mut comp = Vec::new();
                    loop {
                        let w = stack.pop().unwrap();
                        on_stack[w as usize] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    out.push(comp);
                }
            }
        }
    }
    out
}

/// Whether the component holds a cycle fair to every action class; if so, the classes that
/// must be taken (enabled everywhere) and, for the others, a state where each is disabled.
fn fair_requirements(g: &Graph, comp: &[u32], member: &[bool]) -> Option<(Vec<u32>, Vec<u32>)> {
    let internal_edge = comp.iter().any(|&v| {
        g.out(v)
            .iter()
            .any(|&(w, _, _)| w != OUTSIDE && member[w as usize])
    });
    if !internal_edge {
        return None;
    }
    let classes_at = |v: u32| -> Vec<u32> {
        let from = g.offsets[v as usize];
        let mut c: Vec<u32> = g
            .out(v)
            .iter()
            .enumerate()
            .filter(|(i, _)| g.obliges[from + i])
            .filter_map(|(_, e)| e.1)
            .collect();
        c.sort();
        c.dedup();
        c
    };
    let mut all: Vec<u32> = comp.iter().flat_map(|&v| classes_at(v)).collect();
    all.sort();
    all.dedup();
    let mut must_take = Vec::new();
    let mut must_visit = Vec::new();
    for c in all {
        match comp.iter().find(|&&v| !classes_at(v).contains(&c)) {
            Some(&v) => must_visit.push(v),
            None => {
                let taken = comp.iter().any(|&v| {
                    g.out(v)
                        .iter()
                        .any(|&(w, cls, _)| cls == Some(c) && w != OUTSIDE && member[w as usize])
                });
                if !taken {
                    if std::env::var("ZAB_LIVENESS_DEBUG").is_ok() && comp.len() > 1 {
                        eprintln!("component of {} states starves class {:#x}", comp.len(), c);
                    }
                    return None;
                }
                must_take.push(c);
            }
        }
    }
    Some((must_take, must_visit))
}

/// Shortest path inside the component from `from` to a state satisfying `target` (taking an
/// edge of class `via` last, if given). Returns (actions as edge refs, end state).
fn path_within(
    g: &Graph,
    member: &[bool],
    from: u32,
    via: Option<u32>,
    target: Option<u32>,
) -> (Vec<(u32, u32)>, u32) {
    let mut prev: HashMap<u32, (u32, u32)> = HashMap::new();
    let mut queue = VecDeque::from([from]);
    let mut seen = std::collections::HashSet::from([from]);
    let done = |v: u32, e: Option<&(u32, Option<u32>, u32)>| -> bool {
        match (via, target) {
            (Some(c), _) => e.is_some_and(|e| e.1 == Some(c)),
            (None, Some(t)) => v == t,
            (None, None) => true,
        }
    };
    if via.is_none() && done(from, None) && target.is_some() {
        return (vec![], from);
    }
    while let Some(v) = queue.pop_front() {
        for e in g.out(v) {
            let w = e.0;
            if w == OUTSIDE || !member[w as usize] {
                continue;
            }
            let finished = if via.is_some() {
                done(v, Some(e))
            } else {
                done(w, None)
            };
            if finished || seen.insert(w) {
                prev.entry(w).or_insert((v, e.2));
                if finished {
                    // Rebuild, ending with the edge v -> w.
                    let mut steps = vec![(v, e.2)];
                    let mut cur = v;
                    while cur != from {
                        let (p, k) = prev[&cur];
                        steps.push((p, k));
                        cur = p;
                    }
                    steps.reverse();
                    return (steps, w);
                }
                queue.push_back(w);
            }
        }
    }
    unreachable!("the component is strongly connected")
}

fn lasso(
    model: &ZabModel,
    g: &Graph,
    comp: &[u32],
    member: &[bool],
    req: (Vec<u32>, Vec<u32>),
) -> Lasso {
    let start = *comp.iter().min_by_key(|&&v| depth(g, v)).unwrap();
    // Prefix: the BFS tree path to `start`.
    let mut prefix_idx = Vec::new();
    let mut cur = start;
    while let Some((p, k)) = g.parent[cur as usize] {
        prefix_idx.push((p, k));
        cur = p;
    }
    prefix_idx.reverse();
    let init = g.inits[g.init_of[cur as usize] as usize].clone();
    // Cycle: through every required edge class and every required state, then home.
    let mut cycle_idx = Vec::new();
    let mut at = start;
    for c in &req.0 {
        let (steps, end) = path_within(g, member, at, Some(*c), None);
        cycle_idx.extend(steps);
        at = end;
    }
    for v in &req.1 {
        let (steps, end) = path_within(g, member, at, None, Some(*v));
        cycle_idx.extend(steps);
        at = end;
    }
    if at != start || cycle_idx.is_empty() {
        let (steps, _) = path_within(g, member, at, None, Some(start));
        if steps.is_empty() {
            // `start` with a self-loop.
            let k = g.out(start).iter().find(|e| e.0 == start).unwrap().2;
            cycle_idx.push((start, k));
        } else {
            cycle_idx.extend(steps);
        }
    }
    // Turn (state id, action index) steps into actions by replaying them.
    let mut st = init.clone();
    let mut actions = Vec::new();
    let mut take = |st: &mut State, k: u32| {
        actions.clear();
        model.actions(st, &mut actions);
        let a = actions[k as usize];
        *st = model.step(st, a);
        a
    };
    let prefix: Vec<Action> = prefix_idx.iter().map(|&(_, k)| take(&mut st, k)).collect();
    let cycle: Vec<Action> = cycle_idx.iter().map(|&(_, k)| take(&mut st, k)).collect();
    Lasso {
        init,
        prefix,
        cycle,
    }
}

fn depth(g: &Graph, mut v: u32) -> usize {
    let mut d = 0;
    while let Some((p, _)) = g.parent[v as usize] {
        v = p;
        d += 1;
    }
    d
}

/// Explores the model (up to `max_states`) and checks every goal.
pub fn check(model: &ZabModel, max_states: usize, progress: bool) -> Report {
    let started = Instant::now();
    let goals = match model.cfg.scope {
        Scope::Election => vec![Goal::LeaderEstablished],
        Scope::All => vec![Goal::LeaderEstablished, Goal::RequestCommitted],
    };
    let g = explore(model, &goals, max_states, progress);
    let n = g.unmet.len();
    let mut results = Vec::new();
    for (k, goal) in goals.iter().enumerate() {
        let bad: Vec<bool> = g.unmet.iter().map(|b| b & (1 << k) != 0).collect();
        let mut found = None;
        let mut member = vec![false; n];
        let mut comps = sccs(&g, &bad);
        comps.sort_by_key(|c| c.iter().map(|&v| depth(&g, v)).min());
        for comp in comps {
            for &v in &comp {
                member[v as usize] = true;
            }
            if let Some(req) = fair_requirements(&g, &comp, &member) {
                found = Some(lasso(model, &g, &comp, &member, req));
            }
            for &v in &comp {
                member[v as usize] = false;
            }
            if found.is_some() {
                break;
            }
        }
        results.push(GoalResult {
            goal: *goal,
            lasso: found,
        });
    }
    Report {
        states: n,
        edges: g.edges.len(),
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
