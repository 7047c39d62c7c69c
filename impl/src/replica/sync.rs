//! Synchronization, as `zab-model`'s `sync.rs` specifies it: the leader picks DIFF, TRUNC or
//! SNAP per learner (`syncFollower`, `queueCommittedProposals`), queues the proposals and
//! NEWLEADER; the follower logs the committed prefix and fsyncs, then writes currentEpoch,
//! then ACKs NEWLEADER — three outputs in that order; a quorum of ACKs establishes the leader.

use super::io::{Output, StateMachine};
use super::messages::{Packet, ServerId};
use super::state::{Handler, OnDisk, Phase, Role, SyncMode};
use super::{Replica, SnapshotData};
use crate::txn::TxnEntry;
use crate::zxid::Zxid;

/// Whether `next` may follow `prev` without a gap.
pub fn is_next(prev: Zxid, next: Zxid) -> bool {
    (next.epoch() > prev.epoch() && next.counter() == 1)
        || (next.epoch() == prev.epoch() && prev.counter().checked_add(1) == Some(next.counter()))
}

/// `queueCommittedProposals`: the op packet and the index of the first entry to send, or
/// `None` when a TRUNC would cross an epoch boundary (a snapshot follows instead).
fn queue_committed(committed: &[TxnEntry], peer: Zxid) -> Option<(Packet, usize)> {
    let last = committed.last().map(|e| e.zxid()).unwrap_or(Zxid::ZERO);
    let mut prev = None;
    for (i, e) in committed.iter().enumerate() {
        let z = e.zxid();
        if z < peer {
            prev = Some(z);
            continue;
        }
        if z == peer {
            return Some((Packet::Diff { zxid: last }, i + 1));
        }
        if peer.counter() == 0 {
            return Some((Packet::Diff { zxid: last }, i));
        }
        if z.epoch() != peer.epoch() {
            return None;
        }
        return prev.map(|p| (Packet::Trunc { zxid: p }, i));
    }
    (peer.counter() == 0).then_some((Packet::Diff { zxid: last }, committed.len()))
}

impl<S: StateMachine> Replica<S> {
    pub(crate) fn sync_waiting_learners(&mut self) {
        let waiting: Vec<ServerId> = match &self.role {
            Role::Leading(ls) if ls.epoch_acked => ls
                .learners
                .iter()
                .filter(|(_, l)| l.stage == Handler::AwaitSync)
                .map(|(s, _)| *s)
                .collect(),
            _ => return,
        };
        for j in waiting {
            self.sync_learner(j, false);
        }
    }

    /// `Input::SyncLearner`: one handler's sync, when the driver schedules it.
    pub(crate) fn on_sync_learner(&mut self, j: ServerId, snapshot: bool) {
        let waiting = match &self.role {
            Role::Leading(ls) => {
                ls.epoch_acked
                    && ls
                        .learners
                        .get(&j)
                        .is_some_and(|l| l.stage == Handler::AwaitSync)
            }
            _ => false,
        };
        if waiting {
            self.sync_learner(j, snapshot);
        }
    }

    /// `syncFollower` + `startForwarding` + NEWLEADER for learner `j` (by SNAP if
    /// `snapshot`).
    fn sync_learner(&mut self, j: ServerId, snapshot: bool) {
        let Role::Leading(ls) = &self.role else {
            return;
        };
        let peer = ls.learners[&j].peer_last;
        let (epoch, established) = (ls.epoch, ls.established);
        // Before it serves, the leader's whole history is committed (it applied all of it).
        let n = if established {
            self.log_after(self.committed)
        } else {
            self.log.len()
        };
        let committed = &self.log[..n];
        let lp = committed.last().map(|e| e.zxid()).unwrap_or(self.base.0);
        let by_log = if snapshot {
            None
        } else if peer == lp {
            Some((Packet::Diff { zxid: peer }, n))
        } else if peer > lp && peer.counter() != 0 {
            Some((Packet::Trunc { zxid: lp }, n))
        } else if peer == self.base.0 {
            // Exactly at our snapshot (the last zxid it covers is committed, so the peer's
            // history up to it is ours): DIFF with the whole log, not a SNAP.
            Some((Packet::Diff { zxid: lp }, 0))
        } else if peer < self.base.0 {
            None // older than our snapshot: only a snapshot can serve it
        } else {
            queue_committed(committed, peer)
        };
        let mut packets = Vec::new();
        let start = match by_log {
            Some((op, start)) => {
                packets.push(op);
                start
            }
            None => {
                // The applied state is the committed one: an established leader applies on
                // commit, a new leader applied its whole history.
                packets.push(Packet::Snap {
                    zxid: lp,
                    snapshot: SnapshotData::of(&self.applied),
                });
                n
            }
        };
        for e in &self.log[start..n] {
            packets.push(Packet::Proposal(e.clone()));
            packets.push(Packet::Commit { zxid: e.zxid() });
        }
        if self.cfg.is_voter(j) {
            for e in &self.log[n..] {
                packets.push(Packet::Proposal(e.clone()));
            }
        }
        packets.push(Packet::NewLeader { epoch });
        for p in packets {
            self.send_packet(j, p);
        }
        if let Role::Leading(ls) = &mut self.role {
            ls.learners.get_mut(&j).unwrap().stage = Handler::AwaitNewLeaderAck;
        }
    }

