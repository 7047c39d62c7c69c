//! A whole simulated run: the safety phase with faults, then healing and convergence; what
//! a passing run did, and what a failing one reports (its seed and weights replay it).

use super::values::Values;
use super::workload::Workload;
use super::{Choices, Cluster, Event, SimConfig, Violation, Weights};

/// A run that broke a property: the seed replays it.
#[derive(Debug)]
pub struct Failure {
    /// The run's seed.
    pub seed: u64,
    /// The scheduler's weights it ran with.
    pub weights: Weights,
    /// The step at which it broke, counted within its phase (the liveness phase starts at 0).
    pub step: usize,
    /// Which property broke, and how.
    pub reason: Violation,
    /// The last events before it (at most 40), oldest first.
    pub recent: Vec<String>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "seed {} (weights: {}) step {}: {}",
            self.seed, self.weights, self.step, self.reason
        )?;
        for e in &self.recent {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

impl<M: Workload> Cluster<M> {
    /// A whole run: faults, then healing and convergence.
    pub fn run(&mut self, choices: &mut Choices) -> Result<RunStats, Box<Failure>> {
        let fail = |c: &Cluster<M>, step: usize, reason: Violation| {
            Box::new(Failure {
                seed: c.cfg.seed,
                weights: c.cfg.weights,
                step,
                reason,
                recent: c.recent.clone(),
            })
        };
        for step in 0..self.cfg.fault_steps {
            let Some(e) = self.pick(choices, true) else {
                break;
            };
            self.apply(e).map_err(|r| fail(self, step, r))?;
        }
        // Liveness: heal, restart, no more faults.
        let mut settle: Vec<Event> = Vec::new();
        if !self.net.side.is_empty() {
            settle.push(Event::Heal);
        }
        settle.extend(
            self.ids
                .iter()
                .filter(|s| !self.up(**s))
                .map(|s| Event::Restart(*s)),
        );
        for e in settle {
            self.apply(e)
                .map_err(|r| fail(self, self.cfg.fault_steps, r))?;
        }
        let mut step = 0;
        while !self.converged() && step < self.cfg.settle_steps {
            let Some(e) = self.pick(choices, false) else {
                break;
            };
            self.apply(e).map_err(|r| fail(self, step, r))?;
            step += 1;
        }
        let stranded = self.settled().map_err(|r| fail(self, step, r))?;
        Ok(RunStats {
            acknowledged: self.checker.acknowledged.len(),
            settle_steps: step,
            stranded,
            snapshots: self.snapshots,
            snap_syncs: self.snap_syncs,
            compactions: self.compactions.installed,
            max_counter: self
                .checker
                .applied_zxids()
                .map(|z| z.counter())
                .max()
                .unwrap_or(0),
        })
    }
}

/// What a passing run did.
#[derive(Clone, Copy, Debug)]
pub struct RunStats {
    /// Writes acknowledged to their clients (committed).
    pub acknowledged: usize,
    /// Steps the liveness phase took to converge.
    pub settle_steps: usize,
    /// Servers left out because their acceptedEpoch is above the leader's epoch.
    pub stranded: usize,
    /// The highest zxid counter applied anywhere.
    pub max_counter: u32,
    /// Periodic snapshots taken (with `snap_count`).
    pub snapshots: usize,
    /// Learners synchronized by SNAP.
    pub snap_syncs: usize,
    /// Compactions installed (with `compact_every`).
    pub compactions: usize,
}

/// One seeded run replicating the list of values.
pub fn run_seed(cfg: SimConfig) -> Result<RunStats, Box<Failure>> {
    run_seed_with::<Values>(cfg)
}

/// One seeded run replicating `M`.
pub fn run_seed_with<M: Workload>(cfg: SimConfig) -> Result<RunStats, Box<Failure>> {
    let seed = cfg.seed;
    Cluster::<M>::new(cfg).run(&mut Choices::seeded(seed))
}
