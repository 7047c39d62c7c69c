//! Broadcast, as `zab-model`'s `broadcast.rs` specifies it: the established leader turns a
//! write into a proposal at the next zxid, logs it through its sync thread and sends it to the
//! forwarding followers; followers log and ACK once durable; a quorum of ACKs (the leader's own
//! once its disk has it) commits in zxid order: COMMIT to followers, INFORM to observers.

use super::io::{Output, StateMachine};
use super::messages::{ForwardedRequest, Packet, ServerId, ServerState};
use super::state::{Handler, Phase, Role};
use super::sync::is_next;
#[cfg(feature = "faults")]
use super::Bug;
use super::Replica;
use crate::txn::{TxnEntry, TxnHeader};
use crate::zxid::Zxid;
use std::collections::BTreeSet;
use std::sync::Arc;

/// How many commits apart an established leader re-shares its pending state with the
/// applied one (`reshare_pending`): the most it holds twice is this many transactions' worth.
const RESHARE_EVERY: u32 = 1024;

impl<S: StateMachine> Replica<S> {
    /// A client of this server writes.
    pub(crate) fn on_write(&mut self, session_id: i64, cxid: i32, body: Arc<Vec<u8>>) {
        let me = self.cfg.id;
        if self.is_established_leader() {
            self.note_local_write((session_id, cxid));
            return self.propose(session_id, cxid, &body);
        }
        match &self.role {
            Role::Learning(l) if self.phase == Phase::Broadcast => {
                let leader = l.leader;
                self.note_local_write((session_id, cxid));
                self.send_packet(
                    leader,
                    Packet::Request(ForwardedRequest {
                        origin: me,
                        session_id,
                        cxid,
                        body,
                    }),
                );
            }
            _ => self.out.push(Output::WriteRejected { session_id, cxid }),
        }
    }

    /// The zxid counter is exhausted (`Leader.propose` throws `XidRolloverException`): the
    /// write is refused and the leader shuts down, so that a new election starts a new epoch
    /// whose counter begins again at 1. A learner's forwarded write is lost with the
    /// connection, as ZooKeeper's is; its client sees the connection drop.
    fn roll_over(&mut self, session_id: i64, cxid: i32) {
        if self.take_local_write((session_id, cxid)) {
            self.out.push(Output::WriteRejected { session_id, cxid });
        }
        self.shutdown_to_looking();
    }

    /// A learner forwarded a write.
    pub(crate) fn on_request(&mut self, r: ForwardedRequest) {
        if self.is_established_leader() {
            self.propose(r.session_id, r.cxid, &r.body);
        }
    }

    /// `Leader.propose`.
    fn propose(&mut self, session_id: i64, cxid: i32, body: &[u8]) {
        let Role::Leading(ls) = &self.role else {
            return;
        };
        let epoch = ls.epoch;
        let last = self.last_logged();
        let zxid = if last.epoch() != epoch {
            Zxid::new(epoch, 1)
        } else if last.counter() < self.cfg.last_counter {
            Zxid::new(epoch, last.counter() + 1)
        } else {
            return self.roll_over(session_id, cxid);
        };
        let pending = self
            .pending
            .as_mut()
            .expect("an established leader has a pending state");
        let txn = pending.prepare(session_id, body, zxid, self.now_ms);
        let entry = TxnEntry {
            header: TxnHeader {
                session_id,
                cxid,
                zxid,
                time: self.now_ms,
            },
            txn,
        };
        pending.apply(&entry);
        self.log.push(entry.clone());
        self.out.push(Output::Append {
            entries: vec![entry.clone()],
            fsync: false,
        });
        let forwarding: Vec<ServerId> = match &mut self.role {
            Role::Leading(ls) => {
                ls.acks.insert(zxid, BTreeSet::new());
                ls.learners
                    .iter()
                    .filter(|(s, l)| l.stage.is_forwarding() && self.cfg.is_voter(**s))
                    .map(|(s, _)| *s)
                    .collect()
            }
            _ => unreachable!(),
        };
        for j in forwarding {
            self.send_packet(j, Packet::Proposal(entry.clone()));
        }
        #[cfg(feature = "faults")]
        if self.cfg.bug == Some(Bug::CommitWithoutQuorum) {
            self.commit_up_to(zxid);
        }
    }

    pub(crate) fn on_broadcast_packet(&mut self, p: Packet) {
        match p {
            Packet::Proposal(e) if self.state == ServerState::Following => {
                if !is_next(self.last_logged(), e.zxid()) {
                    return self.protocol_error();
                }
                self.accept_proposal(e);
            }
            Packet::Commit { zxid } if self.state == ServerState::Following => {
                self.commit_next(zxid)
            }
            Packet::Inform(e) if self.state == ServerState::Observing => {
                // As a follower's PROPOSAL: a gap or a repeat means the leader and this
                // observer no longer agree on the history; sync again rather than diverge.
                if !is_next(self.last_logged(), e.zxid()) {
                    return self.protocol_error();
                }
                self.accept_inform(e)
            }
            _ => self.protocol_error(),
        }
    }

    /// `logRequest`: into the history and the sync thread's queue; ACKed once durable.
    pub(crate) fn accept_proposal(&mut self, e: TxnEntry) {
        #[cfg(feature = "faults")]
        let zxid = e.zxid();
        self.log.push(e.clone());
        self.out.push(Output::Append {
            entries: vec![e],
            fsync: false,
        });
        #[cfg(feature = "faults")]
        if self.cfg.bug == Some(Bug::AckBeforePersist) {
            if let Some(leader) = self.leader() {
                self.send_packet(leader, Packet::Ack { zxid });
            }
        }
    }

