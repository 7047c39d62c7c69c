//! Switches that re-introduce known ZooKeeper bugs, each as a small change to one action.
//! `specs/bugs.md` describes each bug, its fix, and the counterexample the checker finds.

use crate::config::{Config, Election};

/// A known ZooKeeper bug the model can re-introduce (`--bug NAME`). Without a switch the model
/// follows ZooKeeper master, where these are fixed; `stale-ack` is the exception: master keeps
/// a dead connection's ACKs, and the model withdraws them (`specs/findings.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bug {
    /// ZOOKEEPER-1419: the vote order's id tie-break lacks the same-epoch guard.
    Zk1419,
    /// ZOOKEEPER-2845: a follower going back to LOOKING keeps its in-memory database, so it
    /// reports the last applied zxid instead of the last logged one.
    Zk2845,
    /// ZOOKEEPER-3911: the follower ACKs NEWLEADER without logging the DIFF transactions; they
    /// are logged only after UPTODATE.
    Zk3911,
    /// ZOOKEEPER-3023: the follower applies the transactions committed during a DIFF sync only
    /// after UPTODATE, so it acknowledges NEWLEADER while its database lags the leader's.
    Zk3023,
    /// ZOOKEEPER-4394: NEWLEADER hands every pending packet to the log and forgets them, so a
    /// COMMIT between NEWLEADER and UPTODATE finds no pending proposal.
    Zk4394,
    /// ZOOKEEPER-4643: the follower writes currentEpoch before it logs the synced
    /// transactions.
    Zk4643,
    /// ZOOKEEPER-4646: the follower ACKs NEWLEADER before its sync thread has persisted the
    /// synced transactions.
    Zk4646,
    /// ZOOKEEPER-4685: the sync thread may ACK a synced proposal before the ACK of NEWLEADER.
    Zk4685,
    /// ZOOKEEPER-4712: a follower's shutdown leaves its sync thread running, so queued
    /// transactions reach the log after the server re-entered election.
    Zk4712,
    /// Found by this model (see `specs/findings.md`): the leader keeps the ACKs a learner sent
    /// on a connection that has since died, and `syncFollower` may TRUNC that learner's copy
    /// of the acked proposal when it rejoins; a commit then counts an ACK for data no longer
    /// on that disk.
    StaleAck,
    /// ZOOKEEPER-1675: the leader answers a read index from its own commit point, without
    /// the quorum round (ZooKeeper's `sync`, still open upstream), so a leader that lost its
    /// quorum unknowingly answers a linearizable read from a stale state.
    Zk1675,
}

/// Every switch, in the order `zab-model bugs` lists them.
pub const ALL_BUGS: [Bug; 11] = [
    Bug::Zk1419,
    Bug::Zk2845,
    Bug::Zk3911,
    Bug::Zk3023,
    Bug::Zk4394,
    Bug::Zk4643,
    Bug::Zk4646,
    Bug::Zk4685,
    Bug::Zk4712,
    Bug::StaleAck,
    Bug::Zk1675,
];

impl Bug {
    /// The switch's name on the command line (`zk-1419`, …, `stale-ack`).
    pub fn name(self) -> &'static str {
        match self {
            Bug::Zk1419 => "zk-1419",
            Bug::Zk2845 => "zk-2845",
            Bug::Zk3911 => "zk-3911",
            Bug::Zk3023 => "zk-3023",
            Bug::Zk4394 => "zk-4394",
            Bug::Zk4643 => "zk-4643",
            Bug::Zk4646 => "zk-4646",
            Bug::Zk4685 => "zk-4685",
            Bug::Zk4712 => "zk-4712",
            Bug::StaleAck => "stale-ack",
            Bug::Zk1675 => "zk-1675",
        }
    }

    /// The switch with this command-line name, if any.
    pub fn parse(s: &str) -> Option<Bug> {
        ALL_BUGS.iter().copied().find(|b| b.name() == s)
    }

    /// One line for `zab-model bugs`.
    pub fn summary(self) -> &'static str {
        match self {
            Bug::Zk1419 => "election: id tie-break without the same-epoch guard; votes cycle, no leader (liveness)",
            Bug::Zk2845 => "election→sync: stale in-memory last zxid after LOOKING; DIFF instead of TRUNC keeps an uncommitted txn",
            Bug::Zk3911 => "sync: DIFF txns logged only after UPTODATE though NEWLEADER was acked; a committed txn is lost",
            Bug::Zk3023 => "sync: txns committed during DIFF applied only after UPTODATE; NEWLEADER acked with a lagging database",
            Bug::Zk4394 => "sync: NEWLEADER drops pending packets; a COMMIT before UPTODATE finds no proposal",
            Bug::Zk4643 => "sync: currentEpoch written before the synced txns are logged; a committed txn is truncated later",
            Bug::Zk4646 => "sync: NEWLEADER acked before the sync thread persisted the txns; a committed txn is lost",
            Bug::Zk4685 => "sync→broadcast: ACK of a proposal sent before ACK of NEWLEADER; the leader rejects it",
            Bug::Zk4712 => "shutdown→election: the sync thread outlives shutdown; a stale last zxid keeps an extra txn",
            Bug::StaleAck => "broadcast (found here): an ACK from a dead connection counts after the learner was truncated",
            Bug::Zk1675 => "reads: read index without the quorum round (ZooKeeper's sync); a deposed leader answers a stale read",
        }
    }

    /// Which command finds it: `check` (a safety property) or `liveness`.
    pub fn found_by_liveness(self) -> bool {
        matches!(self, Bug::Zk1419)
    }

    /// The invariant the published work reports the bug against (Remix's I-8 … I-14,
    /// SandTable's vote circle), which the checker also finds on `smallest_config`.
    pub fn property(self) -> &'static str {
        match self {
            Bug::Zk1419 => "vote_order_consistent",
            Bug::Zk2845 | Bug::Zk4712 => "history_consistency",
            Bug::Zk3911 | Bug::Zk4646 | Bug::StaleAck => "committed_txn_durable",
            Bug::Zk3023 => "state_consistent",
            Bug::Zk4394 => "commit_consistent",
            Bug::Zk4643 => "initial_history_integrity",
            Bug::Zk4685 => "ack_consistent",
            Bug::Zk1675 => "read_sees_committed",
        }
    }

    /// The smallest configuration that exhibits the bug (what `--bug NAME` alone selects):
    /// three servers, one write, and the fewest faults, epochs and rounds that reach it.
    pub fn smallest_config(self) -> Config {
        let base = Config {
            bug: Some(self),
            txns: 1,
            ..Config::default()
        };
        match self {
            Bug::Zk1419 => Config {
                election: Election::Fle,
                scope: crate::config::Scope::Election,
                txns: 0,
                crashes: 0,
                epochs: 1,
                rounds: 1,
                ..base
            },
            Bug::Zk3023 | Bug::Zk4394 | Bug::Zk4685 => Config { crashes: 0, ..base },
            Bug::Zk4643 => Config {
                epochs: 3,
                losses: 1,
                ..base
            },
            // Symmetry keeps the check without the switch to about a million states.
            Bug::Zk1675 => Config {
                crashes: 0,
                partitions: 1,
                reads: 1,
                symmetry: true,
                ..base
            },
            Bug::Zk2845 | Bug::Zk3911 | Bug::Zk4646 | Bug::Zk4712 | Bug::StaleAck => base,
        }
    }
}
