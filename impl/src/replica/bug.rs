//! Deliberately wrong behaviours, for tests that show the checks can fail.
//!
//! They exist only in builds with the `faults` cargo feature. Without it `Bug` has no
//! variants, so a `Config` can hold nothing but `bug: None`, a release `zabd` refuses the
//! `zab.bug` key (exit code 2), and none of the wrong code below is compiled. A trace of a
//! fault-free run is the same bytes in either build; a trace recorded with a fault does not
//! decode in a build without the feature.

#[cfg(feature = "faults")]
use super::Vote;

/// A deliberately wrong behaviour of the replica (none without the `faults` feature).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Bug {
    /// A follower ACKs a proposal before it is durable.
    #[cfg(feature = "faults")]
    AckBeforePersist,
    /// A leader commits a proposal without waiting for a quorum of ACKs.
    #[cfg(feature = "faults")]
    CommitWithoutQuorum,
    /// Fast Leader Election's vote order breaks a zxid tie by server id without requiring
    /// equal epochs (ZOOKEEPER-1419).
    #[cfg(feature = "faults")]
    VoteOrderIgnoresEpoch,
    /// A follower told to TRUNC keeps its log as it is (and syncs on).
    #[cfg(feature = "faults")]
    SkipTrunc,
    /// Under `zab.reads=linearizable`, a server answers a read from its own applied state
    /// without asking the leader for a read index (ZooKeeper's local read).
    #[cfg(feature = "faults")]
    LocalRead,
}

impl Bug {
    /// The bug named `name` (as the `zab.bug` key spells it), or why there is none.
    pub fn from_name(name: &str) -> Result<Bug, String> {
        #[cfg(feature = "faults")]
        {
            Ok(match name {
                "CommitWithoutQuorum" => Bug::CommitWithoutQuorum,
                "AckBeforePersist" => Bug::AckBeforePersist,
                "SkipTrunc" => Bug::SkipTrunc,
                "VoteOrderIgnoresEpoch" => Bug::VoteOrderIgnoresEpoch,
                "LocalRead" => Bug::LocalRead,
                other => return Err(format!("zab.bug `{other}` is not a bug this build has")),
            })
        }
        #[cfg(not(feature = "faults"))]
        Err(format!(
            "zab.bug={name}: deliberately wrong behaviours are for tests only; this build \
             has none (build with the `faults` cargo feature)"
        ))
    }
}

/// ZOOKEEPER-1419's vote order: a higher zxid wins even from a lower epoch, and a zxid tie is
/// broken by server id whatever the epochs.
#[cfg(feature = "faults")]
pub(super) fn beats_ignoring_epoch(new: Vote, cur: Vote) -> bool {
    match (new.leader, cur.leader) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(a), Some(b)) => {
            new.epoch > cur.epoch
                || (new.epoch == cur.epoch && new.zxid > cur.zxid)
                || (new.zxid == cur.zxid && a > b)
        }
    }
}
