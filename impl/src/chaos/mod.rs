//! Fault campaigns on real ensembles: what a nemesis does to server processes and to the
//! network between them, on loopback only, for zabd and Apache ZooKeeper alike; the
//! workloads' clients, their histories and the checks those must pass.

pub mod campaign;
pub mod client;
pub mod cluster;
pub mod disk;
pub mod explain;
pub mod history;
pub mod linearizable;
pub mod lock;
pub mod namespace;
pub mod nemesis;
pub mod proxy;
pub mod queue;
pub mod register;
pub mod schedule;
pub mod shrink;
pub mod timeline;
pub mod watch;
pub mod workload;
