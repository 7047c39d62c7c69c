//! Fast Leader Election (`FastLeaderElection.lookForLeader` and its `WorkerReceiver`), as
//! `zab-model`'s `fle.rs` specifies it, with finalizeWait and notTimeout as tick timers.

use super::io::{Output, StateMachine};
use super::messages::{Notification, PeerMsg, ServerId, ServerState, Vote};
use super::state::{Ballot, Role};
#[cfg(feature = "faults")]
use super::Bug;
use super::Replica;

/// `totalOrderPredicate(new, cur)`: the order (epoch, zxid, id).
pub fn beats(new: Vote, cur: Vote) -> bool {
    let Some(new_id) = new.leader else {
        return false;
    };
    let Some(cur_id) = cur.leader else {
        return true;
    };
    (new.epoch, new.zxid, new_id) > (cur.epoch, cur.zxid, cur_id)
}

/// `Vote.equals` as the vote tracker uses it.
fn same_vote(a: &Ballot, b: &Ballot) -> bool {
    if a.state == ServerState::Looking || b.state == ServerState::Looking {
        a.vote == b.vote && a.round == b.round
    } else {
        a.vote.leader == b.vote.leader && a.vote.epoch == b.vote.epoch
    }
}

impl<S: StateMachine> Replica<S> {
    /// The vote order this replica uses: `beats`, or ZOOKEEPER-1419's when that fault is on.
    fn beats(&self, new: Vote, cur: Vote) -> bool {
        #[cfg(feature = "faults")]
        if self.cfg.bug == Some(Bug::VoteOrderIgnoresEpoch) {
            return super::bug::beats_ignoring_epoch(new, cur);
        }
        beats(new, cur)
    }

    fn self_vote(&self) -> Vote {
        if self.cfg.is_voter(self.cfg.id) {
            Vote {
                leader: Some(self.cfg.id),
                zxid: self.last_processed,
                epoch: self.current_epoch,
            }
        } else {
            Vote {
                leader: None,
                zxid: Default::default(),
                epoch: 0,
            }
        }
    }