    /// A packet from the leader during synchronization or broadcast.
    pub(crate) fn on_sync_or_broadcast_packet(&mut self, p: Packet) {
        match self.phase {
            Phase::Synchronization => self.on_sync_packet(p),
            Phase::Broadcast => self.on_broadcast_packet(p),
            _ => self.protocol_error(),
        }
    }

    /// Something no correct leader sends: give up on it (ZooKeeper throws and re-elects).
    pub(crate) fn protocol_error(&mut self) {
        self.shutdown_to_looking();
    }

    fn learner_mut(&mut self) -> &mut super::state::LearnerState {
        match &mut self.role {
            Role::Learning(l) => l,
            _ => unreachable!("not learning"),
        }
    }

    fn on_sync_packet(&mut self, p: Packet) {
        let (mode, nl) = match &self.role {
            Role::Learning(l) => (l.sync_mode, l.newleader),
            _ => return,
        };
        match p {
            Packet::Diff { .. } | Packet::Trunc { .. } | Packet::Snap { .. }
                if mode == SyncMode::None =>
            {
                self.on_sync_mode(p)
            }
            Packet::Proposal(e) if mode != SyncMode::None => {
                let l = self.learner_mut();
                if let Some(prev) = l.pnl.last() {
                    if !is_next(prev.zxid(), e.zxid()) {
                        return self.protocol_error();
                    }
                }
                l.pnl.push(e);
            }
            Packet::Commit { zxid } if mode != SyncMode::None => self.on_sync_commit(zxid, nl),
            Packet::Inform(e) if mode != SyncMode::None => {
                // A commit an observer learns while it syncs: a proposal and its commit.
                let zxid = e.zxid();
                self.learner_mut().pnl.push(e);
                self.on_sync_commit(zxid, nl);
            }
            Packet::NewLeader { epoch } if mode != SyncMode::None && nl.is_none() => {
                self.on_newleader(epoch)
            }
            Packet::UpToDate if nl.is_some() => self.on_uptodate(),
            _ => self.protocol_error(),
        }
    }

    fn on_sync_mode(&mut self, p: Packet) {
        match p {
            Packet::Diff { .. } => self.learner_mut().sync_mode = SyncMode::Diff,
            Packet::Trunc { zxid } => {
                let i = self.log_after(zxid);
                let known = zxid == self.base.0 || (i > 0 && self.log[i - 1].zxid() == zxid);
                if !known || zxid < self.committed {
                    // Not able to truncate (ZooKeeper exits): never cut what was delivered.
                    return self.protocol_error();
                }
                self.learner_mut().sync_mode = SyncMode::Trunc;
                #[cfg(feature = "faults")]
                if self.cfg.bug == Some(super::Bug::SkipTrunc) {
                    return;
                }
                self.log.retain(|e| e.zxid() <= zxid);
                self.synced = self.synced.min(zxid);
                self.out.push(Output::Truncate { zxid });
                self.reload_from_log();
                let on_disk = OnDisk {
                    base: self.base.clone(),
                    log: self.log.clone(),
                };
                self.learner_mut().on_disk = Some(on_disk);
            }
            Packet::Snap { zxid, snapshot } => {
                let Some(sm) = snapshot.restore(&self.applied) else {
                    return self.protocol_error();
                };
                self.learner_mut().sync_mode = SyncMode::Snap;
                self.applied = sm;
                let base = (zxid, SnapshotData::of(&self.applied));
                let on_disk = OnDisk {
                    base: std::mem::replace(&mut self.base, base),
                    log: std::mem::take(&mut self.log),
                };
                self.learner_mut().on_disk = Some(on_disk);
                self.synced = zxid;
                self.last_processed = zxid;
            }
            _ => unreachable!("not a sync mode"),
        }
    }

    fn on_sync_commit(&mut self, zxid: Zxid, newleader: Option<u32>) {
        let l = self.learner_mut();
        let Some(head) = l.pnl.first() else {
            return self.protocol_error(); // no pending proposal (ZOOKEEPER-4394's NPE)
        };
        let in_memory =
            newleader.is_none() && matches!(l.sync_mode, SyncMode::Trunc | SyncMode::Snap);
        if !in_memory {
            l.pc.push(zxid);
            return;
        }
        if head.zxid() == zxid {
            let e = l.pnl.remove(0);
            self.applied.apply(&e);
            self.last_processed = zxid;
            self.log.push(e);
        }
    }

