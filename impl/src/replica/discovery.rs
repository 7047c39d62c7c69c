//! Discovery, as `zab-model`'s `discovery.rs` specifies it: FOLLOWERINFO(acceptedEpoch) →
//! LEADERINFO(epoch above every acceptedEpoch of a quorum) → ACKEPOCH(currentEpoch, last
//! zxid); acceptedEpoch and currentEpoch written durably before the packet that reveals them.
//! Also the packet dispatcher and the timers that notice a dead leader or a lost quorum.

use super::io::{Output, StateMachine};
use super::messages::{Packet, ServerId, ServerState, MAX_EPOCH};
use super::state::{Conn, Handler, LeaderState, LearnerInfo, LearnerState, Phase, Role};
use super::{Replica, SyncSchedule};
use crate::zxid::Zxid;

/// Ticks between PINGs, and between FOLLOWERINFO retries while the leader is not answering.
const PING_EVERY: u64 = 5;

fn more_recent(a: (u32, Zxid), b: (u32, Zxid)) -> bool {
    a > b
}

impl<S: StateMachine> Replica<S> {
    /// `lead()`: propose an epoch above our own acceptedEpoch and wait for a quorum.
    pub(crate) fn become_leader(&mut self) {
        self.state = ServerState::Leading;
        self.phase = Phase::Discovery;
        let mut ls = LeaderState {
            // At MAX_EPOCH (four billion elections in, or a peer claiming it) no epoch is
            // left to propose: `try_fix_epoch` never fixes this one and the leader times out.
            epoch: self.accepted_epoch.saturating_add(1).min(MAX_EPOCH),
            since: self.tick,
            ..LeaderState::default()
        };
        ls.connecting.insert(self.cfg.id);
        self.role = Role::Leading(ls);
    }

    /// Follow (or observe) `leader`: connect and send FOLLOWERINFO.
    pub(crate) fn become_learner(&mut self, leader: ServerId) {
        self.state = if self.cfg.is_voter(self.cfg.id) {
            ServerState::Following
        } else {
            ServerState::Observing
        };
        self.phase = Phase::Discovery;
        self.role = Role::Learning(LearnerState::new(leader, self.tick));
        self.send_follower_info();
    }

    fn send_follower_info(&mut self) {
        if let Role::Learning(l) = &mut self.role {
            l.conn = Conn::Open;
            let (leader, acc) = (l.leader, self.accepted_epoch);
            self.send_packet(
                leader,
                Packet::FollowerInfo {
                    accepted_epoch: acc,
                },
            );
        }
    }

    /// Part of a packet from `peer` arrived: a learner has heard from its leader.
    pub(crate) fn on_heard(&mut self, peer: ServerId) {
        if let Role::Learning(l) = &mut self.role {
            if l.leader == peer {
                l.last_heard = self.tick;
            }
        }
    }

    /// A quorum packet from `from`, handled by role.
    pub(crate) fn on_packet(&mut self, from: ServerId, p: Packet) {
        match &mut self.role {
            Role::Leading(ls) => {
                if let Some(l) = ls.learners.get_mut(&from) {
                    l.last_heard = self.tick;
                }
                self.leader_packet(from, p);
            }
            Role::Learning(l) if l.leader == from => {
                l.last_heard = self.tick;
                self.learner_packet(p);
            }
            // A packet from a server we do not lead or follow: its connection is stale.
            _ => self.out.push(Output::Disconnect { peer: from }),
        }
    }

    fn leader_packet(&mut self, from: ServerId, p: Packet) {
        match p {
            Packet::FollowerInfo { accepted_epoch } => self.on_follower_info(from, accepted_epoch),
            Packet::AckEpoch {
                current_epoch,
                last_zxid,
            } => self.on_ack_epoch(from, current_epoch, last_zxid),
            Packet::Ack { zxid } => self.on_ack(from, zxid),
            // Only a learner in broadcast forwards its clients' writes (it serves them from
            // UPTODATE on); a REQUEST from any other connection is refused with it, or a peer
            // that never synced could write under any session and identity.
            Packet::Request(r) if self.leads_in_broadcast(from) => self.on_request(r),
            Packet::ReadIndex { token } if self.leads_in_broadcast(from) => {
                self.on_read_index(from, token)
            }
            Packet::ConfirmAck { round } if self.leads_in_broadcast(from) => {
                self.on_confirm_ack(from, round)
            }
            Packet::Ping => {}
            _ => self.out.push(Output::Disconnect { peer: from }),
        }
    }