    fn has_quorum<'a>(
        &self,
        votes: impl Iterator<Item = (&'a ServerId, &'a Ballot)>,
        target: &Ballot,
    ) -> bool {
        let agreeing = votes
            .filter(|(s, b)| self.cfg.is_voter(**s) && same_vote(b, target))
            .map(|(s, _)| *s)
            .collect();
        self.cfg.is_quorum(&agreeing)
    }

    fn notification(&self) -> Notification {
        let vote = self.fle.vote.unwrap_or_else(|| self.self_vote());
        if self.state == ServerState::Looking {
            Notification {
                state: ServerState::Looking,
                round: self.fle.round,
                vote,
            }
        } else {
            Notification {
                state: self.state,
                round: self.fle.vote_round,
                vote,
            }
        }
    }

    /// `sendNotifications`: the current vote to every voter; our own copy is recorded at once
    /// and may start the finalize drain.
    fn broadcast_vote(&mut self) {
        let n = self.notification();
        let voters: Vec<ServerId> = self.cfg.voters.iter().copied().collect();
        for v in voters {
            if v != self.cfg.id {
                self.send(v, PeerMsg::Election(n));
            }
        }
        if self.cfg.is_voter(self.cfg.id) && n.state == ServerState::Looking {
            self.fle.recv.insert(
                self.cfg.id,
                Ballot {
                    vote: n.vote,
                    round: n.round,
                    state: ServerState::Looking,
                },
            );
            self.check_drain();
        }
    }

    fn check_drain(&mut self) {
        let Some(vote) = self.fle.vote else { return };
        let target = Ballot {
            vote,
            round: self.fle.round,
            state: ServerState::Looking,
        };
        let quorum = vote.leader.is_some() && self.has_quorum(self.fle.recv.iter(), &target);
        if quorum && self.cfg.voters.len() == 1 {
            // The only voter: no other vote can come, so finalizeWait would wait for nothing
            // (ZooKeeper's standalone mode runs no election at all).
            return self.decide(vote);
        }
        self.fle.draining_since = if quorum {
            self.fle.draining_since.or(Some(self.tick))
        } else {
            None
        };
    }

    /// Entering LOOKING: a new round with our own vote.
    pub(crate) fn start_election(&mut self) {
        // Saturating: a round is a peer's value once adopted, and must not wrap to 0.
        self.fle.round = self.fle.round.saturating_add(1);
        self.fle.vote = Some(self.self_vote());
        self.fle.vote_round = 0;
        self.fle.recv.clear();
        self.fle.ooe.clear();
        self.fle.draining_since = None;
        self.fle.not_timeout = self.cfg.not_timeout.0;
        self.fle.last_heard = self.tick;
        self.broadcast_vote();
    }

    pub(crate) fn election_tick(&mut self) {
        if let Some(since) = self.fle.draining_since {
            if self.tick - since >= self.cfg.finalize_wait {
                let vote = self.fle.vote.expect("draining with a vote");
                self.decide(vote);
                return;
            }
        }
        if self.tick - self.fle.last_heard >= self.fle.not_timeout {
            // notTimeout: nothing heard, send the vote again, wait longer next time. A little
            // seeded jitter keeps servers that went LOOKING together from re-sending in
            // lock-step (ZooKeeper's timers drift apart on their own).
            self.fle.last_heard = self.tick;
            let jitter = self.random() % (self.cfg.not_timeout.0 + 1);
            self.fle.not_timeout = (self.fle.not_timeout * 2 + jitter).min(self.cfg.not_timeout.1);
            self.broadcast_vote();
        }
    }

    /// A notification from `from` (WorkerReceiver, then one turn of lookForLeader).
    pub(crate) fn on_notification(&mut self, from: ServerId, n: Notification) {
        if !self.cfg.is_voter(from) {
            let reply = self.notification();
            self.send(from, PeerMsg::Election(reply));
            return;
        }
        if self.state != ServerState::Looking {
            if n.state == ServerState::Looking {
                let reply = self.notification();
                self.send(from, PeerMsg::Election(reply));
            }
            return;
        }
        self.fle.last_heard = self.tick;
        if n.state == ServerState::Looking && n.round < self.fle.round {
            let reply = self.notification();
            self.send(from, PeerMsg::Election(reply));
        }
        self.look_for_leader_turn(from, n);
    }

    fn look_for_leader_turn(&mut self, from: ServerId, n: Notification) {
        let mine = self.fle.vote.expect("LOOKING has a vote");
        if self.fle.draining_since.is_some() {
            if !self.beats(n.vote, mine) {
                return; // the finalize drain discards what does not beat the proposal
            }
            self.fle.draining_since = None;
        }
        match n.state {
            ServerState::Looking => {
                if n.round > self.fle.round {
                    self.fle.round = n.round;
                    self.fle.recv.clear();
                    let own = self.self_vote();
                    self.fle.vote = Some(if self.beats(n.vote, own) { n.vote } else { own });
                    self.broadcast_vote();
                } else if n.round < self.fle.round {
                    return;
                } else if self.beats(n.vote, mine) {
                    self.fle.vote = Some(n.vote);
                    self.broadcast_vote();
                }
                let ballot = Ballot {
                    vote: n.vote,
                    round: n.round,
                    state: ServerState::Looking,
                };
                self.fle.recv.insert(from, ballot);
                self.check_drain();
            }
            ServerState::Observing => {}
            ServerState::Following | ServerState::Leading => self.out_of_election(from, n),
        }
    }

    fn out_of_election(&mut self, from: ServerId, n: Notification) {
        let Some(leader) = n.vote.leader else { return };
        let ballot = Ballot {
            vote: n.vote,
            round: n.round,
            state: n.state,
        };
        if n.round == self.fle.round {
            self.fle.recv.insert(from, ballot);
            if self.has_quorum(self.fle.recv.iter(), &ballot)
                && self.check_leader(true, leader, n.round)
            {
                self.decide(n.vote);
                return;
            }
        }
        self.fle.ooe.insert(from, ballot);
        if self.has_quorum(self.fle.ooe.iter(), &ballot)
            && self.check_leader(false, leader, n.round)
        {
            self.fle.round = n.round;
            self.decide(n.vote);
        }
    }

    /// `checkLeader`: the proposed leader said it leads, or it is us in this round.
    fn check_leader(&self, in_recv: bool, leader: ServerId, round: u64) -> bool {
        if leader != self.cfg.id {
            let votes = if in_recv {
                &self.fle.recv
            } else {
                &self.fle.ooe
            };
            votes
                .get(&leader)
                .is_some_and(|b| b.state == ServerState::Leading)
        } else {
            self.fle.round == round
        }
    }

    /// The election ends for us: lead if the vote names us, else learn from its leader.
    fn decide(&mut self, vote: Vote) {
        let Some(leader) = vote.leader else { return };
        self.fle.vote = Some(vote);
        self.fle.vote_round = self.fle.round;
        self.fle.recv.clear();
        self.fle.ooe.clear();
        self.fle.draining_since = None;
        if leader == self.cfg.id {
            self.become_leader();
        } else {
            self.become_learner(leader);
        }
        let state = self.state;
        self.out.push(Output::RoleChanged {
            state,
            leader: Some(leader),
            epoch: self.current_epoch,
        });
        if matches!(self.role, Role::Leading(_)) {
            self.leader_progress();
        }
    }

    /// After synchronization, the vote carries the new epoch (ZOOKEEPER-1732).
    pub(crate) fn update_vote_epoch(&mut self, epoch: u32) {
        if let Some(v) = &mut self.fle.vote {
            v.epoch = epoch;
        }
    }
}
