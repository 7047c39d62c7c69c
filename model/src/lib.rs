//! zab-model: a stateright model of ZooKeeper's Zab protocol — Fast Leader Election,
//! discovery, synchronization and broadcast, with crashes, restarts, message loss and
//! partitions — and the properties it must keep. See `specs/` for the written specification.

pub mod action;
pub mod broadcast;
pub mod bugs;
pub mod check;
pub mod config;
pub mod discovery;
pub mod display;
pub mod explorer;
pub mod faults;
pub mod fle;
pub mod ghost;
mod hashing;
pub mod liveness;
pub mod model;
pub mod msg;
pub mod mutants;
pub mod net;
pub mod ops;
pub mod oracle;
pub mod properties;
pub mod reads;
pub mod route;
pub mod scenarios;
pub mod state;
pub mod svg;
pub mod symmetry;
pub mod sync;
pub mod timeouts;
pub mod types;

pub use action::Action;
pub use bugs::Bug;
pub use config::{Config, Election, Scope};
pub use model::ZabModel;
pub use state::State;
