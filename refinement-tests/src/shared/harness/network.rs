//! The network around the harness's replicas: election links, learners' quorum connections
//! as the model sees them (`connection.rs`), and the faults that break them.

use super::{quorum_link, ImplCluster};
use crate::shared::connection::ConnState;
use crate::shared::convert;
use crate::shared::divergence::{OrDivergence, R};
use crate::shared::machine::Txns;
use std::collections::VecDeque;
use zab::replica::{Input, Notification, Packet, PeerMsg, Replica, ServerId, ServerState};
use zab_model::types::{Mask, Sid};

/// An election link as the model has it: the notifications already written to TCP, then at
/// most one waiting in the sender's queue, which a newer one replaces.
#[derive(Clone, Debug, Default)]
pub struct ElectionLink {
    /// Notifications the model's `Transmit` wrote to TCP, oldest first: the receiver reads
    /// these before the waiting one, and a newer send cannot replace them.
    pub in_tcp: VecDeque<Notification>,
    /// The notification waiting in the sender's queue of capacity one; a newer send replaces
    /// it.
    pub waiting: Option<Notification>,
}

impl ElectionLink {
    /// Every notification on the link, in the order the receiver will read them.
    pub fn queue(&self) -> impl Iterator<Item = &Notification> {
        self.in_tcp.iter().chain(self.waiting.iter())
    }

    fn is_empty(&self) -> bool {
        self.in_tcp.is_empty() && self.waiting.is_none()
    }
}

impl ImplCluster {
    pub(super) fn role_changed(&mut self, s: Sid, state: ServerState, leader: Option<ServerId>) {
        // A server that stops leading closes every connection its acceptor took, including
        // those whose FOLLOWERINFO it has not read (it never knew of them).
        for j in self.conns.learners_of(s) {
            self.drop_pair(j, s);
            self.conns.set(j, ConnState::Closed);
        }
        match (state, leader) {
            (ServerState::Following | ServerState::Observing, Some(l)) => {
                self.conns.follow(s, convert::sid(l))
            }
            _ => self.conns.forget(s),
        }
        if state == ServerState::Looking {
            // A server that stops serving drops its clients, and their reads with them.
            self.ready_reads[s as usize] = None;
        }
    }

    pub(super) fn send(&mut self, from: Sid, to: Sid, msg: PeerMsg) {
        match msg {
            PeerMsg::Election(n) => {
                if self.reachable(from, to) {
                    self.election.entry((from, to)).or_default().waiting = Some(n);
                }
            }
            PeerMsg::Quorum(Packet::Ping) => {}
            PeerMsg::Quorum(p) => self.send_quorum(from, to, p),
        }
    }

    /// The receiver reads the oldest notification on the link.
    pub fn take_notification(&mut self, from: Sid, to: Sid) -> Option<Notification> {
        let link = self.election.get_mut(&(from, to))?;
        let n = link.in_tcp.pop_front().or_else(|| link.waiting.take());
        self.forget_empty_link(from, to);
        n
    }

    /// The model's election `Lose`: the newest notification on the link is dropped.
    pub fn lose_notification(&mut self, from: Sid, to: Sid) {
        if let Some(link) = self.election.get_mut(&(from, to)) {
            if link.waiting.take().is_none() {
                link.in_tcp.pop_back();
            }
        }
        self.forget_empty_link(from, to);
    }

    /// The model's `Transmit`: the waiting notification goes into TCP.
    pub fn transmit(&mut self, from: Sid, to: Sid) -> R<()> {
        let link = self.election.get_mut(&(from, to));
        let link = link.absent("no election link to transmit on")?;
        let n = link.waiting.take().absent("no notification waiting")?;
        link.in_tcp.push_back(n);
        Ok(())
    }

    fn forget_empty_link(&mut self, from: Sid, to: Sid) {
        if self
            .election
            .get(&(from, to))
            .is_some_and(ElectionLink::is_empty)
        {
            self.election.remove(&(from, to));
        }
    }

