//! The network: every message in flight on both planes, per directed link, in send order; on
//! the election plane, the notifications already in TCP and the one waiting.

use crate::msg::{Link, Packet, Plane};
use crate::types::Sid;

/// Every message in flight, kept sorted by link so that equal per-link queues give equal
/// states; within a link, entries are in send order (TCP is FIFO).
///
/// An election link holds at most one notification waiting in the sender's queue, behind
/// the notifications already written to TCP (`pinned`, at most the fault budget
/// `Config::transmits` over a run): a newer notification replaces the waiting one, never
/// one in TCP.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Net {
    entries: Vec<(Link, Packet)>,
    /// One entry per notification written to TCP, sorted: a link listed k times has its
    /// first k entries there.
    pinned: Vec<Link>,
}

impl Net {
    /// Appends `p` to the queue of the link from `from` to `to` on `p`'s plane (FIFO, as on a
    /// quorum connection).
    pub fn send(&mut self, from: Sid, to: Sid, p: Packet) {
        let link = Link {
            from,
            to,
            plane: p.plane(),
        };
        let at = self.entries.partition_point(|(l, _)| *l <= link);
        self.entries.insert(at, (link, p));
    }

    /// Sends on a link that holds at most one message: a newer one replaces the one waiting
    /// (ZooKeeper's per-peer notification queue, a `CircularBlockingQueue` of capacity 1).
    pub fn send_latest(&mut self, from: Sid, to: Sid, p: Packet) {
        let link = Link {
            from,
            to,
            plane: p.plane(),
        };
        let mut keep = self.pinned_on(link);
        self.entries.retain(|(l, _)| {
            let on_link = *l == link;
            if on_link && keep > 0 {
                keep -= 1;
                return true;
            }
            !on_link
        });
        self.send(from, to, p);
    }

    /// How many of `link`'s first entries are already in TCP.
    pub fn pinned_on(&self, link: Link) -> usize {
        self.pinned.iter().filter(|l| **l == link).count()
    }

    /// Whether `link`'s newest entry still waits in the sender's queue (is not in TCP).
    pub fn has_waiting(&self, link: Link) -> bool {
        self.len_of(link) > self.pinned_on(link)
    }

