//! The safety properties of `specs/properties.md`, checked on the replicas' real state after
//! every simulated step.

use super::disk::Disk;
use super::workload::Workload;
use super::Violation;
use crate::replica::{Output, Phase, Replica, ServerId};
use crate::txn::TxnEntry;
use crate::zxid::Zxid;
use std::collections::{BTreeMap, BTreeSet};

/// What the checks remember across steps (ghost state).
#[derive(Clone, Debug, Default)]
pub struct Checker {
    /// The leader established in each epoch (primary uniqueness).
    leaders: BTreeMap<u32, ServerId>,
    /// The transaction applied at each zxid anywhere (agreement: one per zxid).
    applied: BTreeMap<Zxid, TxnEntry>,
    /// The last zxid each server applied in its current incarnation (total order).
    last_applied: BTreeMap<ServerId, Zxid>,
    /// Writes acknowledged to their client: the committed entry.
    pub acknowledged: Vec<TxnEntry>,
}

impl Checker {
    /// Every zxid applied anywhere so far.
    pub fn applied_zxids(&self) -> impl Iterator<Item = Zxid> + '_ {
        self.applied.keys().copied()
    }

    /// A server restarted: its applying starts afresh.
    pub fn restarted(&mut self, s: ServerId) {
        self.last_applied.remove(&s);
    }

    /// Checks one server's outputs as they happen.
    pub fn on_outputs<M: Workload>(
        &mut self,
        s: ServerId,
        r: &Replica<M>,
        out: &[Output<M::Outcome>],
    ) -> Result<(), Violation> {
        for o in out {
            if let Output::Applied { zxid, local, .. } = o {
                let e = r.log().iter().find(|e| e.zxid() == *zxid).cloned().ok_or(
                    Violation::AppliedUnlogged {
                        server: s,
                        zxid: *zxid,
                    },
                )?;
                if let Some(other) = self.applied.get(zxid) {
                    if *other != e {
                        return Err(Violation::Agreement { zxid: *zxid });
                    }
                }
                self.applied.insert(*zxid, e.clone());
                if let Some(prev) = self.last_applied.insert(s, *zxid) {
                    if prev >= *zxid {
                        return Err(Violation::TotalOrder {
                            server: s,
                            zxid: *zxid,
                            previous: prev,
                        });
                    }
                }
                if *local {
                    self.acknowledged.push(e);
                }
            }
        }
        Ok(())
    }

    /// Checks the whole cluster's state.
    pub fn check<M: Workload>(
        &mut self,
        replicas: &BTreeMap<ServerId, Option<Replica<M>>>,
        disks: &BTreeMap<ServerId, Disk>,
        voters: &BTreeSet<ServerId>,
    ) -> Result<(), Violation> {
        for (s, r) in replicas
            .iter()
            .filter_map(|(s, r)| r.as_ref().map(|r| (*s, r)))
        {
            if r.is_established_leader() {
                let e = r.current_epoch();
                if let Some(other) = self.leaders.insert(e, s) {
                    if other != s {
                        return Err(Violation::PrimaryUniqueness {
                            epoch: e,
                            first: other,
                            second: s,
                        });
                    }
                }
            }
        }
        self.acknowledged_durable::<M>(disks, voters)?;
        broadcast_prefix(replicas)
    }

    /// Every acknowledged write is on the disk of a quorum of voters.
    fn acknowledged_durable<M: Workload>(
        &self,
        disks: &BTreeMap<ServerId, Disk>,
        voters: &BTreeSet<ServerId>,
    ) -> Result<(), Violation> {
        for e in &self.acknowledged {
            let v = M::value_of(e);
            let holders = voters
                .iter()
                .filter(|s| disks[s].holds(e, |b| v.is_some_and(|v| M::snapshot_holds(b, v))))
                .count();
            if 2 * holders <= voters.len() {
                return Err(Violation::Durability {
                    zxid: e.zxid(),
                    holders,
                    voters: voters.len(),
                });
            }
        }
        Ok(())
    }
}

/// Servers serving clients (in broadcast) hold prefixes of one another.
fn broadcast_prefix<M: Workload>(
    replicas: &BTreeMap<ServerId, Option<Replica<M>>>,
) -> Result<(), Violation> {
    let serving: Vec<(ServerId, Vec<u64>)> = replicas
        .iter()
        .filter_map(|(s, r)| r.as_ref().map(|r| (*s, r)))
        .filter(|(_, r)| r.phase() == Phase::Broadcast)
        .map(|(s, r)| (s, r.state_machine().values()))
        .collect();
    for (a, va) in &serving {
        for (b, vb) in &serving {
            let n = va.len().min(vb.len());
            if va[..n] != vb[..n] {
                return Err(Violation::PrefixConsistency {
                    a: *a,
                    a_values: va.clone(),
                    b: *b,
                    b_values: vb.clone(),
                });
            }
        }
    }
    Ok(())
}
