//! Properties no known ZooKeeper bug violates can still fail: each deliberately wrong step
//! of `zab_model::mutants` is caught by the checker on the property it breaks. Run with
//! `cargo test --release -p zab-model --features mutants --test mutants`.
#![cfg(feature = "mutants")]

mod common;
use common::{cfg, check, status};
use zab_model::mutants::Mutant;

/// Checks `mutant` in the default ensemble with `change`, one property of `properties` at a
/// time (a check stops at its first violation), and asserts each is found violated.
fn caught(mutant: Mutant, change: impl Fn(&mut zab_model::Config), properties: &[&str]) {
    let c = cfg(|c| {
        c.mutant = Some(mutant);
        c.symmetry = true;
        change(c);
    });
    for p in properties {
        let r = check(&c, &[p]);
        assert_eq!(status(&r, p), "violated", "{mutant:?}: {p} in {}", r.config);
    }
}

#[test]
fn a_server_that_forgets_its_accepted_epoch_lets_an_epoch_have_two_leaders() {
    caught(Mutant::ForgetAcceptedEpoch, |_| {}, &["primary_uniqueness"]);
}

#[test]
fn a_leader_that_commits_without_a_quorum_lets_deliveries_diverge() {
    caught(
        Mutant::CommitWithoutQuorum,
        |c| {
            c.txns = 2;
            c.crashes = 0;
            c.partitions = 1;
        },
        &[
            "prefix_consistency",
            "agreement",
            "primary_integrity",
            "committed_txn_never_lost",
            "proposal_consistent",
        ],
    );
}

#[test]
fn a_learner_that_repeats_its_followerinfo_sends_an_illegal_message() {
    caught(
        Mutant::DuplicateFollowerInfo,
        |c| c.crashes = 0,
        &["no_illegal_message"],
    );
}
