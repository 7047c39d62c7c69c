//! zab: ZooKeeper's coordination service and its Zab protocol — the DataTree of znodes on
//! persistent maps, sessions and watches, durable transaction log and snapshots, and a
//! deterministic, sans-IO replica.

pub mod acl;
pub mod chaos;
pub mod checksum;
pub mod config;
pub mod data_tree;
pub mod database;
pub mod encoding;
pub mod error;
pub mod replica;
pub mod server;
pub mod session;
pub mod sim;
pub mod storage;
pub mod txn;
pub mod watch;
pub mod wire;
pub mod zxid;

pub use error::ZkError;
pub use txn::{CreateMode, Txn, TxnEntry, TxnHeader};
pub use zxid::Zxid;
