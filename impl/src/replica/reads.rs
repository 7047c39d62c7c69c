//! Linearizable reads by read index (`zab.reads=linearizable`), the steps of `zab-model`'s
//! `reads.rs`: a learner asks its leader (READINDEX), the leader batches the requests into a
//! quorum round (CONFIRM / CONFIRMACK) and answers each with the commit point it took when
//! the round began (READINDEXREPLY); the server answers its client once it has applied up to
//! that point (`Output::ReadIndex`). `specs/reads.md` says why the round is needed.

use super::io::{Output, StateMachine};
use super::messages::{Packet, ServerId, ServerState};
use super::state::{Handler, Phase, Role};
use super::Replica;
use crate::zxid::Zxid;
use std::collections::BTreeSet;

/// A read waiting at the leader: the server whose client asked, and that server's token.
pub type Waiting = (ServerId, u64);

/// A leader's quorum rounds confirming that it still leads.
#[derive(Clone, Debug, Default)]
pub struct ReadRounds {
    /// Reads that arrived while a round was in progress: they wait for the next one.
    pub queue: Vec<Waiting>,
    /// The round in progress, if any.
    pub round: Option<ReadRound>,
    /// Rounds started in this leadership (the next round's number).
    pub started: u64,
}

/// One quorum round.
#[derive(Clone, Debug)]
pub struct ReadRound {
    /// The round's number, carried by CONFIRM and CONFIRMACK.
    pub number: u64,
    /// The leader's last committed zxid when the round began: the read index it confirms.
    pub index: Zxid,
    /// The reads answered when the round is confirmed.
    pub waiting: Vec<Waiting>,
    /// The voters that answered (the leader included).
    pub acks: BTreeSet<ServerId>,
}

impl<S: StateMachine> Replica<S> {
    /// `Input::Read`: a client of this server opens a linearizable read.
    pub(crate) fn on_read(&mut self, token: u64) {
        #[cfg(feature = "faults")]
        if self.cfg.bug == Some(super::Bug::LocalRead) && self.phase == Phase::Broadcast {
            // As ZooKeeper reads: from this server's state, asking nobody.
            let zxid = self.committed;
            return self.out.push(Output::ReadIndex { token, zxid });
        }
        let me = self.cfg.id;
        match &mut self.role {
            Role::Leading(ls) if ls.established => self.enqueue_read((me, token)),
            Role::Learning(l) if self.phase == Phase::Broadcast => {
                l.reads.insert(token);
                let leader = l.leader;
                self.send_packet(leader, Packet::ReadIndex { token });
            }
            _ => self.out.push(Output::ReadFailed { token }),
        }
    }

    /// READINDEX from learner `j`, which the leader has in broadcast.
    pub(crate) fn on_read_index(&mut self, j: ServerId, token: u64) {
        self.enqueue_read((j, token));
    }

    fn enqueue_read(&mut self, w: Waiting) {
        let Role::Leading(ls) = &mut self.role else {
            return;
        };
        ls.reads.queue.push(w);
        if ls.reads.round.is_none() {
            self.start_read_round();
        }
    }

    /// Starts a round for every queued read: CONFIRM to each follower in broadcast.
    fn start_read_round(&mut self) {
        let (me, index) = (self.cfg.id, self.committed);
        let Role::Leading(ls) = &mut self.role else {
            return;
        };
        let number = ls.reads.started;
        ls.reads.started += 1;
        let waiting = std::mem::take(&mut ls.reads.queue);
        let followers: Vec<ServerId> = ls
            .learners
            .iter()
            .filter(|(j, l)| l.stage == Handler::Broadcast && self.cfg.is_voter(**j))
            .map(|(j, _)| *j)
            .collect();
        ls.reads.round = Some(ReadRound {
            number,
            index,
            waiting,
            acks: BTreeSet::from([me]),
        });
        if self.cfg.is_quorum(&BTreeSet::from([me])) {
            return self.finish_read_round();
        }
        for j in followers {
            self.send_packet(j, Packet::Confirm { round: number });
        }
    }

