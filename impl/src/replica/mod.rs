//! The Zab replica as a deterministic, sans-IO state machine: `Replica::step(Input) -> Outputs`.
