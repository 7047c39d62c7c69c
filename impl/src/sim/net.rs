//! The simulated network: one FIFO queue per ordered pair and plane (TCP connections), a
//! partition that cuts some pairs, and which quorum connections are open. As in `zabd`, a
//! server's quorum connection to a peer opens with the first packet it sends there, and a
//! server that closes it (`Output::Disconnect`) closes its own side: the peer hears of it only
//! if that connection was open.

use crate::replica::{PeerMsg, Plane, ServerId};
use crate::server::trace::MsgId;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// One direction of a connection between two servers on one plane; `Net` keeps a FIFO queue
/// of messages per link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Link {
    /// The sending server.
    pub from: ServerId,
    /// The receiving server.
    pub to: ServerId,
    /// The plane: Fast Leader Election's connections (notifications) or the quorum
    /// connections (Zab's packets between leader and learners).
    pub plane: Plane,
}

/// Links are ordered by sender, receiver, then the quorum plane before the election plane:
/// the scheduler picks among ready links in this order, so it is part of what a seed replays
/// (the order the simulator has always used; recorded seeds keep their schedules).
impl Ord for Link {
    fn cmp(&self, other: &Link) -> std::cmp::Ordering {
        let key = |l: &Link| (l.from, l.to, l.plane == Plane::Election);
        key(self).cmp(&key(other))
    }
}

impl PartialOrd for Link {
    fn partial_cmp(&self, other: &Link) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The whole simulated network: the queued messages of every link, which quorum connections
/// are open, and the current partition.
#[derive(Clone, Debug, Default)]
pub struct Net {
    queues: BTreeMap<Link, VecDeque<(PeerMsg, MsgId)>>,
    /// Open quorum connections, (from, to): `from` sent a packet there since it last closed.
    open: BTreeSet<(ServerId, ServerId)>,
    /// The servers cut off from the rest (empty: no partition).
    pub side: BTreeSet<ServerId>,
}

impl Net {
    /// Whether `a` and `b` can reach each other: both on the cut-off side or both off it.
    pub fn connected(&self, a: ServerId, b: ServerId) -> bool {
        self.side.contains(&a) == self.side.contains(&b)
    }

    /// Queues `msg`, sent as `id`, on its plane's link from `from` to `to` (a quorum packet
    /// also opens the quorum connection); a message across the partition is lost.
    pub fn send(&mut self, from: ServerId, to: ServerId, msg: PeerMsg, id: MsgId) {
        if !self.connected(from, to) {
            return;
        }
        let plane = msg.plane();
        if plane == Plane::Quorum {
            self.open.insert((from, to));
        }
        self.queues
            .entry(Link { from, to, plane })
            .or_default()
            .push_back((msg, id));
    }

    /// Links with something to deliver, in a fixed order.
    pub fn ready(&self) -> Vec<Link> {
        self.queues
            .iter()
            .filter(|(_, q)| !q.is_empty())
            .map(|(l, _)| *l)
            .collect()
    }

    /// Takes the oldest message queued on `link`, with its identity, for delivery (or to drop
    /// it).
    pub fn pop(&mut self, link: Link) -> Option<(PeerMsg, MsgId)> {
        self.queues.get_mut(&link).and_then(|q| q.pop_front())
    }

    /// A connection broke: both directions' queues on that plane are gone.
    pub fn drop_pair(&mut self, a: ServerId, b: ServerId, plane: Plane) {
        for (from, to) in [(a, b), (b, a)] {
            self.queues.remove(&Link { from, to, plane });
            if plane == Plane::Quorum {
                self.open.remove(&(from, to));
            }
        }
    }

    /// `from` closes its quorum connection to `to`: what it had sent there is gone. Whether
    /// it was open (then `to` notices).
    pub fn close(&mut self, from: ServerId, to: ServerId) -> bool {
        let plane = Plane::Quorum;
        self.queues.remove(&Link { from, to, plane });
        self.open.remove(&(from, to))
    }

    /// Everything to or from `s` is gone (it crashed).
    pub fn drop_server(&mut self, s: ServerId) {
        self.queues.retain(|l, _| l.from != s && l.to != s);
        self.open.retain(|(f, t)| *f != s && *t != s);
    }

    /// Cuts `side` off from the rest (an empty set heals): messages queued across the cut are
    /// lost and quorum connections across it close.
    pub fn partition(&mut self, side: BTreeSet<ServerId>) {
        self.side = side;
        let cut: Vec<Link> = self
            .queues
            .keys()
            .filter(|l| !self.connected(l.from, l.to))
            .copied()
            .collect();
        for l in cut {
            self.queues.remove(&l);
        }
        let side = &self.side;
        self.open
            .retain(|(a, b)| side.contains(a) == side.contains(b));
    }

    /// Messages queued and not yet delivered, over all links.
    pub fn in_flight(&self) -> usize {
        self.queues.values().map(|q| q.len()).sum()
    }
}
