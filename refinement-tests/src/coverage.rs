//! What the replayed traces exercised: model action kinds and notification kinds.

use std::collections::BTreeMap;
use zab_model::msg::Plane;
use zab_model::types::Role;
use zab_model::Action;

/// Counts of what was replayed.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    pub actions: BTreeMap<&'static str, u64>,
    /// Notifications delivered, by the sender's state.
    pub notifications: BTreeMap<&'static str, u64>,
}

/// The name of an action's kind.
pub fn kind(a: &Action) -> &'static str {
    match a {
        Action::Elect { .. } => "Elect",
        Action::Join { .. } => "Join",
        Action::Notify { .. } => "Notify",
        Action::Decide(_) => "Decide",
        Action::Resend(_) => "Resend",
        Action::Connect(_) => "Connect",
        Action::Deliver { .. } => "Deliver",
        Action::SyncLearner { .. } => "SyncLearner",
        Action::NewLeaderStep(..) => "NewLeaderStep",
        Action::SyncFlush(..) => "SyncFlush",
        Action::ClientRequest(_) => "ClientRequest",
        Action::LearnerTimeout(_) => "LearnerTimeout",
        Action::LeaderTimeout(_) => "LeaderTimeout",
        Action::Crash(_) => "Crash",
        Action::Restart(_) => "Restart",
        Action::Partition(_) => "Partition",
        Action::Heal => "Heal",
        Action::Lose {
            plane: Plane::Election,
            ..
        } => "Lose(election)",
        Action::Lose { .. } => "Lose(quorum)",
    }
}

/// The action kinds of `--phase election`.
pub const ELECTION_KINDS: &[&str] = &[
    "Notify",
    "Decide",
    "Resend",
    "LearnerTimeout",
    "LeaderTimeout",
    "Crash",
    "Restart",
    "Partition",
    "Heal",
    "Lose(election)",
];

impl Coverage {
    pub fn record(&mut self, a: &Action) {
        *self.actions.entry(kind(a)).or_default() += 1;
        if let Action::Notify { n, .. } = a {
            *self.notifications.entry(n.state.name()).or_default() += 1;
        }
    }

    pub fn merge(&mut self, other: &Coverage) {
        for (k, v) in &other.actions {
            *self.actions.entry(k).or_default() += v;
        }
        for (k, v) in &other.notifications {
            *self.notifications.entry(k).or_default() += v;
        }
    }

    /// The expected kinds never exercised.
    pub fn missing(&self, expected: &[&'static str]) -> Vec<&'static str> {
        expected
            .iter()
            .copied()
            .filter(|k| !self.actions.contains_key(k))
            .collect()
    }

    /// A table: kind, count.
    pub fn table(&self) -> String {
        let mut out = String::from("action kind        replayed\n");
        for (k, v) in &self.actions {
            out.push_str(&format!("{k:<18} {v:>8}\n"));
        }
        for role in [
            Role::Looking,
            Role::Following,
            Role::Leading,
            Role::Observing,
        ] {
            if let Some(v) = self.notifications.get(role.name()) {
                out.push_str(&format!("notify from {:<7}{v:>8}\n", role.name()));
            }
        }
        out
    }
}
