//! Compaction in simulated runs (`SimConfig::compact_every`): jobs taken from live replicas,
//! installed at once or one round later, with the states checked unchanged by the install.

use super::workload::Workload;
use super::{Cluster, Violation};
use crate::replica::{CompactionJob, ServerId};

/// The jobs taken at the last round and the installs so far.
pub(super) struct Compactions<M> {
    held: Vec<(ServerId, CompactionJob<M>)>,
    rounds: u64,
    /// Compactions installed.
    pub(super) installed: usize,
}

impl<M> Default for Compactions<M> {
    fn default() -> Self {
        Compactions {
            held: Vec::new(),
            rounds: 0,
            installed: 0,
        }
    }
}

impl<M: Workload> Cluster<M> {
    /// One round, if one is due after `events` events.
    pub(super) fn compact_round(&mut self, events: u64) -> Result<(), Violation> {
        let Some(every) = self.cfg.compact_every else {
            return Ok(());
        };
        if every == 0 || !events.is_multiple_of(every) {
            return Ok(());
        }
        let held = std::mem::take(&mut self.compactions.held);
        for (s, job) in held {
            // Stale by now unless the server idled (or was restarted: refused then).
            self.install(s, job, false)?;
        }
        self.compactions.rounds += 1;
        let at_once = self.compactions.rounds.is_multiple_of(2);
        for s in self.ids.clone() {
            let Some(job) = self.replicas[&s].as_ref().and_then(|r| r.compaction_job()) else {
                continue;
            };
            if at_once {
                self.install(s, job, true)?;
            } else {
                self.compactions.held.push((s, job));
            }
        }
        Ok(())
    }

    /// Runs `job` and installs its result on `s`, if up; `must` when nothing can have
    /// happened since it was taken.
    fn install(&mut self, s: ServerId, job: CompactionJob<M>, must: bool) -> Result<(), Violation> {
        let Some(r) = self.replicas.get_mut(&s).and_then(|r| r.as_mut()) else {
            return Ok(());
        };
        let before = (r.state_machine().snapshot(), r.base_snapshot());
        if r.install_compaction(job.run()).is_err() {
            return match must {
                true => Err(Violation::Compaction {
                    server: s,
                    what: "a job taken this step was refused",
                }),
                false => Ok(()),
            };
        }
        self.compactions.installed += 1;
        let after = (r.state_machine().snapshot(), r.base_snapshot());
        if before != after {
            return Err(Violation::Compaction {
                server: s,
                what: "the installed states differ from those replaced",
            });
        }
        Ok(())
    }
}
