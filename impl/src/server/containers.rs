//! The leader's container manager (ZooKeeper's `ContainerManager`): every
//! `znode.container.checkIntervalMs` it looks for empty containers (and, with TTL nodes on,
//! expired TTL nodes) and deletes them through the log like any write, at most
//! `znode.container.maxPerMinute` a minute. Only a serving leader does it; a new leader
//! starts its own interval.

use super::clients::CONTAINER_CXID;
use super::core::{wall_ms, Core};
use crate::data_tree::{Caller, Request};
use crate::database::ClientWrite;
use crate::replica::{Input, ServerState};
use crate::storage::StorageError;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The container manager's settings, from zoo.cfg.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerSettings {
    /// `znode.container.checkIntervalMs` (default 60 s): how often the leader looks.
    pub check_interval: Duration,
    /// `znode.container.maxPerMinute` (default 10,000): deletes a minute, at most.
    pub max_per_minute: u32,
    /// `znode.container.maxNeverUsedIntervalMs` (default 0, never): a container that never
    /// had a child is deleted once unmodified this long.
    pub max_never_used_ms: i64,
}

impl ContainerSettings {
    /// How many deletes one check may propose: the minute's budget spread over the checks
    /// of a minute, at least one.
    fn per_check(&self) -> usize {
        let per_ms = u128::from(self.max_per_minute) * self.check_interval.as_millis();
        usize::try_from(per_ms / 60_000)
            .unwrap_or(usize::MAX)
            .max(1)
    }
}

impl Core {
    /// Proposes the deletes that are due (`ContainerManager.checkContainers`). A candidate
    /// proposed twice (the first delete not applied by the next check) fails the second time
    /// with NoNode, harmlessly, as in ZooKeeper.
    pub(super) fn check_containers(&mut self, now: Instant) -> Result<(), StorageError> {
        let settings = self.info.containers;
        if self.state != ServerState::Leading || !self.serving() {
            self.next_container_check = None;
            return Ok(());
        }
        let due = *self
            .next_container_check
            .get_or_insert(now + settings.check_interval);
        if now < due {
            return Ok(());
        }
        self.next_container_check = Some(now + settings.check_interval);
        let tree = self.replica.state_machine().tree();
        let candidates = tree.deletion_candidates(wall_ms(), settings.max_never_used_ms);
        for path in candidates.into_iter().take(settings.per_check()) {
            tracing::info!(path, "deleting an empty container or expired TTL node");
            let write = ClientWrite::new(Caller::default(), Request::DeleteContainer { path });
            self.step(Input::Write {
                session_id: 0,
                cxid: CONTAINER_CXID,
                body: Arc::new(write.encode()),
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minutes_budget_is_spread_over_its_checks() {
        let s = |ms: u64, max: u32| ContainerSettings {
            check_interval: Duration::from_millis(ms),
            max_per_minute: max,
            max_never_used_ms: 0,
        };
        assert_eq!(s(60_000, 10_000).per_check(), 10_000);
        assert_eq!(s(6_000, 10_000).per_check(), 1_000);
        assert_eq!(s(200, 10).per_check(), 1, "never less than one");
        assert_eq!(s(120_000, u32::MAX).per_check(), 2 * u32::MAX as usize);
    }
}
