//! The model's `always` properties, checked on every state the model passes through while
//! explaining an implementation's run. The model is checked exhaustively only within small
//! bounds; the models runs are validated against have larger ones (more crashes, losses and
//! epochs), so an explanation may reach states no exhaustive check has seen. A run whose
//! explanation breaks a property is a failure even if every event is explained.

use super::divergence::Divergence;
use stateright::{Expectation, Model};
use zab_model::{Action, State, ZabModel};

/// The first `always` property broken after one of `actions` taken from `from`, with the
/// action after which it breaks (`event` names what they explain).
pub fn broken_property(
    model: &ZabModel,
    from: &State,
    actions: &[Action],
    event: &str,
) -> Option<Divergence> {
    let always: Vec<_> = model
        .properties()
        .into_iter()
        .filter(|p| p.expectation == Expectation::Always)
        // A bound of the exhaustive search, not of the protocol: explanations may pass it.
        .filter(|p| p.name != zab_model::properties::IN_FLIGHT_BELOW_BOUND)
        .collect();
    let mut st = from.clone();
    for a in actions {
        st = model.next_state(&st, *a)?;
        if let Some(p) = always.iter().find(|p| !(p.condition)(model, &st)) {
            return Some(Divergence::Property {
                property: p.name,
                after: format!("{event}, after {a:?}"),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::Checker;
    use zab_model::Bug;

    /// The model with ZOOKEEPER-4646 switched on breaks `committed_txn_durable`: along the
    /// path the checker finds to it, the actions up to the last state where every property
    /// holds pass, and one action more is refused, naming that action.
    #[test]
    fn an_explanation_through_a_state_that_breaks_a_property_is_refused() {
        let bug = Bug::Zk4646;
        let model = ZabModel::new(bug.smallest_config());
        let found = model.clone().checker().spawn_bfs().join();
        let path = found
            .discovery(bug.property())
            .expect("the bug's violation");
        let states = path.clone().into_states();
        let actions = path.into_actions();
        let always: Vec<_> = model
            .properties()
            .into_iter()
            .filter(|p| p.expectation == Expectation::Always)
            .collect();
        let breaks = |s: &State| always.iter().any(|p| !(p.condition)(&model, s));
        let first_bad = states
            .iter()
            .position(breaks)
            .expect("a state that breaks one");
        let named = always.iter().find(|p| p.name == bug.property()).unwrap();
        assert!(!(named.condition)(&model, &states[first_bad]));
        let (clean, through) = (&actions[..first_bad - 1], &actions[..first_bad]);
        let early = broken_property(&model, &states[0], clean, "clean");
        assert!(early.is_none(), "{early:?}");
        match broken_property(&model, &states[0], through, "path") {
            Some(Divergence::Property { after, .. }) => {
                let last = through.last().expect("an action");
                assert!(after.contains(&format!("{last:?}")), "{after}");
            }
            other => panic!("not refused: {other:?}"),
        }
    }
}