    fn send_quorum(&mut self, from: Sid, to: Sid, p: Packet) {
        let learning = |r: &Replica<Txns>| {
            r.server_state() != ServerState::Leading && r.leader() == Some(convert::server(to))
        };
        if self.conns.leader_of(from).is_none() && self.replica(from).is_some_and(learning) {
            // The first packet of a learner that decided in this very step (its role change
            // is the step's next output).
            self.conns.follow(from, to);
        }
        match self.conns.between(from, to) {
            Some((learner, ConnState::NotYet)) if learner == from => {
                self.conns.hold(from, p);
            }
            Some((_, ConnState::Open)) if self.reachable(from, to) => {
                self.quorum.push(quorum_link(from, to), p);
            }
            _ => {} // no open connection: the packet goes nowhere
        }
    }

    /// Server `s` closes its connection to `peer`.
    pub(super) fn disconnect(&mut self, s: Sid, peer: Sid) {
        match self.conns.between(s, peer) {
            // A learner gives up on its leader: the leader hears of it at once.
            Some((learner, ConnState::Open)) if learner == s => self.close(s),
            // A leader drops a learner: it forgot the learner itself.
            Some((learner, ConnState::Open)) => {
                self.drop_pair(s, peer);
                self.conns.set(learner, ConnState::Closed);
            }
            Some((learner, ConnState::NotYet)) if learner == s => {
                self.conns.set(s, ConnState::Closed)
            }
            _ => {}
        }
    }

    /// The model's `close_learner_conn`: the learner's connection breaks; both queues are
    /// lost; its leader learns of it at once, the learner only when it notices.
    pub fn close(&mut self, learner: Sid) {
        let Some(leader) = self.conns.open_leader(learner) else {
            return;
        };
        self.drop_pair(learner, leader);
        self.conns.set(learner, ConnState::Closed);
        let leading = self
            .replica(leader)
            .is_some_and(|r| r.server_state() == ServerState::Leading);
        if leading {
            let peer = convert::server(learner);
            self.input(leader, Input::Disconnected { peer });
        }
    }

    /// Both quorum queues between `a` and `b` are gone.
    pub fn drop_pair(&mut self, a: Sid, b: Sid) {
        self.quorum.clear_pair(a, b, zab::replica::Plane::Quorum);
    }

    /// The model's `Crash(s)`: the replica is dropped, its disk loses what was not fsynced, its
    /// sync queue and held NEWLEADER outputs are gone, its links empty, and every connection it
    /// had, as learner or leader, closes.
    pub fn crash(&mut self, s: Sid) {
        for j in self.conns.learners_of(s) {
            self.drop_pair(j, s);
            self.conns.set(j, ConnState::Closed);
        }
        self.close(s);
        self.conns.forget(s);
        self.replicas[s as usize] = None;
        self.ready_reads[s as usize] = None;
        self.disks[s as usize].crash();
        self.sync_queue[s as usize].clear();
        self.held[s as usize].clear();
        self.election.retain(|(f, t), _| *f != s && *t != s);
        self.quorum.retain(|l| l.from != s && l.to != s);
    }

    /// The model's `Partition(side)`: `side` (the side holding server 0) is cut off from the
    /// rest. Links across the cut are emptied and connections across it close; each leader
    /// hears of it at once.
    pub fn partition(&mut self, side: Mask) {
        self.partition = side;
        let crosses = |a: Sid, b: Sid| side.contains(a) != side.contains(b);
        self.election.retain(|(f, t), _| !crosses(*f, *t));
        self.quorum.retain(|l| !crosses(l.from, l.to));
        for j in 0..self.n as Sid {
            if self.conns.open_leader(j).is_some_and(|l| crosses(j, l)) {
                self.close(j);
            }
        }
    }

    /// The quorum connection between `a` and `b` breaks (a lost packet), or a learner's
    /// attempt to connect fails (what it holds for the connection is gone).
    pub fn break_connection(&mut self, a: Sid, b: Sid) {
        for (learner, other) in [(a, b), (b, a)] {
            if self.conns.open_leader(learner) == Some(other) {
                self.close(learner);
            } else if self.conns.between(learner, other) == Some((learner, ConnState::NotYet)) {
                self.conns.set(learner, ConnState::Closed);
            }
        }
        self.drop_pair(a, b);
    }

    /// The learner's connection opens: what it sent while connecting goes out.
    pub fn connect(&mut self, s: Sid) -> R<()> {
        let (leader, held) = self.conns.open(s)?;
        self.quorum.extend(quorum_link(s, leader), held);
        Ok(())
    }
}
