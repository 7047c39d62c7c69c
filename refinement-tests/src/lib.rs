//! zab-refinement: the real implementation (`zab`) checked against the model (`zab-model`) in
//! both directions, with an abstraction of its state compared to the model's state after
//! every step. See `specs/refinement.md` for the mapping and what a pass means.
//!
//! - `model_to_impl`: the model's traces (exhaustive, seeded walks, stateright's simulation)
//!   replayed on the implementation, action by action.
//! - `impl_to_model`: the implementation's runs (a seeded free-running cluster, the traces of
//!   the simulator and of real `zabd` ensembles) explained by enabled model actions.
//! - `shared`: what both directions use: the abstraction, the value mapping, the harness
//!   cluster, learners' connections, the search for explaining actions, coverage.

pub mod impl_to_model;
pub mod model_to_impl;
pub mod shared;