    fn learner_packet(&mut self, p: Packet) {
        match p {
            Packet::LeaderInfo { epoch } => self.on_leader_info(epoch),
            Packet::Ping => {}
            Packet::Confirm { round } => self.on_confirm(round),
            Packet::ReadIndexReply { token, zxid } => self.on_read_index_reply(token, zxid),
            other => self.on_sync_or_broadcast_packet(other),
        }
    }

    fn leader_state(&mut self) -> &mut LeaderState {
        match &mut self.role {
            Role::Leading(ls) => ls,
            _ => unreachable!("not leading"),
        }
    }

    fn on_follower_info(&mut self, j: ServerId, acc: u32) {
        if acc >= MAX_EPOCH {
            // No epoch above it can be proposed: a learner claiming it is refused.
            self.out.push(Output::Disconnect { peer: j });
            return;
        }
        let tick = self.tick;
        let voter = self.cfg.is_voter(j);
        let ls = self.leader_state();
        if let Some(info) = ls.learners.get(&j) {
            if info.stage != Handler::Connected {
                return; // a retry of the FOLLOWERINFO this handler already read
            }
        }
        if ls.epoch_fixed {
            let e = ls.epoch;
            ls.learners.insert(j, learner(Handler::AwaitAckEpoch, tick));
            self.send_packet(j, Packet::LeaderInfo { epoch: e });
            return;
        }
        if acc >= ls.epoch {
            ls.epoch = acc + 1;
        }
        if voter {
            ls.connecting.insert(j);
        }
        ls.learners.insert(j, learner(Handler::AwaitEpoch, tick));
        self.leader_progress();
    }

    fn on_leader_info(&mut self, epoch: u32) {
        if self.phase != Phase::Discovery {
            return;
        }
        let last = self.last_processed;
        let reply = if epoch > MAX_EPOCH {
            self.shutdown_to_looking();
            return;
        } else if epoch > self.accepted_epoch {
            let cur = self.current_epoch;
            self.accepted_epoch = epoch;
            self.out.push(Output::SaveAcceptedEpoch(epoch));
            Some(cur)
        } else if epoch == self.accepted_epoch {
            None
        } else {
            // "Leaders epoch is less than accepted epoch".
            self.shutdown_to_looking();
            return;
        };
        self.phase = Phase::Synchronization;
        let leader = self.leader().expect("learning");
        self.send_packet(
            leader,
            Packet::AckEpoch {
                current_epoch: reply,
                last_zxid: last,
            },
        );
    }

    fn on_ack_epoch(&mut self, j: ServerId, cur: Option<u32>, last: Zxid) {
        let summary = (self.current_epoch, self.last_processed);
        let voter = self.cfg.is_voter(j);
        let ls = self.leader_state();
        let Some(info) = ls.learners.get_mut(&j) else {
            return;
        };
        if info.stage != Handler::AwaitAckEpoch {
            return;
        }
        info.peer_last = last;
        if !ls.epoch_acked {
            if let Some(c) = cur {
                if more_recent((c, last), summary) {
                    // "Follower is ahead of the leader": the handler dies.
                    ls.learners.remove(&j);
                    self.out.push(Output::Disconnect { peer: j });
                    return;
                }
                if voter {
                    ls.electing.insert(j);
                }
            }
        }
        ls.learners.get_mut(&j).unwrap().stage = Handler::AwaitSync;
        self.leader_progress();
    }

    /// Everything a leader does when a quorum forms: fix the epoch, finish discovery, sync the
    /// waiting learners, start serving.
    pub(crate) fn leader_progress(&mut self) {
        self.try_fix_epoch();
        self.try_finish_epoch_ack();
        if self.cfg.sync_schedule == SyncSchedule::Eager {
            self.sync_waiting_learners();
        }
        self.try_establish();
    }

    fn try_fix_epoch(&mut self) {
        let me = self.cfg.id;
        let ls = match &self.role {
            Role::Leading(ls) => ls,
            _ => return,
        };
        if ls.epoch_fixed || !ls.connecting.contains(&me) || !self.cfg.is_quorum(&ls.connecting) {
            return;
        }
        if ls.epoch <= self.accepted_epoch {
            // At MAX_EPOCH no epoch above our own acceptedEpoch is left. Proposing this one
            // would lead an epoch twice (a learner that accepted it answers "already
            // accepted", one below it accepts), so two histories could share its zxids: never
            // fix it; the leader times out (initLimit) and the ensemble stays without one.
            return;
        }
        let ls = self.leader_state();
        ls.epoch_fixed = true;
        let e = ls.epoch;
        let waiting: Vec<ServerId> = ls
            .learners
            .iter()
            .filter(|(_, l)| l.stage == Handler::AwaitEpoch)
            .map(|(s, _)| *s)
            .collect();
        ls.electing.insert(me);
        self.accepted_epoch = e;
        self.out.push(Output::SaveAcceptedEpoch(e));
        for j in waiting {
            self.leader_state().learners.get_mut(&j).unwrap().stage = Handler::AwaitAckEpoch;
            self.send_packet(j, Packet::LeaderInfo { epoch: e });
        }
    }

