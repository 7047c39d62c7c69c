//! Faults for real ensembles: what a nemesis does to server processes and to the network
//! between them, on loopback only, for zabd and Apache ZooKeeper alike.

pub mod history;
pub mod proxy;
