//! Routes into the Explorer: a path of the model as the Explorer's own address, so that a
//! counterexample or a scenario opens in the browser at its last step.
//!
//! stateright's Explorer addresses a path by positions, not by states: `#/steps/I/A1/A2/…`
//! where `I` is the position of the initial state in `init_states()` and each `Ak` the
//! position of the step's action in `actions()` of the state before it. A route is therefore
//! only meaningful for the configuration it was computed on, served without symmetry (the
//! Explorer shows states as they are).

use crate::action::Action;
use crate::model::ZabModel;
use crate::state::State;
use stateright::Model;
use std::fmt;
use std::str::FromStr;

/// A path as the Explorer addresses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The position of the initial state in `init_states()`.
    pub init: usize,
    /// For each step, the position of its action in `actions()` of the state before it.
    pub actions: Vec<usize>,
}

impl Route {
    /// The route of the path that starts at `init` and takes `actions`, on `model` (which must
    /// not reduce by symmetry: the Explorer does not). `None` if `init` is not an initial
    /// state or an action is not enabled where the path takes it.
    pub fn of_path(model: &ZabModel, init: &State, actions: &[Action]) -> Option<Route> {
        let init_index = model.init_states().iter().position(|s| s == init)?;
        let mut state = init.clone();
        let mut indices = Vec::with_capacity(actions.len());
        for action in actions {
            let mut enabled = Vec::new();
            model.actions(&state, &mut enabled);
            indices.push(enabled.iter().position(|a| a == action)?);
            state = model.step(&state, *action);
        }
        Some(Route {
            init: init_index,
            actions: indices,
        })
    }

    /// The states and actions the route takes on `model`, the initial state first. `None` if
    /// a position is out of range (the model changed since the route was computed).
    pub fn walk(&self, model: &ZabModel) -> Option<(Vec<State>, Vec<Action>)> {
        let mut states = vec![model.init_states().get(self.init)?.clone()];
        let mut taken = Vec::with_capacity(self.actions.len());
        for &i in &self.actions {
            let mut enabled = Vec::new();
            let last = states.last().expect("starts with the initial state");
            model.actions(last, &mut enabled);
            let action = *enabled.get(i)?;
            states.push(model.step(last, action));
            taken.push(action);
        }
        Some((states, taken))
    }

    /// The Explorer's address of the route on a server at 127.0.0.1:`port`.
    pub fn url(&self, port: u16) -> String {
        format!("http://127.0.0.1:{port}/{self}")
    }
}

/// Why a string is not a route.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not an Explorer route (#/steps/I/A1/A2/…)")]
pub struct NotARoute(String);

/// Reads the fragment `Display` writes back.
impl FromStr for Route {
    type Err = NotARoute;

    fn from_str(s: &str) -> Result<Route, NotARoute> {
        let bad = || NotARoute(s.to_string());
        let rest = s.strip_prefix("#/steps/").ok_or_else(bad)?;
        let mut positions = rest.split('/').map(|p| p.parse::<usize>());
        let init = positions.next().ok_or_else(bad)?.map_err(|_| bad())?;
        let actions = positions
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| bad())?;
        Ok(Route { init, actions })
    }
}

/// The fragment the Explorer's page routes by: `#/steps/I/A1/A2/…`.
impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#/steps/{}", self.init)?;
        for a in &self.actions {
            write!(f, "/{a}")?;
        }
        Ok(())
    }
}
