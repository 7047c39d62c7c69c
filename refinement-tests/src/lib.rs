//! zab-refinement: the real implementation (`zab`) driven through the model's (`zab-model`)
//! traces, step by step, with an abstraction of its state compared to the model's state
//! after every step. See `specs/refinement.md` for the mapping and what a pass means.

pub mod abstraction;
pub mod connection;
pub mod convert;
pub mod coverage;
pub mod ensemble;
pub mod harness;
pub mod machine;
pub mod replay;
pub mod search;
pub mod simulation;
pub mod validate;
pub mod walk;
