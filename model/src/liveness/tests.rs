//! The fair-cycle search on toy models small enough to know every answer: a run that stops
//! where the goal is unmet is a lasso, one cut by the bounds is not.

use super::fair_cycles::fair_lasso;
use super::graph::{explore, Fairness};
use stateright::Model;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Step {
    /// A protocol step, obliged by fairness.
    Work,
    /// An environment step (a fault, a client), never forced.
    Env,
}

/// States 0, 1, 2, ... : `Work` counts up to `last`; from `last`, `then` (if any) is the
/// only step, and it leads to `after`. The goal holds from `goal` on; states above `bound`
/// lie outside the checked bounds.
struct Counter {
    last: u8,
    then: Option<(Step, u8)>,
    goal: u8,
    bound: u8,
}

impl Model for Counter {
    type State = u8;
    type Action = Step;

    fn init_states(&self) -> Vec<u8> {
        vec![0]
    }

    fn actions(&self, st: &u8, out: &mut Vec<Step>) {
        if *st < self.last {
            out.push(Step::Work);
        } else if let Some((step, _)) = self.then {
            out.push(step);
        }
    }

    fn next_state(&self, st: &u8, a: Step) -> Option<u8> {
        if *st < self.last {
            (a == Step::Work).then_some(st + 1)
        } else {
            self.then
                .filter(|(step, _)| *step == a)
                .map(|(_, after)| after)
        }
    }

    fn within_boundary(&self, st: &u8) -> bool {
        *st <= self.bound
    }
}

struct Goal(u8);

impl Fairness<Counter> for Goal {
    fn unmet(&self, st: &u8) -> u8 {
        u8::from(*st < self.0)
    }
    fn class(&self, a: &Step) -> Option<u32> {
        (*a == Step::Work).then_some(0)
    }
    fn obliged(&self, _: &u8, _: &Step) -> bool {
        true
    }
}

/// The lasso for the counter's goal: its prefix and cycle lengths, or `None`.
fn lasso(m: &Counter) -> Option<(usize, usize)> {
    let g = explore(m, &Goal(m.goal), 100, false);
    fair_lasso(m, &g, 0).map(|l| (l.prefix.len(), l.cycle.len()))
}

#[test]
fn a_run_that_stops_before_the_goal_is_a_lasso_with_an_empty_cycle() {
    let stops = Counter {
        last: 2,
        then: None,
        goal: 5,
        bound: 10,
    };
    assert_eq!(lasso(&stops), Some((2, 0)));
}

#[test]
fn a_state_with_only_environment_steps_left_is_stuck_too() {
    let waits = Counter {
        last: 2,
        then: Some((Step::Env, 3)),
        goal: 3,
        bound: 10,
    };
    assert_eq!(lasso(&waits), Some((2, 0)));
}

#[test]
fn a_run_that_reaches_the_goal_or_leaves_the_bounds_is_no_lasso() {
    let reaches = Counter {
        last: 3,
        then: None,
        goal: 3,
        bound: 10,
    };
    assert_eq!(lasso(&reaches), None);
    let cut = Counter {
        last: 5,
        then: None,
        goal: 9,
        bound: 2,
    };
    assert_eq!(
        lasso(&cut),
        None,
        "truncation must not fabricate a deadlock"
    );
}

#[test]
fn a_fair_cycle_before_the_goal_is_a_lasso() {
    let loops = Counter {
        last: 2,
        then: Some((Step::Work, 1)),
        goal: 5,
        bound: 10,
    };
    assert_eq!(lasso(&loops), Some((1, 2)));
}
