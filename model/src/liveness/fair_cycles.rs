//! A search for fair cycles over any stateright `Model`: stateright's `eventually` ignores
//! paths that end in a cycle, so this looks in the reachable state graph (`graph.rs`) for
//! a *fair lasso*: a reachable cycle in which a goal never holds and which is weakly fair to
//! every action the model's `Fairness` obliges.
//!
//! * Weak fairness is per action class (`Fairness::class`): an action that stays enabled in
//!   every state of a cycle must be taken in it. A strongly connected component of the
//!   goal-less subgraph contains a fair cycle iff every class enabled in all of its states
//!   labels one of its internal edges (a cycle through all its edges then is fair; and no
//!   smaller cycle can fix a class enabled everywhere but never taken).
//! * An action whose successor lies outside the checked bounds counts as enabled and as
//!   leaving the component, so truncation never fabricates a counterexample.
//! * A state where the goal does not hold and no obliged action is enabled (a deadlock, or
//!   only environment steps left) is a lasso too, with an empty cycle: a fair run may stop
//!   there, since nothing obliges the scheduler to move on.

use super::graph::{depth, Graph, OUTSIDE};
use stateright::Model;
use std::collections::{HashMap, VecDeque};

/// A fair cycle in which a goal never holds, reached from an initial state `S` by actions
/// `A`.
#[derive(Clone, Debug)]
pub struct Lasso<S, A> {
    /// The initial state the lasso starts from.
    pub init: S,
    /// The actions from `init` to the first state of the cycle (a breadth-first path).
    pub prefix: Vec<A>,
    /// The actions of the cycle, back to its first state: repeated forever, fair to every
    /// obliged action, and the goal holds in none of its states. Empty when the run is stuck
    /// at the prefix's last state: no obliged action is enabled there.
    pub cycle: Vec<A>,
}

/// A lasso of `M`.
pub type LassoOf<M> = Lasso<<M as Model>::State, <M as Model>::Action>;

/// For goal `k` of `g`: the fair lasso in which it never holds that is reached soonest, or
/// `None`.
pub fn fair_lasso<M: Model>(model: &M, g: &Graph<M>, k: u32) -> Option<LassoOf<M>>
where
    M::State: Clone,
    M::Action: Clone,
{
    let n = g.unmet.len();
    let bad: Vec<bool> = g.unmet.iter().map(|b| b & (1 << k) != 0).collect();
    let stuck = (0..n as u32)
        .filter(|&v| bad[v as usize] && !obliged_enabled(g, v))
        .min_by_key(|&v| depth(g, v));
    let mut member = vec![false; n];
    let mut comps: Vec<(Option<usize>, Vec<u32>)> = sccs(g, &bad)
        .into_iter()
        .map(|c| (c.iter().map(|&v| depth(g, v)).min(), c))
        .collect();
    comps.sort_by_key(|(d, _)| *d);
    for (comp_depth, comp) in comps {
        if let Some(v) = stuck.filter(|&v| Some(depth(g, v)) <= comp_depth) {
            return Some(stuck_at(model, g, v));
        }
        for &v in &comp {
            member[v as usize] = true;
        }
        if let Some(req) = fair_requirements(g, &comp, &member) {
            return Some(lasso(model, g, &comp, &member, req));
        }
        for &v in &comp {
            member[v as usize] = false;
        }
    }
    stuck.map(|v| stuck_at(model, g, v))
}

/// The classes of the actions fairness obliges in state `v` (leaving the bounds or not),
/// one per enabled edge.
fn obliged_classes<M: Model>(g: &Graph<M>, v: u32) -> impl Iterator<Item = u32> + '_ {
    let from = g.offsets[v as usize];
    g.out(v)
        .iter()
        .enumerate()
        .filter(move |(i, _)| g.obliges[from + i])
        .filter_map(|(_, e)| e.1)
}

/// Whether some action fairness obliges is enabled in state `v`.
fn obliged_enabled<M: Model>(g: &Graph<M>, v: u32) -> bool {
    obliged_classes(g, v).next().is_some()
}

/// The lasso of a run that stops at `v`: its breadth-first path and an empty cycle.
fn stuck_at<M: Model>(model: &M, g: &Graph<M>, v: u32) -> LassoOf<M>
where
    M::State: Clone,
    M::Action: Clone,
{
    let (init, prefix_idx) = bfs_path(g, v);
    replay(model, init, &prefix_idx, &[])
}

/// The lasso whose prefix and cycle are these (state id, action index) steps from `init`,
/// turned into actions by replaying them.
fn replay<M: Model>(
    model: &M,
    init: M::State,
    prefix_idx: &[(u32, u32)],
    cycle_idx: &[(u32, u32)],
) -> LassoOf<M>
where
    M::State: Clone,
    M::Action: Clone,
{
    let mut st = init.clone();
    let mut actions = |steps: &[(u32, u32)]| -> Vec<M::Action> {
        steps
            .iter()
            .map(|&(_, k)| take(model, &mut st, k))
            .collect()
    };
    let prefix = actions(prefix_idx);
    let cycle = actions(cycle_idx);
    Lasso {
        init,
        prefix,
        cycle,
    }
}

/// The initial state and the (state, action index) steps of the breadth-first path to `v`.
fn bfs_path<M: Model>(g: &Graph<M>, v: u32) -> (M::State, Vec<(u32, u32)>)
where
    M::State: Clone,
{
    let mut steps = Vec::new();
    let mut cur = v;
    while let Some((p, k)) = g.parent[cur as usize] {
        steps.push((p, k));
        cur = p;
    }
    steps.reverse();
    (g.inits[g.init_of[cur as usize] as usize].clone(), steps)
}

/// Takes the `k`-th action enabled in `st`, as the graph recorded it; returns the action.
fn take<M: Model>(model: &M, st: &mut M::State, k: u32) -> M::Action
where
    M::Action: Clone,
{
    let mut actions = Vec::new();
    model.actions(st, &mut actions);
    let a = actions[k as usize].clone();
    *st = model
        .next_state(st, a.clone())
        .expect("an edge of the graph");
    a
}

/// Tarjan's algorithm, iterative, over the subgraph of `bad` states.
fn sccs<M: Model>(g: &Graph<M>, bad: &[bool]) -> Vec<Vec<u32>> {
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
fn fair_requirements<M: Model>(
    g: &Graph<M>,
    comp: &[u32],
    member: &[bool],
) -> Option<(Vec<u32>, Vec<u32>)> {
    let internal_edge = comp.iter().any(|&v| {
        g.out(v)
            .iter()
            .any(|&(w, _, _)| w != OUTSIDE && member[w as usize])
    });
    if !internal_edge {
        return None;
    }
    let classes_at = |v: u32| -> Vec<u32> {
        let mut c: Vec<u32> = obliged_classes(g, v).collect();
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
fn path_within<M: Model>(
    g: &Graph<M>,
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

fn lasso<M: Model>(
    model: &M,
    g: &Graph<M>,
    comp: &[u32],
    member: &[bool],
    req: (Vec<u32>, Vec<u32>),
) -> LassoOf<M>
where
    M::State: Clone,
    M::Action: Clone,
{
    let start = *comp.iter().min_by_key(|&&v| depth(g, v)).unwrap();
    let (init, prefix_idx) = bfs_path(g, start);
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
    replay(model, init, &prefix_idx, &cycle_idx)
}
