//! What a failing simulated run broke: a safety property of `specs/properties.md`, liveness
//! after the faults stopped, or the simulated machinery itself (a disk, a restart).

use crate::replica::{Phase, ServerId, ServerState, StartError};
use crate::storage::StorageError;
use crate::zxid::Zxid;

/// Why a simulated run fails; `Failure` carries it with the seed that replays it.
#[derive(Debug, thiserror::Error)]
pub enum Violation {
    /// Two servers established themselves as leader of the same epoch.
    #[error("primary uniqueness: s{first} and s{second} both led epoch {epoch}")]
    PrimaryUniqueness {
        /// The epoch.
        epoch: u32,
        /// The leader seen first.
        first: ServerId,
        /// The other leader.
        second: ServerId,
    },
    /// Two different transactions were applied at one zxid.
    #[error("agreement: two transactions applied at {zxid}")]
    Agreement {
        /// The zxid.
        zxid: Zxid,
    },
    /// A server applied a zxid not after the one it applied before.
    #[error("total order: s{server} applied {zxid} after {previous}")]
    TotalOrder {
        /// The server.
        server: ServerId,
        /// What it applied.
        zxid: Zxid,
        /// What it had applied before.
        previous: Zxid,
    },
    /// A server applied a transaction its log does not hold.
    #[error("s{server} applied {zxid} which is not in its history")]
    AppliedUnlogged {
        /// The server.
        server: ServerId,
        /// The zxid applied.
        zxid: Zxid,
    },
    /// An acknowledged write is not on the disks of a quorum of voters.
    #[error("durability: acknowledged write at {zxid} is on {holders} of {voters} disks")]
    Durability {
        /// The write's zxid.
        zxid: Zxid,
        /// Voters whose disk holds it.
        holders: usize,
        /// Voters in all.
        voters: usize,
    },
    /// Two serving servers' states are not prefixes of one another.
    #[error("prefix consistency: s{a} {a_values:?} and s{b} {b_values:?} diverge")]
    PrefixConsistency {
        /// One server.
        a: ServerId,
        /// Its applied values.
        a_values: Vec<u64>,
        /// The other.
        b: ServerId,
        /// Its applied values.
        b_values: Vec<u64>,
    },
    /// After the faults stopped, the ensemble did not converge (what is missing, in words:
    /// no sole leader, a server that did not join, too many stranded).
    #[error("liveness: {0}")]
    Liveness(String),
    /// A server serving with the leader differs from it after convergence.
    #[error("agreement: s{server}'s state differs from leader s{leader}'s at {committed}")]
    StateDiffers {
        /// The server.
        server: ServerId,
        /// The leader.
        leader: ServerId,
        /// The leader's commit point.
        committed: Zxid,
    },
    /// An acknowledged write is missing from a server serving with the leader.
    #[error("acknowledged write {zxid} missing at s{server}")]
    WriteLost {
        /// The write's zxid.
        zxid: Zxid,
        /// The server.
        server: ServerId,
    },
    /// A server that did not join the leader after the faults stopped.
    #[error("liveness: s{server} did not join leader s{leader} ({state:?}, {phase:?}) after the faults stopped")]
    NotJoined {
        /// The server.
        server: ServerId,
        /// The leader.
        leader: ServerId,
        /// The server's state.
        state: ServerState,
        /// Its phase.
        phase: Phase,
    },
    /// A simulated disk refused an operation.
    #[error("s{server}'s disk: {source}")]
    Disk {
        /// The server.
        server: ServerId,
        /// The disk's error.
        source: StorageError,
    },
    /// A compaction (`replica::compaction`) changed a state, or was refused where it must
    /// install.
    #[error("s{server}'s compaction: {what}")]
    Compaction {
        /// The server.
        server: ServerId,
        /// What went wrong.
        what: &'static str,
    },
    /// A server could not start from what its disk recovered.
    #[error("s{server} cannot restart: {source}")]
    Restart {
        /// The server.
        server: ServerId,
        /// Why.
        source: StartError,
    },
}
