//! Ghost variables: what the properties read about the run so far (everything proposed and
//! committed, which epochs had which leaders, the violation flags raised on the way), kept
//! beside the servers but never read by a server's step.

use crate::types::{Hist, Mask, MAX_TXNS};

/// Flags raised by the checks ZooKeeper's specs call `ShouldNotBeTriggered` /
/// `CheckDuringAction`, plus the ghost checks of committed-transaction durability. Once
/// raised, a flag stays raised, so the property that reads it fails in this state and in every
/// state after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u16)]
pub enum Violation {
    /// A packet arrived that this server's role and phase never expect.
    IllegalMessage = 1,
    /// A packet arrived in the wrong phase (e.g. LEADERINFO outside DISCOVERY).
    StateInconsistent = 2,
    /// A PROPOSAL that is not the next zxid, or a TRUNC below the commit point.
    ProposalInconsistent = 4,
    /// A COMMIT that does not match the next pending proposal (or finds none during sync).
    CommitInconsistent = 8,
    /// An ACK for an unknown zxid, or an ACK of a proposal where the ACK of NEWLEADER was due.
    AckInconsistent = 16,
    /// A newly established leader, or a commit, does not extend the committed sequence.
    CommittedTxnLost = 32,
    /// A LOOKING server changed its proposal, within one round, to a vote that is lower in
    /// the (epoch, zxid, id) order.
    VoteOrder = 64,
    /// A linearizable read returned a state missing a transaction committed before the read
    /// began.
    StaleRead = 128,
}

/// Epochs the ghost records leaders for: 0 to 9 (see `Ghost::epoch_leaders`). Its hash packs
/// them into 128 bits, 8 per epoch.
pub const EPOCH_SLOTS: usize = 10;
const _: () = assert!(EPOCH_SLOTS * 8 <= 128, "epoch_leaders must fit its hash");

/// Ghost variables: not part of any server, only read by properties.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ghost {
    /// Client requests issued so far.
    pub requests: u8,
    /// Every transaction a leader has broadcast (Integrity, local primary order).
    pub proposed: Hist,
    /// The committed sequence: each established leader's initial history, extended by every
    /// quorum commit.
    pub committed: Hist,
    /// For each entry of `committed`, the epoch of the leader that first committed it.
    pub committed_in: [u8; MAX_TXNS],
    /// Per epoch, the servers that became leader of it (acked by a quorum in discovery).
    /// Room for epochs 0 to 9: the largest bound in use (8, the refinement's model of
    /// recorded runs) and the one step past it that `within_boundary` then prunes. The
    /// refinement's search does not prune, so a run explained past epoch 9 has its later
    /// leaders unrecorded (`primary_uniqueness` is then not checked for them).
    pub epoch_leaders: [Mask; EPOCH_SLOTS],
    /// Raised violation flags.
    pub violations: u16,
    /// An observer applied a transaction it learned by INFORM.
    pub informed: bool,
    /// Linearizable reads issued so far (budget `Config::reads`).
    pub reads: u8,
    /// A linearizable read was answered.
    pub read_served: bool,
}

impl Ghost {
    /// Extends the committed sequence with entries committed by the leader of `epoch`.
    pub fn commit_to(&mut self, hist: &Hist, epoch: u8) {
        for k in self.committed.len()..hist.len() {
            self.committed_in[k] = epoch;
        }
        self.committed = *hist;
    }

    /// Raises flag `v`; it stays raised in every later state.
    pub fn raise(&mut self, v: Violation) {
        self.violations |= v as u16;
    }
    /// Whether flag `v` was raised on the way to this state.
    pub fn raised(&self, v: Violation) -> bool {
        self.violations & v as u16 != 0
    }
}