    /// An observer logs (no ACK) and applies a committed transaction.
    pub(crate) fn accept_inform(&mut self, e: TxnEntry) {
        self.log.push(e.clone());
        self.out.push(Output::Append {
            entries: vec![e.clone()],
            fsync: false,
        });
        self.apply_committed(&e);
    }

    /// `FollowerZooKeeperServer.commit`: the next pending transaction must be the one
    /// committed.
    pub(crate) fn commit_next(&mut self, zxid: Zxid) {
        let next = self.log.get(self.log_after(self.committed)).cloned();
        match next {
            None => {} // "Committing without seeing txn": only logged by ZooKeeper.
            Some(e) if e.zxid() == zxid => self.apply_committed(&e),
            Some(_) => self.protocol_error(), // ZooKeeper exits: the histories diverged
        }
    }

    fn apply_committed(&mut self, e: &TxnEntry) {
        let outcome = self.applied.apply(e);
        if self.pending.is_some() && e.zxid().counter().is_multiple_of(RESHARE_EVERY) {
            self.reshare_pending(e.zxid());
        }
        self.last_processed = e.zxid();
        self.committed = e.zxid();
        let key = (e.header.session_id, e.header.cxid);
        let local = self.take_local_write(key);
        self.out.push(Output::Applied {
            zxid: e.zxid(),
            session_id: key.0,
            cxid: key.1,
            local,
            outcome,
        });
    }

    /// Rebuilds the leader's pending state as a copy of the applied one (committed through
    /// `zxid`) plus the outstanding proposals, replayed. The two states are built by applying
    /// the same transactions separately, so they share no nodes: left alone, a leader holds
    /// every znode written since it was elected twice, its data included. The copy shares
    /// everything; the replay, deterministic, gives back the state the proposals were
    /// prepared against.
    pub(super) fn reshare_pending(&mut self, zxid: Zxid) {
        let mut pending = self.applied.clone();
        for e in &self.log[self.log_after(zxid)..] {
            pending.apply(e);
        }
        self.pending = Some(pending);
    }

    /// An ACK at the leader: the first after NEWLEADER is the ACK of NEWLEADER.
    pub(crate) fn on_ack(&mut self, j: ServerId, zxid: Zxid) {
        let Role::Leading(ls) = &mut self.role else {
            return;
        };
        let Some(info) = ls.learners.get(&j) else {
            return;
        };
        match info.stage {
            Handler::AwaitNewLeaderAck => self.on_newleader_ack(j, zxid),
            Handler::AwaitQuorum | Handler::Broadcast => {
                if zxid.counter() == 0 || !self.cfg.is_voter(j) {
                    return; // NEWLEADER / UPTODATE acks in the main loop are ignored
                }
                if let Some(acks) = ls.acks.get_mut(&zxid) {
                    acks.insert(j);
                    self.try_commit();
                }
            }
            _ => {}
        }
    }

    /// Commit, in zxid order, every outstanding proposal a quorum acked. The leader counts
    /// itself only for what its own disk holds.
    fn try_commit(&mut self) {
        loop {
            let Role::Leading(ls) = &self.role else {
                return;
            };
            let Some((&zxid, acks)) = ls.acks.iter().next() else {
                return;
            };
            let mut voters = acks.clone();
            if self.synced >= zxid {
                voters.insert(self.cfg.id);
            }
            if !self.cfg.is_quorum(&voters) {
                return;
            }
            self.commit_up_to(zxid);
        }
    }

    fn commit_up_to(&mut self, zxid: Zxid) {
        let (lo, hi) = (self.log_after(self.committed), self.log_after(zxid));
        let todo = self.log[lo.min(hi)..hi].to_vec();
        for e in todo {
            let (followers, observers) = match &mut self.role {
                Role::Leading(ls) => {
                    ls.acks.remove(&e.zxid());
                    let fwd = |obs: bool| -> Vec<ServerId> {
                        ls.learners
                            .iter()
                            .filter(|(s, l)| {
                                // Observers are forwarded to from syncFollower on, like
                                // followers (`observingLearners`), and get INFORM instead.
                                l.stage.is_forwarding() && self.cfg.is_voter(**s) != obs
                            })
                            .map(|(s, _)| *s)
                            .collect()
                    };
                    (fwd(false), fwd(true))
                }
                _ => return,
            };
            self.apply_committed(&e);
            for j in followers {
                self.send_packet(j, Packet::Commit { zxid: e.zxid() });
            }
            for j in observers {
                self.send_packet(j, Packet::Inform(e.clone()));
            }
        }
    }

    /// The sync thread made everything up to `zxid` durable: ACK it (`SendAckRequestProcessor`),
    /// or, at the leader, count our own ACK.
    pub(crate) fn on_synced(&mut self, zxid: Zxid) {
        let (lo, hi) = (self.log_after(self.synced), self.log_after(zxid));
        let newly: Vec<Zxid> = self.log[lo.min(hi)..hi].iter().map(|e| e.zxid()).collect();
        self.synced = self.synced.max(zxid);
        match &self.role {
            Role::Leading(_) => self.try_commit(),
            Role::Learning(l) if self.state == ServerState::Following => {
                #[cfg(feature = "faults")]
                if self.cfg.bug == Some(Bug::AckBeforePersist) {
                    return;
                }
                let leader = l.leader;
                for z in newly {
                    self.send_packet(leader, Packet::Ack { zxid: z });
                }
            }
            _ => {}
        }
    }
}