    fn try_finish_epoch_ack(&mut self) {
        let me = self.cfg.id;
        let ls = match &self.role {
            Role::Leading(ls) => ls,
            _ => return,
        };
        if ls.epoch_acked || !ls.electing.contains(&me) || !self.cfg.is_quorum(&ls.electing) {
            return;
        }
        let ls = self.leader_state();
        ls.epoch_acked = true;
        ls.newleader_acks.insert(me);
        let e = ls.epoch;
        self.current_epoch = e;
        self.phase = Phase::Synchronization;
        self.out.push(Output::SaveCurrentEpoch(e));
    }

    pub(crate) fn leader_tick(&mut self) {
        let (tick, me) = (self.tick, self.cfg.id);
        let init_limit = self.cfg.init_limit;
        let sync_limit = self.cfg.sync_limit;
        let ls = self.leader_state();
        let established = ls.established;
        if !established && tick - ls.since > init_limit {
            return self.shutdown_to_looking();
        }
        // As ZooKeeper's LearnerHandler times its socket reads: initLimit until the learner
        // ACKs NEWLEADER (its sync, a SNAP's restore and its own snapshot write before the
        // ACK included), syncLimit once it has, if the leader is established.
        let silent: Vec<ServerId> = ls
            .learners
            .iter()
            .filter(|(_, l)| {
                let synced = matches!(l.stage, Handler::AwaitQuorum | Handler::Broadcast);
                tick - l.last_heard
                    > if established && synced {
                        sync_limit
                    } else {
                        init_limit
                    }
            })
            .map(|(s, _)| *s)
            .collect();
        for j in silent {
            self.leader_state().learners.remove(&j);
            self.forget_learner(j);
            self.out.push(Output::Disconnect { peer: j });
        }
        if established {
            let mut synced: std::collections::BTreeSet<ServerId> =
                self.leader_state().learners.keys().copied().collect();
            synced.insert(me);
            if !self.cfg.is_quorum(&synced) {
                return self.shutdown_to_looking();
            }
        }
        if tick.is_multiple_of(PING_EVERY) {
            let learners: Vec<ServerId> = self.leader_state().learners.keys().copied().collect();
            for j in learners {
                self.send_packet(j, Packet::Ping);
            }
        }
    }

    pub(crate) fn learner_tick(&mut self) {
        let tick = self.tick;
        let (leader, since, last_heard, phase) = match &self.role {
            Role::Learning(l) => (l.leader, l.since, l.last_heard, self.phase),
            _ => return,
        };
        let limit = if phase == Phase::Broadcast {
            self.cfg.sync_limit
        } else {
            self.cfg.init_limit
        };
        if tick - since.max(last_heard) > limit {
            return self.shutdown_to_looking();
        }
        if tick.is_multiple_of(PING_EVERY) {
            if phase == Phase::Discovery && tick - last_heard >= PING_EVERY {
                // The leader's acceptor may not have been open yet: connect again.
                self.send_follower_info();
            } else {
                self.send_packet(leader, Packet::Ping);
            }
        }
    }

    /// Learner `j`'s connection is gone: its ACKs and its waiting reads go with it.
    pub(crate) fn forget_learner(&mut self, j: ServerId) {
        self.forget_acks_of(j);
        self.forget_reads_of(j);
    }

    /// A learner's ACKs no longer vouch for its disk once its connection is gone (see the
    /// model's `stale-ack` finding).
    fn forget_acks_of(&mut self, j: ServerId) {
        if let Role::Leading(ls) = &mut self.role {
            for acks in ls.acks.values_mut() {
                acks.remove(&j);
            }
        }
    }
}

fn learner(stage: Handler, tick: u64) -> LearnerInfo {
    LearnerInfo {
        stage,
        peer_last: Zxid::ZERO,
        last_heard: tick,
    }
}
