//! Model → implementation: each model action is realised on the implementation and the two
//! views must stay equal. `replay` maps one action; `walk` chooses the traces (exhaustive to
//! a depth, seeded walks); `simulation` rides stateright's own simulation checker.

pub mod replay;
pub mod simulation;
pub mod walk;
