//! What the replayed traces exercised: model action kinds, message types delivered, sync
//! modes and roles.

use std::collections::BTreeMap;
use zab_model::msg::{Msg, Plane};
use zab_model::{Action, State};

/// Counts of what was replayed.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// Model actions taken, by kind (as `kind` names them).
    pub actions: BTreeMap<&'static str, u64>,
    /// Packets delivered by type, and notifications by the sender's state.
    pub messages: BTreeMap<String, u64>,
    /// Learners synchronized, by the mode of the first sync packet they read.
    pub sync_modes: BTreeMap<&'static str, u64>,
    /// Server-steps spent in each role (every live server, after every step).
    pub roles: BTreeMap<&'static str, u64>,
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
        Action::ReadStart(_) => "ReadStart",
        Action::ReadServe(_) => "ReadServe",
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
        Action::Transmit { .. } => "Transmit",
        Action::PrematureTimeout(_) => "PrematureTimeout",
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
    "Transmit",
    "PrematureTimeout",
];

/// The steps and packets of a linearizable read (`zab.reads=linearizable`).
pub const READ_KINDS: &[&str] = &[
    "ReadStart",
    "ReadServe",
    "READINDEX",
    "CONFIRM",
    "CONFIRMACK",
    "READINDEXREPLY",
];

/// Every action kind of the whole protocol with Fast Leader Election.
pub const ZAB_KINDS: &[&str] = &[
    "Notify",
    "Decide",
    "Resend",
    "Connect",
    "Deliver",
    "SyncLearner",
    "NewLeaderStep",
    "SyncFlush",
    "ClientRequest",
    "LearnerTimeout",
    "LeaderTimeout",
    "Crash",
    "Restart",
    "Partition",
    "Heal",
    "Lose(election)",
    "Lose(quorum)",
    "Transmit",
    "PrematureTimeout",
];

/// Every quorum packet type and notification sender state (INFORM and OBSERVING need an
/// observer).
pub const MESSAGES: &[&str] = &[
    "FOLLOWERINFO",
    "LEADERINFO",
    "ACKEPOCH",
    "DIFF",
    "TRUNC",
    "SNAP",
    "PROPOSAL",
    "COMMIT",
    "NEWLEADER",
    "ACK(NEWLEADER)",
    "ACK",
    "UPTODATE",
    "INFORM",
    "REQUEST",
    "notify from LOOKING",
    "notify from FOLLOWING",
    "notify from LEADING",
];

/// The three ways a leader synchronizes a learner: a suite that reaches synchronization must
/// exercise each.
pub const SYNC_MODES: &[&str] = &["DIFF", "TRUNC", "SNAP"];
/// Every server role (OBSERVING needs an observer).
pub const ROLES: &[&str] = &["LOOKING", "FOLLOWING", "LEADING", "OBSERVING"];

impl Coverage {
    /// Counts action `a`, which led to `next`.
    pub fn record(&mut self, a: &Action, next: &State) {
        *self.actions.entry(kind(a)).or_default() += 1;
        match a {
            Action::Notify { n, .. } => self.count(format!("notify from {}", n.state.name())),
            Action::Deliver { msg, .. } => {
                self.count(msg.kind().to_string());
                if let Some(mode) = sync_mode(msg) {
                    *self.sync_modes.entry(mode).or_default() += 1;
                }
            }
            _ => {}
        }
        for srv in next.servers.iter().filter(|s| s.up) {
            *self.roles.entry(srv.role.name()).or_default() += 1;
        }
    }

    fn count(&mut self, key: String) {
        *self.messages.entry(key).or_default() += 1;
    }

    /// Adds the counts of another batch (another thread's walks, another run).
    pub fn merge(&mut self, other: &Coverage) {
        fn add<K: Ord + Clone>(into: &mut BTreeMap<K, u64>, from: &BTreeMap<K, u64>) {
            for (k, v) in from {
                *into.entry(k.clone()).or_default() += v;
            }
        }
        add(&mut self.actions, &other.actions);
        add(&mut self.messages, &other.messages);
        add(&mut self.sync_modes, &other.sync_modes);
        add(&mut self.roles, &other.roles);
    }

    /// Everything in `expected` (action kinds, message types, sync modes, roles) never
    /// exercised.
    pub fn missing(&self, expected: &[&'static str]) -> Vec<&'static str> {
        expected
            .iter()
            .copied()
            .filter(|k| {
                !self.actions.contains_key(k)
                    && !self.messages.contains_key(*k)
                    && !self.sync_modes.contains_key(k)
                    && !self.roles.contains_key(k)
            })
            .collect()
    }

    /// A table: what, how many times.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let mut section = |title: &str, rows: Vec<(String, u64)>| {
            if rows.is_empty() {
                return;
            }
            out.push_str(&format!("  {title}\n"));
            for (k, v) in rows {
                out.push_str(&format!("    {k:<24} {v:>10}\n"));
            }
        };
        let rows = |m: &BTreeMap<&'static str, u64>| -> Vec<(String, u64)> {
            m.iter().map(|(k, v)| (k.to_string(), *v)).collect()
        };
        section("action kind", rows(&self.actions));
        section(
            "message delivered",
            self.messages.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        );
        section("sync mode", rows(&self.sync_modes));
        section("role (server-steps)", rows(&self.roles));
        out
    }
}

fn sync_mode(m: &Msg) -> Option<&'static str> {
    match m {
        Msg::Diff { .. } => Some("DIFF"),
        Msg::Trunc { .. } => Some("TRUNC"),
        Msg::Snap { .. } => Some("SNAP"),
        _ => None,
    }
}
