//! The learners' connections of a rebuilt ensemble as the model sees them: what a close, a
//! break, a role change or a crash does to them and to the packets in flight on them.

use super::World;
use crate::shared::connection::ConnState;
use crate::shared::convert;
use crate::shared::divergence::R;
use zab::replica::{Plane, ServerState};
use zab::sim::net::Link;
use zab_model::types::Sid;

impl World {
    /// Marks the quorum packets both ways between `a` and `b` lost.
    pub(super) fn lose_pair(&mut self, a: Sid, b: Sid) {
        for (from, to) in [(a, b), (b, a)] {
            let link = Link::new(from, to, Plane::Quorum);
            for f in self.net.queue_mut(link).into_iter().flatten() {
                f.lost = true;
            }
        }
    }

    /// `s` is done with its connection to `peer`: what `peer` sent on it will never be read
    /// (a later connection's packets are new ones). Packets toward `peer` may still be read
    /// until `peer` notices.
    pub(super) fn closed_for(&mut self, s: Sid, peer: Sid) {
        if let Some(q) = self.net.queue_mut(Link::new(peer, s, Plane::Quorum)) {
            q.retain(|f| !f.lost);
        }
    }

    pub(super) fn disconnect(&mut self, s: Sid, peer: Sid) {
        match self.conns.between(s, peer) {
            Some((learner, ConnState::Open)) => {
                self.lose_pair(s, peer);
                self.closed_for(s, peer);
                self.conns.set(learner, ConnState::Closed);
                self.servers[peer as usize].closed_by.insert(s);
            }
            // A learner gives up before it connected.
            Some((learner, ConnState::NotYet)) if learner == s => {
                self.conns.set(learner, ConnState::Closed);
                self.servers[peer as usize].closed_by.insert(s);
            }
            // A server that does not lead refuses a connection attempt: the learner tries
            // again later (nothing in the model).
            _ => {}
        }
    }

    /// `s` hears that its connection with `peer` (open, or being opened) closed while neither
    /// end closed it and `peer` lives: the connection broke, or the attempt failed (the
    /// model's `Lose` on the quorum plane). What was in flight both ways is lost.
    pub(super) fn broken(&mut self, s: Sid, peer: Sid) {
        let p = &self.servers[peer as usize];
        if p.dead || p.down || self.servers[s as usize].closed_by.contains(&peer) {
            self.closed_for(s, peer); // closed by the peer, which `s` hears only now
            return;
        }
        if let Some((learner, ConnState::NotYet)) = self.conns.between(s, peer) {
            if learner != s {
                // The leader heard an attempt fail before it read the FOLLOWERINFO; the
                // learner's shell tries again without telling its replica (as
                // `connectToLeader` retries), so the learner still may connect: in the model
                // nothing happened. What was sent on the attempt is gone. (Found by
                // validating simulator seed 1321 of a crash and a partition.)
                self.lose_pair(s, peer);
                self.closed_for(s, peer);
                return;
            }
        }
        if let Some((learner, ConnState::Open | ConnState::NotYet)) = self.conns.between(s, peer) {
            self.lose_pair(s, peer);
            self.closed_for(s, peer);
            self.conns.set(learner, ConnState::Closed);
            self.servers[s as usize].closed_by.insert(peer);
            self.servers[peer as usize].closed_by.insert(s);
        }
    }

    pub(super) fn role_changed(&mut self, s: Sid, state: ServerState, leader: Option<u64>) {
        for j in self.conns.learners_of(s) {
            self.lose_pair(j, s);
            self.closed_for(s, j);
            self.conns.set(j, ConnState::Closed);
            self.servers[j as usize].closed_by.insert(s);
        }
        match (state, leader) {
            (ServerState::Following | ServerState::Observing, Some(l)) => {
                self.conns.follow(s, convert::sid(l))
            }
            _ => self.conns.forget(s),
        }
    }

    /// The model's crash of a server whose process died: its memory, its unsynced records,
    /// its connections and what was in flight to or from it are gone.
    pub fn crash(&mut self, s: Sid) {
        for j in self.conns.learners_of(s) {
            self.conns.set(j, ConnState::Closed);
            self.lose_pair(j, s);
        }
        self.conns.forget(s);
        self.net.retain(|l| l.from != s && l.to != s);
        let srv = &mut self.servers[s as usize];
        srv.replica = None;
        srv.down = true;
        srv.pending.clear();
        srv.base.clear();
        srv.ready_read = None;
    }

    /// The learner's connection opens (the leader reads its FOLLOWERINFO while leading).
    pub fn connect(&mut self, learner: Sid) -> R<()> {
        let (leader, _) = self.conns.open(learner)?;
        // A new connection: earlier closings between the two say nothing about it.
        self.servers[leader as usize].closed_by.remove(&learner);
        self.servers[learner as usize].closed_by.remove(&leader);
        Ok(())
    }
}
