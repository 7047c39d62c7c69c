//! The simulated network: one FIFO queue per ordered pair and plane (TCP connections), a
//! partition that cuts some pairs, and nothing else.

use crate::replica::{PeerMsg, ServerId};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Link {
    pub from: ServerId,
    pub to: ServerId,
    pub election: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Net {
    queues: BTreeMap<Link, VecDeque<PeerMsg>>,
    /// The servers cut off from the rest (empty: no partition).
    pub side: BTreeSet<ServerId>,
}

impl Net {
    pub fn connected(&self, a: ServerId, b: ServerId) -> bool {
        self.side.contains(&a) == self.side.contains(&b)
    }

    pub fn send(&mut self, from: ServerId, to: ServerId, msg: PeerMsg) {
        if !self.connected(from, to) {
            return;
        }
        let election = matches!(msg, PeerMsg::Election(_));
        self.queues
            .entry(Link { from, to, election })
            .or_default()
            .push_back(msg);
    }

    /// Links with something to deliver, in a fixed order.
    pub fn ready(&self) -> Vec<Link> {
        self.queues
            .iter()
            .filter(|(_, q)| !q.is_empty())
            .map(|(l, _)| *l)
            .collect()
    }

    pub fn pop(&mut self, link: Link) -> Option<PeerMsg> {
        self.queues.get_mut(&link).and_then(|q| q.pop_front())
    }

    /// A connection broke: both directions' queues on that plane are gone.
    pub fn drop_pair(&mut self, a: ServerId, b: ServerId, election: bool) {
        for (from, to) in [(a, b), (b, a)] {
            self.queues.remove(&Link { from, to, election });
        }
    }

    /// Everything to or from `s` is gone (it crashed).
    pub fn drop_server(&mut self, s: ServerId) {
        self.queues.retain(|l, _| l.from != s && l.to != s);
    }

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
    }

    pub fn in_flight(&self) -> usize {
        self.queues.values().map(|q| q.len()).sum()
    }
}
