//! Deliberately wrong protocol steps, for the tests that show a property can fail
//! (`model/tests/mutants.rs`, the `mutants` cargo feature). They are not ZooKeeper's bugs
//! (those are `bugs.rs`, with their issues): each breaks one rule a property rests on, so that
//! a property no known bug violates is shown to be one the checker can find broken. Without
//! the feature no configuration can switch one on and `Config::mutant_on` is always false.

/// A mutated step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mutant {
    /// A restarted server forgets its acceptedEpoch (takes its currentEpoch instead), so it
    /// can accept an epoch it had already accepted from another leader.
    ForgetAcceptedEpoch,
    /// A leader commits a proposal once any server has acknowledged it (its own log
    /// included), without waiting for a quorum.
    CommitWithoutQuorum,
    /// A learner sends its FOLLOWERINFO twice on one connection.
    DuplicateFollowerInfo,
}