    /// A follower `j` entering broadcast while a round is in progress is asked too: the
    /// followers asked when it began may have left since, and without `j`'s answer the
    /// round, and every read queued behind it, could wait while the leader keeps its quorum.
    pub(crate) fn join_read_round(&mut self, j: ServerId) {
        let round = match &self.role {
            Role::Leading(ls) => ls.reads.round.as_ref().map(|r| r.number),
            _ => None,
        };
        if let (Some(round), true) = (round, self.cfg.is_voter(j)) {
            self.send_packet(j, Packet::Confirm { round });
        }
    }

    /// CONFIRM from the leader this server follows.
    pub(crate) fn on_confirm(&mut self, round: u64) {
        if self.state == ServerState::Following && self.phase == Phase::Broadcast {
            if let Some(leader) = self.leader() {
                self.send_packet(leader, Packet::ConfirmAck { round });
            }
        }
    }

    /// CONFIRMACK from follower `j`: with a quorum, the round's reads get their index.
    pub(crate) fn on_confirm_ack(&mut self, j: ServerId, round: u64) {
        let voter = self.cfg.is_voter(j);
        let Role::Leading(ls) = &mut self.role else {
            return;
        };
        let Some(r) = ls.reads.round.as_mut().filter(|r| r.number == round) else {
            return; // an answer to an earlier round
        };
        if voter {
            r.acks.insert(j);
        }
        if self.cfg.is_quorum(&r.acks) {
            self.finish_read_round();
        }
    }

    fn finish_read_round(&mut self) {
        let me = self.cfg.id;
        let Role::Leading(ls) = &mut self.role else {
            return;
        };
        let Some(r) = ls.reads.round.take() else {
            return;
        };
        let next = !ls.reads.queue.is_empty();
        for (j, token) in r.waiting {
            if j == me {
                self.out.push(Output::ReadIndex {
                    token,
                    zxid: r.index,
                });
            } else {
                let reply = Packet::ReadIndexReply {
                    token,
                    zxid: r.index,
                };
                self.send_packet(j, reply);
            }
        }
        if next {
            self.start_read_round();
        }
    }

    /// READINDEXREPLY from the leader: the read waits until this server applied `zxid`.
    pub(crate) fn on_read_index_reply(&mut self, token: u64, zxid: Zxid) {
        if let Role::Learning(l) = &mut self.role {
            if l.reads.remove(&token) {
                self.out.push(Output::ReadIndex { token, zxid });
            }
        }
    }

    /// Learner `j`'s connection is gone: its reads went with it (it fails them itself).
    pub(crate) fn forget_reads_of(&mut self, j: ServerId) {
        if let Role::Leading(ls) = &mut self.role {
            ls.reads.queue.retain(|w| w.0 != j);
            if let Some(r) = ls.reads.round.as_mut() {
                r.waiting.retain(|w| w.0 != j);
            }
        }
    }

    /// Whether a read this server's clients opened still waits for its read index: asked of
    /// the leader by a learner, or queued or in a round at a leader.
    pub fn awaits_read_index(&self) -> bool {
        let me = self.cfg.id;
        match &self.role {
            Role::Leading(ls) => {
                let round = ls.reads.round.iter().flat_map(|r| r.waiting.iter());
                ls.reads.queue.iter().chain(round).any(|w| w.0 == me)
            }
            Role::Learning(l) => !l.reads.is_empty(),
            Role::Looking => false,
        }
    }

    /// Leaving the role: every read this server's clients opened fails.
    pub(crate) fn fail_open_reads(&mut self) {
        let me = self.cfg.id;
        let tokens: Vec<u64> = match &mut self.role {
            Role::Leading(ls) => {
                let round = ls.reads.round.take().map(|r| r.waiting).unwrap_or_default();
                let queued = std::mem::take(&mut ls.reads.queue);
                round
                    .into_iter()
                    .chain(queued)
                    .filter(|w| w.0 == me)
                    .map(|w| w.1)
                    .collect()
            }
            Role::Learning(l) => std::mem::take(&mut l.reads).into_iter().collect(),
            Role::Looking => Vec::new(),
        };
        for token in tokens {
            self.out.push(Output::ReadFailed { token });
        }
    }
}
