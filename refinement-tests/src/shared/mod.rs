//! What both directions share: the abstraction both sides map to, the value mapping between
//! their domains, the harness cluster of real replicas in the model's environment, learners'
//! connections as the model sees them, the search for explaining actions, the model's
//! properties checked along what explains a run, and coverage.

pub mod abstraction;
pub mod connection;
pub mod convert;
pub mod coverage;
pub mod divergence;
pub mod harness;
pub mod machine;
pub mod safety;
pub mod search;
