//! Faults for real ensembles: what a nemesis does to server processes and to the network
//! between them, on loopback only, for zabd and Apache ZooKeeper alike; the workloads'
//! histories and the checks they must pass.

pub mod history;
pub mod linearizable;
pub mod proxy;
pub mod register;
