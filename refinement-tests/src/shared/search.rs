//! The search both trace validators use: the shortest sequence of model actions that explains
//! what the implementation did.

use stateright::Model;
use std::collections::{HashSet, VecDeque};
use zab_model::{Action, State, ZabModel};

/// The shortest sequence of at most `most` model actions from `st`, each enabled where it is
/// taken and `allowed` (told whether it would be the first, not counting the `Transmit`s and
/// `Lose`s before it: they only say what the network had done by then), that reaches a state
/// `reached` accepts; breadth first. The empty sequence counts only if `may_stutter`.
pub fn shortest(
    model: &ZabModel,
    st: &State,
    most: usize,
    reached: impl Fn(&State) -> bool,
    allowed: impl Fn(bool, &Action) -> bool,
    may_stutter: bool,
) -> Option<(Vec<Action>, State)> {
    if may_stutter && reached(st) {
        return Some((Vec::new(), st.clone()));
    }
    let mut queue = VecDeque::from([(st.clone(), Vec::new())]);
    let mut seen = HashSet::from([st.clone()]);
    while let Some((s, path)) = queue.pop_front() {
        if path.len() == most {
            continue;
        }
        let mut actions = Vec::new();
        model.actions(&s, &mut actions);
        let first = path
            .iter()
            .all(|a| matches!(a, Action::Transmit { .. } | Action::Lose { .. }));
        for a in actions.into_iter().filter(|a| allowed(first, a)) {
            let next = model.next_state(&s, a)?;
            let mut p = path.clone();
            p.push(a);
            if reached(&next) {
                return Some((p, next));
            }
            if seen.insert(next.clone()) {
                queue.push_back((next, p));
            }
        }
    }
    None
}
