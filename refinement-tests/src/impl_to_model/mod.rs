//! Implementation → model: what the implementation did must be explained by enabled model
//! actions. `validate` runs a free-running harness cluster under a seeded scheduler;
//! `ensemble` merges recorded traces (the simulator's, real `zabd` servers') by message
//! identity and explains them event by event.

pub mod ensemble;
pub mod validate;