    /// The links whose newest entry still waits in the sender's queue.
    pub fn waiting(&self) -> impl Iterator<Item = Link> + '_ {
        self.heads()
            .map(|(l, _)| l)
            .filter(|l| self.has_waiting(*l))
    }

    /// The sender writes the notification waiting on `link` to TCP: a newer one now queues
    /// behind it instead of replacing it.
    pub fn pin(&mut self, link: Link) {
        debug_assert!(self.has_waiting(link), "nothing waiting on {link:?}");
        let at = self.pinned.partition_point(|l| *l <= link);
        self.pinned.insert(at, link);
    }

    /// Removes the newest message on `link` (a notification lost: the waiting one if there
    /// is one, else the last one in TCP).
    pub fn pop_newest(&mut self, link: Link) -> Option<Packet> {
        let end = self.entries.partition_point(|(l, _)| *l <= link);
        if end == 0 || self.entries[end - 1].0 != link {
            return None;
        }
        if !self.has_waiting(link) {
            self.unpin_one(link);
        }
        Some(self.entries.remove(end - 1).1)
    }

    fn unpin_one(&mut self, link: Link) {
        if let Some(k) = self.pinned.iter().position(|l| *l == link) {
            self.pinned.remove(k);
        }
    }

    /// The first message waiting on each non-empty link, in link order.
    pub fn heads(&self) -> impl Iterator<Item = (Link, Packet)> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(move |(i, (l, _))| *i == 0 || self.entries[i - 1].0 != *l)
            .map(|(_, e)| *e)
    }

    /// The first message on `link` (the next one its receiver reads), if any.
    pub fn head(&self, link: Link) -> Option<Packet> {
        let at = self.entries.partition_point(|(l, _)| *l < link);
        self.entries
            .get(at)
            .filter(|(l, _)| *l == link)
            .map(|(_, p)| *p)
    }

    /// Removes the first message on `link`.
    pub fn pop(&mut self, link: Link) -> Option<Packet> {
        let at = self.entries.partition_point(|(l, _)| *l < link);
        if self.entries.get(at).is_some_and(|(l, _)| *l == link) {
            self.unpin_one(link);
            Some(self.entries.remove(at).1)
        } else {
            None
        }
    }

    /// Drops every message matching `pred` (a closed connection, a crashed server).
    pub fn drop_where(&mut self, pred: impl Fn(&Link) -> bool) {
        self.entries.retain(|(l, _)| !pred(l));
        self.pinned.retain(|l| !pred(l));
    }

    /// Drops the queues of both directions between `a` and `b` on `plane`.
    pub fn drop_pair(&mut self, a: Sid, b: Sid, plane: Plane) {
        self.drop_where(|l| {
            l.plane == plane && ((l.from == a && l.to == b) || (l.from == b && l.to == a))
        });
    }

    /// Whether the entry at `index` of `link`'s queue is in TCP already.
    pub fn is_pinned(&self, link: Link, index: usize) -> bool {
        index < self.pinned_on(link)
    }

    /// The messages on `link`, oldest first.
    pub fn queue(&self, link: Link) -> impl Iterator<Item = Packet> + '_ {
        self.entries
            .iter()
            .filter(move |(l, _)| *l == link)
            .map(|(_, p)| *p)
    }

    /// Number of messages on `link`, in TCP or waiting.
    pub fn len_of(&self, link: Link) -> usize {
        self.queue(link).count()
    }

    /// Every message in flight with its link, sorted by link, in send order within a link.
    pub fn iter(&self) -> impl Iterator<Item = &(Link, Packet)> {
        self.entries.iter()
    }

    /// Number of messages in flight on all links (bounded by `MAX_IN_FLIGHT`).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no message is in flight.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Renames servers (`perm[old] = new`) and restores the sort order.
    pub fn permute(&self, perm: &[Sid], f: impl Fn(Packet) -> Packet) -> Net {
        let mut entries: Vec<(Link, Packet)> = self
            .entries
            .iter()
            .map(|(l, p)| {
                (
                    Link {
                        from: perm[l.from as usize],
                        to: perm[l.to as usize],
                        plane: l.plane,
                    },
                    f(*p),
                )
            })
            .collect();
        // Stable: keeps each link's FIFO order.
        entries.sort_by_key(|(l, _)| *l);
        let rename = |l: &Link| Link {
            from: perm[l.from as usize],
            to: perm[l.to as usize],
            plane: l.plane,
        };
        let mut pinned: Vec<Link> = self.pinned.iter().map(rename).collect();
        pinned.sort();
        Net { entries, pinned }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::{Msg, Notification, Vote};
    use crate::types::ServerState;

    fn q(m: Msg) -> Packet {
        Packet::Quorum(m)
    }

    #[test]
    fn links_are_fifo_and_independent() {
        let mut net = Net::default();
        net.send(1, 0, q(Msg::UpToDate));
        net.send(0, 1, q(Msg::LeaderInfo { epoch: 1 }));
        net.send(0, 1, q(Msg::NewLeader { epoch: 1 }));
        let l01 = Link {
            from: 0,
            to: 1,
            plane: Plane::Quorum,
        };
        assert_eq!(net.heads().count(), 2);
        assert_eq!(net.pop(l01), Some(q(Msg::LeaderInfo { epoch: 1 })));
        assert_eq!(net.head(l01), Some(q(Msg::NewLeader { epoch: 1 })));
        net.drop_pair(0, 1, Plane::Quorum);
        assert!(net.is_empty());
    }

    #[test]
    fn equal_queues_give_equal_nets_whatever_the_send_interleaving() {
        let mut a = Net::default();
        a.send(0, 1, q(Msg::UpToDate));
        a.send(2, 1, q(Msg::UpToDate));
        let mut b = Net::default();
        b.send(2, 1, q(Msg::UpToDate));
        b.send(0, 1, q(Msg::UpToDate));
        assert_eq!(a, b);
    }

    fn note(round: u8) -> Packet {
        Packet::Election(Notification {
            state: ServerState::Looking,
            round,
            vote: Vote::default(),
        })
    }

    const E01: Link = Link {
        from: 0,
        to: 1,
        plane: Plane::Election,
    };

    #[test]
    fn a_newer_notification_replaces_the_waiting_one_but_not_one_in_tcp() {
        let mut net = Net::default();
        net.send_latest(0, 1, note(1));
        net.send_latest(0, 1, note(2));
        assert_eq!(net.queue(E01).collect::<Vec<_>>(), vec![note(2)]);
        assert_eq!(net.waiting().collect::<Vec<_>>(), vec![E01]);
        net.pin(E01);
        assert_eq!(net.waiting().count(), 0);
        net.send_latest(0, 1, note(3));
        net.send_latest(0, 1, note(4));
        assert_eq!(net.queue(E01).collect::<Vec<_>>(), vec![note(2), note(4)]);
        assert!(net.is_pinned(E01, 0) && !net.is_pinned(E01, 1));
        // Lost: the waiting one; then the one in TCP.
        assert_eq!(net.pop_newest(E01), Some(note(4)));
        assert_eq!(net.pinned_on(E01), 1);
        assert_eq!(net.pop_newest(E01), Some(note(2)));
        assert_eq!(net.pinned_on(E01), 0);
        assert_eq!(net, Net::default());
    }

    #[test]
    fn receiving_reads_tcp_first_and_unpins() {
        let mut net = Net::default();
        net.send_latest(0, 1, note(1));
        net.pin(E01);
        net.send_latest(0, 1, note(2));
        assert_eq!(net.pop(E01), Some(note(1)));
        assert_eq!(net.pinned_on(E01), 0);
        net.send_latest(0, 1, note(3));
        assert_eq!(net.queue(E01).collect::<Vec<_>>(), vec![note(3)]);
        net.pin(E01);
        net.drop_where(|l| l.from == 0);
        assert_eq!(net, Net::default());
    }
}
