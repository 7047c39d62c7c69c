//! Explaining one event of the merged run: the shortest sequence of allowed model actions
//! that takes the model to the state the servers' records describe.

use crate::shared::abstraction::View;
use zab_model::msg::{Msg, Plane};
use zab_model::{Action, State, ZabModel};

/// The most model actions one event may stand for.
const MOST_ACTIONS_PER_EVENT: usize = 6;

/// FOLLOWERINFOs in flight are connection attempts the model does not have: not compared.
pub(super) fn project(v: &mut View) {
    for q in v.quorum.values_mut() {
        q.retain(|m| !matches!(m, Msg::FollowerInfo { .. }));
    }
    v.quorum.retain(|_, q| !q.is_empty());
}

pub(super) fn is_lose(a: &Action) -> bool {
    matches!(
        a,
        Action::Lose {
            plane: Plane::Election,
            ..
        }
    )
}

/// The shortest sequence of allowed model actions from `st` to a state whose view, projected,
/// is `target`; the empty one only if `may_stutter`.
pub(super) fn explain(
    model: &ZabModel,
    st: &State,
    target: &View,
    allowed: impl Fn(bool, &Action) -> bool,
    may_stutter: bool,
) -> Option<(Vec<Action>, State)> {
    let reached = |s: &State| {
        let mut v = View::of_model(&model.cfg, s);
        project(&mut v);
        v == *target
    };
    crate::shared::search::shortest(
        model,
        st,
        MOST_ACTIONS_PER_EVENT,
        reached,
        allowed,
        may_stutter,
    )
}
