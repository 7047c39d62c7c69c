//! The configuration of one model: ensemble size, bounds, fault budgets, election grain and
//! the bug switch.

use crate::bugs::Bug;
use crate::types::MAX_TXNS;
use std::fmt;

/// How leader election is modelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Election {
    /// Fast Leader Election message by message: notifications, logical clocks, vote boxes.
    Fle,
    /// One atomic step in which a quorum of looking servers agrees on the member with the
    /// highest (currentEpoch, last zxid); ties are broken by server id in ZooKeeper, and since
    /// ids are arbitrary labels the oracle lets any tied server win (see `specs/election.md`).
    Oracle,
}

/// Which part of the protocol is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Election, discovery, synchronization and broadcast.
    All,
    /// Fast Leader Election alone, from every combination of initial (epoch, zxid) votes.
    Election,
}

/// The bounds and switches of one model.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// Voting servers (participants).
    pub servers: u8,
    /// Observers: learn committed transactions, never vote, never count toward a quorum.
    pub observers: u8,
    /// Client requests the ensemble may receive in total.
    pub txns: u8,
    /// Crash budget (each crash loses volatile state; restarts are free).
    pub crashes: u8,
    /// Partition budget (each splits the servers into two sides until healed).
    pub partitions: u8,
    /// Loss budget (an election notification dropped, or a quorum connection broken).
    pub losses: u8,
    /// Transmit budget: how many times over a run a notification waiting on an election link
    /// may be written to TCP before its receiver read it, so that a newer notification queues
    /// behind it instead of replacing it. 0 keeps every election link latest-wins.
    pub transmits: u8,
    /// Premature-timeout budget: how many times over a run a leader may give up on a quorum
    /// that could still form or keep up (`Action::PrematureTimeout`). 0 keeps the timing
    /// assumption: a leader times out only when its quorum is out of reach.
    pub premature_timeouts: u8,
    /// Linearizable reads (zabd's read index, `reads.rs`) the clients may issue in total.
    pub reads: u8,
    /// Highest epoch a leader may propose.
    pub epochs: u8,
    /// Highest Fast Leader Election round (logical clock) explored.
    pub rounds: u8,
    /// The grain of leader election: Fast Leader Election message by message, or the oracle.
    pub election: Election,
    /// Which part of the protocol is checked: everything, or Fast Leader Election alone
    /// (`--phase election`).
    pub scope: Scope,
    /// The known ZooKeeper bug re-introduced (`--bug`); `None` models ZooKeeper master.
    pub bug: Option<Bug>,
    /// Canonicalize states under permutations of server ids (oracle election only).
    pub symmetry: bool,
    /// A deliberately wrong step (`mutants.rs`), only in the tests that show a property can
    /// fail: the `mutants` feature, never a production build.
    #[cfg(feature = "mutants")]
    pub mutant: Option<crate::mutants::Mutant>,
}

impl Default for Config {
    /// The default ensemble: three servers, one request, one crash, two epochs, oracle
    /// election. Small enough to read in the Explorer, rich enough to see every phase.
    fn default() -> Self {
        Config {
            servers: 3,
            observers: 0,
            txns: 1,
            crashes: 1,
            partitions: 0,
            losses: 0,
            transmits: 0,
            premature_timeouts: 0,
            reads: 0,
            epochs: 2,
            rounds: 3,
            election: Election::Oracle,
            scope: Scope::All,
            bug: None,
            symmetry: false,
            #[cfg(feature = "mutants")]
            mutant: None,
        }
    }
}

/// Why a configuration cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Total number of servers, voters first.
    pub fn n(&self) -> usize {
        (self.servers + self.observers) as usize
    }

    /// Whether server `s` is a voter (participant); ids from `servers` on are observers.
    pub fn is_voter(&self, s: u8) -> bool {
        s < self.servers
    }

    /// Whether `count` voters form a quorum (a strict majority of the voters).
    pub fn is_quorum(&self, count: usize) -> bool {
        2 * count > self.servers as usize
    }

    /// Whether `bug` is the switch this model re-introduces.
    pub fn bug_on(&self, bug: Bug) -> bool {
        self.bug == Some(bug)
    }

    /// Whether the step `m` is mutated (always false without the `mutants` feature).
    pub fn mutant_on(&self, m: crate::mutants::Mutant) -> bool {
        #[cfg(feature = "mutants")]
        return self.mutant == Some(m);
        #[cfg(not(feature = "mutants"))]
        {
            let _ = m;
            false
        }
    }

    /// Checks that every bound is within what the state can hold (and the checker can finish), and
    /// that symmetry is asked for only with the oracle election.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |m: String| Err(ConfigError(m));
        if !(1..=5).contains(&self.servers) {
            return err(format!("--servers must be 1..=5, got {}", self.servers));
        }
        if self.observers > 2 {
            return err(format!("--observers must be 0..=2, got {}", self.observers));
        }
        if self.txns as usize > MAX_TXNS {
            return err(format!("--txns must be 0..={MAX_TXNS}, got {}", self.txns));
        }
        if !(1..=4).contains(&self.epochs) {
            return err(format!("--epochs must be 1..=4, got {}", self.epochs));
        }
        if !(1..=8).contains(&self.rounds) {
            return err(format!("--rounds must be 1..=8, got {}", self.rounds));
        }
        let budgets = [
            self.crashes,
            self.partitions,
            self.losses,
            self.transmits,
            self.premature_timeouts,
            self.reads,
        ];
        if budgets.iter().any(|&b| b > 3) {
            return err("fault and read budgets must be 0..=3".into());
        }
        if self.symmetry && self.election == Election::Fle {
            return err(
                "--symmetry needs --election oracle: Fast Leader Election breaks ties by server \
                 id, so server ids are not interchangeable"
                    .into(),
            );
        }
        Ok(())
    }

    /// One line naming the configuration, for reports.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "servers={} observers={} txns={} crashes={} partitions={} losses={} epochs={} \
             election={} scope={}",
            self.servers,
            self.observers,
            self.txns,
            self.crashes,
            self.partitions,
            self.losses,
            self.epochs,
            match self.election {
                Election::Fle => "fle",
                Election::Oracle => "oracle",
            },
            match self.scope {
                Scope::All => "all",
                Scope::Election => "election",
            }
        );
        if let Some(b) = self.bug {
            s.push_str(&format!(" bug={}", b.name()));
        }
        if self.election == Election::Fle {
            s.push_str(&format!(" rounds={}", self.rounds));
        }
        if self.transmits > 0 {
            s.push_str(&format!(" transmits={}", self.transmits));
        }
        if self.premature_timeouts > 0 {
            s.push_str(&format!(" premature_timeouts={}", self.premature_timeouts));
        }
        if self.reads > 0 {
            s.push_str(&format!(" reads={}", self.reads));
        }
        if self.symmetry {
            s.push_str(" symmetry");
        }
        s
    }
}