    /// NEWLEADER: log the committed synced prefix and fsync; write currentEpoch; ACK. The
    /// `updatingEpoch` marker goes first, so that a crash after the log and before the epoch
    /// leaves a disk recovery can repair (ZOOKEEPER-2354).
    fn on_newleader(&mut self, epoch: u32) {
        if epoch != self.accepted_epoch {
            // NEWLEADER announces the epoch LEADERINFO proposed and we accepted; any other
            // would make currentEpoch pass acceptedEpoch (ZooKeeper takes the accepted one).
            return self.protocol_error();
        }
        let voter = self.cfg.is_voter(self.cfg.id);
        self.out.push(Output::SaveUpdatingEpoch(epoch));
        let mode = self.learner_mut().sync_mode;
        if matches!(mode, SyncMode::Trunc | SyncMode::Snap) {
            // takeSnapshot: what is applied in memory becomes durable.
            let data = SnapshotData::of(&self.applied);
            self.base = (self.last_processed, data.clone());
            self.log.clear();
            self.synced = self.last_processed;
            self.out.push(Output::InstallSnapshot {
                zxid: self.last_processed,
                data,
            });
            self.learner_mut().on_disk = None;
        }
        if voter {
            self.log_committed_synced();
        }
        self.current_epoch = epoch;
        self.out.push(Output::SaveCurrentEpoch(epoch));
        let l = self.learner_mut();
        l.newleader = Some(epoch);
        let leader = l.leader;
        self.send_packet(
            leader,
            Packet::Ack {
                zxid: Zxid::new(epoch, 0),
            },
        );
    }

    /// The prefix of `packetsNotLogged` matched in order by `packetsCommitted`: appended,
    /// fsynced and applied, with no ACK. Outstanding proposals stay for after UPTODATE.
    fn log_committed_synced(&mut self) {
        let l = self.learner_mut();
        let mut logged = Vec::new();
        let pc = std::mem::take(&mut l.pc);
        for z in pc {
            if l.pnl.first().is_some_and(|e| e.zxid() == z) {
                logged.push(l.pnl.remove(0));
            }
        }
        if let Some(last) = logged.last() {
            self.synced = last.zxid();
            for e in &logged {
                self.applied.apply(e);
                self.last_processed = e.zxid();
            }
            self.log.extend(logged.iter().cloned());
            self.out.push(Output::Append {
                entries: logged,
                fsync: true,
            });
        }
    }

    /// UPTODATE: serve. The synchronized history is delivered; remaining proposals go to the
    /// sync thread (ACKed once durable), remaining commits are applied.
    fn on_uptodate(&mut self) {
        let epoch = self.learner_mut().newleader.expect("after NEWLEADER");
        self.phase = Phase::Broadcast;
        self.committed = self.committed.max(self.last_processed);
        let l = self.learner_mut();
        let pnl = std::mem::take(&mut l.pnl);
        let pc = std::mem::take(&mut l.pc);
        l.sync_mode = SyncMode::None;
        if self.cfg.is_voter(self.cfg.id) {
            for e in pnl {
                self.accept_proposal(e);
            }
            for z in pc {
                self.commit_next(z);
            }
        } else {
            // An observer applies the synced proposals that were committed.
            let mut pc = pc.into_iter().peekable();
            for e in pnl {
                if pc.peek() == Some(&e.zxid()) {
                    pc.next();
                    self.accept_inform(e);
                }
            }
        }
        self.update_vote_epoch(epoch);
    }

    /// The leader reads the first ACK after NEWLEADER from learner `j`.
    pub(crate) fn on_newleader_ack(&mut self, j: ServerId, zxid: Zxid) {
        let voter = self.cfg.is_voter(j);
        let Role::Leading(ls) = &mut self.role else {
            return;
        };
        if zxid == Zxid::new(ls.epoch, 0) && voter {
            ls.newleader_acks.insert(j);
        }
        ls.learners.get_mut(&j).unwrap().stage = Handler::AwaitQuorum;
        self.try_establish();
        if self.is_established_leader() {
            self.uptodate(j);
        }
    }

    fn uptodate(&mut self, j: ServerId) {
        if let Role::Leading(ls) = &mut self.role {
            if let Some(l) = ls.learners.get_mut(&j) {
                if l.stage == Handler::AwaitQuorum {
                    l.stage = Handler::Broadcast;
                    self.send_packet(j, Packet::UpToDate);
                    self.join_read_round(j);
                }
            }
        }
    }

    /// A quorum ACKed NEWLEADER: the leader's history is committed and it serves.
    pub(crate) fn try_establish(&mut self) {
        let me = self.cfg.id;
        let Role::Leading(ls) = &mut self.role else {
            return;
        };
        if ls.established
            || !ls.epoch_acked
            || !ls.newleader_acks.contains(&me)
            || !self.cfg.is_quorum(&ls.newleader_acks)
        {
            return;
        }
        ls.established = true;
        let epoch = ls.epoch;
        let waiting: Vec<ServerId> = ls.learners.keys().copied().collect();
        self.phase = Phase::Broadcast;
        self.committed = self.last_logged();
        self.pending = Some(self.applied.clone());
        for j in waiting {
            self.uptodate(j);
        }
        self.update_vote_epoch(epoch);
    }
}

#[cfg(test)]
mod tests;
