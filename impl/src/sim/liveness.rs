//! The fault-free phase's verdict: did the ensemble settle, and is every acknowledged write
//! everywhere it should be?
//!
//! One gap is Zab's, not the simulator's: a server that accepted a prospective leader's epoch
//! which never got established (its LEADERINFO reached only that server) keeps an
//! acceptedEpoch above the epoch another leader then establishes. It refuses that leader's
//! LEADERINFO, as it must (accepting a lower epoch would break the promise acceptedEpoch
//! makes), and cannot join until the next leader change. ZooKeeper behaves the same
//! (`Learner.registerWithLeader`: "Leaders epoch ... is less than accepted epoch"), and the
//! model's liveness properties ask for an established leader and committed requests, not for
//! every server. Such a server is reported as stranded; anything else that does not settle
//! is a failure.

use super::workload::Workload;
use super::{Cluster, Violation};
use crate::replica::{Phase, Replica};

impl<M: Workload> Cluster<M> {
    /// Whether the fault-free ensemble has settled: one established leader, every server in
    /// broadcast with it, nothing in flight, every disk flushed, nothing outstanding.
    pub fn converged(&self) -> bool {
        let live = self.live();
        let Some(leader) = self.sole_leader() else {
            return false;
        };
        live.len() == self.ids.len()
            && live.iter().all(|r| self.serves_with(r, leader))
            && self.net.in_flight() == 0
            && self.disks.values().all(|d| !d.has_unsynced())
            && leader
                .log()
                .last()
                .map(|e| e.zxid())
                .unwrap_or(leader.base_zxid())
                <= leader.committed()
    }

    /// The verdict after the settle phase: converged, or converged but for stranded servers
    /// (returned as a count) with a quorum serving. Every acknowledged write must be in every
    /// serving server's state.
    pub(super) fn settled(&self) -> Result<usize, Violation> {
        let Some(leader) = self.sole_leader() else {
            let why = "no established leader after the faults stopped";
            return Err(Violation::Liveness(why.into()));
        };
        let mut stranded = 0;
        for (s, r) in &self.replicas {
            let Some(r) = r else {
                let why = format!("s{s} is down after the restarts");
                return Err(Violation::Liveness(why));
            };
            if self.serves_with(r, leader) {
                // Same committed prefix, so the same state, byte for byte.
                if r.state_machine() != leader.state_machine() {
                    return Err(Violation::StateDiffers {
                        server: *s,
                        leader: leader.id(),
                        committed: leader.committed(),
                    });
                }
                continue;
            }
            if r.accepted_epoch() > leader.current_epoch() {
                stranded += 1;
            } else {
                return Err(Violation::NotJoined {
                    server: *s,
                    leader: leader.id(),
                    state: r.server_state(),
                    phase: r.phase(),
                });
            }
        }
        if stranded > 0 && 2 * stranded >= self.voters.len() {
            let why = format!("{stranded} servers stranded, no quorum");
            return Err(Violation::Liveness(why));
        }
        self.writes_everywhere(leader)?;
        Ok(stranded)
    }

    fn live(&self) -> Vec<&Replica<M>> {
        self.replicas.values().filter_map(|r| r.as_ref()).collect()
    }

    fn sole_leader(&self) -> Option<&Replica<M>> {
        let leaders: Vec<&Replica<M>> = self
            .live()
            .into_iter()
            .filter(|r| r.is_established_leader())
            .collect();
        match leaders.as_slice() {
            [leader] => Some(*leader),
            _ => None,
        }
    }

    fn serves_with(&self, r: &Replica<M>, leader: &Replica<M>) -> bool {
        r.phase() == Phase::Broadcast
            && r.leader() == Some(leader.id())
            && r.committed() == leader.committed()
    }

    /// Every acknowledged write is in the state of every server serving with the leader.
    fn writes_everywhere(&self, leader: &Replica<M>) -> Result<(), Violation> {
        for e in &self.checker.acknowledged {
            let v = M::value_of(e).unwrap_or(0);
            for (s, r) in &self.replicas {
                let Some(r) = r else { continue };
                if self.serves_with(r, leader) && !r.state_machine().holds(v) {
                    return Err(Violation::WriteLost {
                        zxid: e.zxid(),
                        server: *s,
                    });
                }
            }
        }
        Ok(())
    }
}
