//! The simulated network: one FIFO queue per ordered pair and plane (TCP connections), a
//! partition that cuts some pairs, and which quorum connections are open. As in `zabd`, a
//! server's quorum connection to a peer opens with the first packet it sends there, and a
//! server that closes it (`Output::Disconnect`) closes its own side: the peer hears of it only
//! if that connection was open.

use crate::replica::{PeerMsg, Plane, ServerId};
use crate::server::trace::MsgId;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// One direction of a connection between two servers on one plane. `Id` names the servers:
/// the implementation's `ServerId` in the simulator, the model's small ids in the refinement
/// tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Link<Id = ServerId> {
    /// The sending server.
    pub from: Id,
    /// The receiving server.
    pub to: Id,
    /// The plane: Fast Leader Election's connections (notifications) or the quorum
    /// connections (Zab's packets between leader and learners).
    pub plane: Plane,
}

impl<Id> Link<Id> {
    /// The link from `from` to `to` on `plane`.
    pub fn new(from: Id, to: Id, plane: Plane) -> Link<Id> {
        Link { from, to, plane }
    }
}

/// Links are ordered by sender, receiver, then the quorum plane before the election plane:
/// the simulator's scheduler picks among ready links in this order, so it is part of what a
/// seed replays (the order it has always used; recorded seeds keep their schedules).
impl<Id: Ord + Copy> Ord for Link<Id> {
    fn cmp(&self, other: &Link<Id>) -> std::cmp::Ordering {
        let key = |l: &Link<Id>| (l.from, l.to, l.plane == Plane::Election);
        key(self).cmp(&key(other))
    }
}

impl<Id: Ord + Copy> PartialOrd for Link<Id> {
    fn partial_cmp(&self, other: &Link<Id>) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// What is in flight between servers: a FIFO queue of `M` per link. The simulator's
/// network, the refinement harness's quorum links and the trace validator's rebuilt network
/// all keep their messages here; what a fault does to them (a crash, a partition, a broken
/// connection) is each one's own rule, on top.
#[derive(Clone, Debug)]
pub struct Queues<Id, M> {
    queues: BTreeMap<Link<Id>, VecDeque<M>>,
}

impl<Id, M> Default for Queues<Id, M> {
    fn default() -> Self {
        Queues {
            queues: BTreeMap::new(),
        }
    }
}

impl<Id: Ord + Copy, M> Queues<Id, M> {
    /// Queues `m` at the end of `link`.
    pub fn push(&mut self, link: Link<Id>, m: M) {
        self.queues.entry(link).or_default().push_back(m);
    }

    /// Queues `ms`, in order, at the end of `link`.
    pub fn extend(&mut self, link: Link<Id>, ms: impl IntoIterator<Item = M>) {
        self.queues.entry(link).or_default().extend(ms);
    }

    /// Takes the oldest message on `link`.
    pub fn pop(&mut self, link: Link<Id>) -> Option<M> {
        self.queues.get_mut(&link).and_then(|q| q.pop_front())
    }

    /// The messages on `link`, oldest first.
    pub fn queue(&self, link: Link<Id>) -> Option<&VecDeque<M>> {
        self.queues.get(&link)
    }

    /// The messages on `link`, to take one out of the middle (a receipt that names its
    /// message) or to mark them.
    pub fn queue_mut(&mut self, link: Link<Id>) -> Option<&mut VecDeque<M>> {
        self.queues.get_mut(&link)
    }

    /// Everything on `link` is gone.
    pub fn clear(&mut self, link: Link<Id>) {
        self.queues.remove(&link);
    }

    /// Everything between `a` and `b` on `plane`, both ways, is gone (a broken connection).
    pub fn clear_pair(&mut self, a: Id, b: Id, plane: Plane) {
        self.clear(Link::new(a, b, plane));
        self.clear(Link::new(b, a, plane));
    }

    /// Keeps only the links `keep` says (a crash, a partition).
    pub fn retain(&mut self, mut keep: impl FnMut(Link<Id>) -> bool) {
        self.queues.retain(|l, _| keep(*l));
    }

    /// Links with something to deliver, in the links' order.
    pub fn ready(&self) -> impl Iterator<Item = Link<Id>> + '_ {
        self.queues
            .iter()
            .filter(|(_, q)| !q.is_empty())
            .map(|(l, _)| *l)
    }

    /// Every link's queue, in the links' order.
    pub fn iter(&self) -> impl Iterator<Item = (Link<Id>, &VecDeque<M>)> + '_ {
        self.queues.iter().map(|(l, q)| (*l, q))
    }

    /// Every message, to mark some of them.
    pub fn messages_mut(&mut self) -> impl Iterator<Item = (Link<Id>, &mut M)> + '_ {
        self.queues
            .iter_mut()
            .flat_map(|(l, q)| q.iter_mut().map(move |m| (*l, m)))
    }

    /// Messages queued and not yet delivered, over all links.
    pub fn len(&self) -> usize {
        self.queues.values().map(|q| q.len()).sum()
    }

    /// Whether nothing is in flight.
    pub fn is_empty(&self) -> bool {
        self.queues.values().all(|q| q.is_empty())
    }
}

/// The whole simulated network: the queued messages of every link, which quorum connections
/// are open, and the current partition.
#[derive(Clone, Debug, Default)]
pub struct Net {
    queues: Queues<ServerId, (PeerMsg, MsgId)>,
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
        self.queues.push(Link::new(from, to, plane), (msg, id));
    }

    /// Links with something to deliver, in a fixed order.
    pub fn ready(&self) -> Vec<Link> {
        self.queues.ready().collect()
    }

    /// Takes the oldest message queued on `link`, with its identity, for delivery (or to drop
    /// it).
    pub fn pop(&mut self, link: Link) -> Option<(PeerMsg, MsgId)> {
        self.queues.pop(link)
    }

    /// A connection broke: both directions' queues on that plane are gone.
    pub fn drop_pair(&mut self, a: ServerId, b: ServerId, plane: Plane) {
        self.queues.clear_pair(a, b, plane);
        if plane == Plane::Quorum {
            self.open.remove(&(a, b));
            self.open.remove(&(b, a));
        }
    }

    /// `from` closes its quorum connection to `to`: what it had sent there is gone. Whether
    /// it was open (then `to` notices).
    pub fn close(&mut self, from: ServerId, to: ServerId) -> bool {
        self.queues.clear(Link::new(from, to, Plane::Quorum));
        self.open.remove(&(from, to))
    }

    /// Everything to or from `s` is gone (it crashed).
    pub fn drop_server(&mut self, s: ServerId) {
        self.queues.retain(|l| l.from != s && l.to != s);
        self.open.retain(|(f, t)| *f != s && *t != s);
    }

    /// Cuts `side` off from the rest (an empty set heals): messages queued across the cut are
    /// lost and quorum connections across it close.
    pub fn partition(&mut self, side: BTreeSet<ServerId>) {
        self.side = side;
        let side = &self.side;
        self.queues
            .retain(|l| side.contains(&l.from) == side.contains(&l.to));
        self.open
            .retain(|(a, b)| side.contains(a) == side.contains(b));
    }

    /// Messages queued and not yet delivered, over all links.
    pub fn in_flight(&self) -> usize {
        self.queues.len()
    }
}
