//! The small values the model is built from: server ids, server sets, zxids, transactions and
//! bounded histories.
//!
//! Everything here is `Copy` and a few bytes wide: the checker clones and hashes millions of
//! states, so the state must be cheap to copy and to hash.

use std::fmt;

/// Index of a server, `0..servers+observers`. Shown as `s1`, `s2`, … (ZooKeeper's `myid`s
/// start at 1).
pub type Sid = u8;

/// Display form of a server id.
pub fn sid_name(s: Sid) -> String {
    format!("s{}", s + 1)
}

/// A set of servers as a bitmask (at most 8 servers).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mask(pub u8);

impl Mask {
    /// The empty set of servers.
    pub const EMPTY: Mask = Mask(0);

    /// The set holding only server `s`.
    pub fn one(s: Sid) -> Mask {
        Mask(1 << s)
    }
    /// Whether server `s` is a member.
    pub fn contains(self, s: Sid) -> bool {
        self.0 & (1 << s) != 0
    }
    /// This set with server `s` added.
    pub fn with(self, s: Sid) -> Mask {
        Mask(self.0 | (1 << s))
    }
    /// This set with server `s` removed.
    pub fn without(self, s: Sid) -> Mask {
        Mask(self.0 & !(1 << s))
    }
    /// Number of servers in the set (compare against a quorum size).
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }
    /// Whether the set has no member.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The members, in increasing id order.
    pub fn iter(self) -> impl Iterator<Item = Sid> {
        (0..8u8).filter(move |s| self.contains(*s))
    }
    /// The servers in both sets (intersection).
    pub fn and(self, other: Mask) -> Mask {
        Mask(self.0 & other.0)
    }
    /// The servers in either set (union).
    pub fn or(self, other: Mask) -> Mask {
        Mask(self.0 | other.0)
    }
    /// Renames every member with `perm[old] = new`.
    pub fn permute(self, perm: &[Sid]) -> Mask {
        let mut out = Mask::EMPTY;
        for s in self.iter() {
            out = out.with(perm[s as usize]);
        }
        out
    }
}

impl fmt::Debug for Mask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.iter().map(sid_name).collect();
        write!(f, "{{{}}}", names.join(","))
    }
}

/// A ZooKeeper transaction id: epoch in the high half, counter in the low half. Ordered by
/// (epoch, counter), exactly as the 64-bit integer `epoch << 32 | counter` orders.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Zxid {
    /// The epoch of the leader that proposed the transaction (high 32 bits in ZooKeeper).
    pub epoch: u8,
    /// Position within the epoch, from 1; 0 marks the epoch's start (the ACK of NEWLEADER carries
    /// `e.0`).
    pub counter: u8,
}

impl Zxid {
    /// Zxid 0.0: the last zxid of a server that has no transaction.
    pub const ZERO: Zxid = Zxid {
        epoch: 0,
        counter: 0,
    };
    /// The zxid `epoch.counter`.
    pub fn new(epoch: u8, counter: u8) -> Zxid {
        Zxid { epoch, counter }
    }
}

impl fmt::Debug for Zxid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.epoch, self.counter)
    }
}

/// A transaction: its zxid and the client request it carries (requests are numbered 1, 2, …
/// in the order clients issue them, so a value identifies one request).
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Txn {
    /// The zxid the leader assigned when it proposed the transaction.
    pub zxid: Zxid,
    /// Number of the client request this transaction carries (1, 2, … in issue order).
    pub value: u8,
}

impl fmt::Debug for Txn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}:v{}", self.zxid, self.value)
    }
}

/// The most transactions any configuration may create (`--txns`).
pub const MAX_TXNS: usize = 4;

/// A bounded sequence of transactions (a history, a log, a queue of packets). A history never
/// holds more than `MAX_TXNS` entries because every transaction comes from one of at most
/// `MAX_TXNS` client requests.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hist {
    len: u8,
    items: [Txn; MAX_TXNS],
}

impl Hist {
    /// The empty history.
    pub const EMPTY: Hist = Hist {
        len: 0,
        items: [Txn {
            zxid: Zxid::ZERO,
            value: 0,
        }; MAX_TXNS],
    };

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len as usize
    }
    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The entries, oldest first.
    pub fn as_slice(&self) -> &[Txn] {
        &self.items[..self.len as usize]
    }
    /// Appends `t`. Panics beyond `MAX_TXNS` entries, which no reachable state needs.
    pub fn push(&mut self, t: Txn) {
        assert!(self.len() < MAX_TXNS, "history bound exceeded");
        self.items[self.len as usize] = t;
        self.len += 1;
    }
    /// Keeps the first `n` entries (no-op if there are fewer); the dropped slots are reset so that
    /// equal histories hash equally.
    pub fn truncate(&mut self, n: usize) {
        if n < self.len() {
            let len = self.len();
            for t in &mut self.items[n..len] {
                *t = Txn::default();
            }
            self.len = n as u8;
        }
    }
    /// The entry at position `i`, if any.
    pub fn get(&self, i: usize) -> Option<Txn> {
        self.as_slice().get(i).copied()
    }
    /// The newest entry, if any.
    pub fn last(&self) -> Option<Txn> {
        self.as_slice().last().copied()
    }
    /// The zxid of the last entry, or 0.0 for an empty history.
    pub fn last_zxid(&self) -> Zxid {
        self.last().map(|t| t.zxid).unwrap_or(Zxid::ZERO)
    }
    /// The first `n` entries.
    pub fn prefix(&self, n: usize) -> Hist {
        let mut h = *self;
        h.truncate(n);
        h
    }
    /// Entries `from..` as a new history.
    pub fn suffix(&self, from: usize) -> Hist {
        Hist::from_slice(&self.as_slice()[from.min(self.len())..])
    }
    /// A history holding `ts` in order.
    pub fn from_slice(ts: &[Txn]) -> Hist {
        let mut h = Hist::EMPTY;
        for t in ts {
            h.push(*t);
        }
        h
    }
    /// Appends every entry of `other`, in order.
    pub fn extend(&mut self, other: &Hist) {
        for t in other.as_slice() {
            self.push(*t);
        }
    }
    /// Removes and returns the first entry.
    pub fn pop_front(&mut self) -> Option<Txn> {
        let first = self.get(0)?;
        *self = self.suffix(1);
        Some(first)
    }
    /// Position of the entry with this zxid.
    pub fn index_of(&self, z: Zxid) -> Option<usize> {
        self.as_slice().iter().position(|t| t.zxid == z)
    }
    /// Whether `t` (zxid and value) is an entry.
    pub fn contains_txn(&self, t: Txn) -> bool {
        self.as_slice().contains(&t)
    }
    /// Length of the longest common prefix of `self` and `other`.
    pub fn common_prefix(&self, other: &Hist) -> usize {
        self.as_slice()
            .iter()
            .zip(other.as_slice())
            .take_while(|(x, y)| x == y)
            .count()
    }
    /// Whether `self` is a prefix of `other`.
    pub fn is_prefix_of(&self, other: &Hist) -> bool {
        self.len() <= other.len() && other.as_slice()[..self.len()] == *self.as_slice()
    }
}

impl fmt::Debug for Hist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items: Vec<String> = self.as_slice().iter().map(|t| format!("{t:?}")).collect();
        write!(f, "[{}]", items.join(" "))
    }
}

/// A server's state, the role it plays (ZooKeeper's `ServerState`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServerState {
    /// Electing a leader (Fast Leader Election or the oracle).
    #[default]
    Looking,
    /// A participant that follows a leader: it acks proposals and counts toward quorums.
    Following,
    /// The elected leader: runs discovery, synchronizes learners, proposes and commits.
    Leading,
    /// An observer learning from a leader: never votes, never acks, receives INFORM.
    Observing,
}

impl ServerState {
    /// ZooKeeper's name for the role, as traces and the Explorer print it.
    pub fn name(self) -> &'static str {
        match self {
            ServerState::Looking => "LOOKING",
            ServerState::Following => "FOLLOWING",
            ServerState::Leading => "LEADING",
            ServerState::Observing => "OBSERVING",
        }
    }
}

/// The Zab phase a server is in (`ZabState` in ZooKeeper).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Looking for a leader; no Zab state in use.
    #[default]
    Election,
    /// Agreeing on a new epoch: FOLLOWERINFO, LEADERINFO, ACKEPOCH.
    Discovery,
    /// Bringing the learner's history to the leader's: DIFF/TRUNC/SNAP, NEWLEADER, UPTODATE.
    Synchronization,
    /// Serving: PROPOSAL, ACK, COMMIT (INFORM to observers).
    Broadcast,
}

impl Phase {
    /// Short upper-case name for traces and the Explorer (`SYNC` for synchronization).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Election => "ELECTION",
            Phase::Discovery => "DISCOVERY",
            Phase::Synchronization => "SYNC",
            Phase::Broadcast => "BROADCAST",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(e: u8, c: u8, v: u8) -> Txn {
        Txn {
            zxid: Zxid::new(e, c),
            value: v,
        }
    }

    #[test]
    fn zxid_orders_by_epoch_then_counter() {
        assert!(Zxid::new(1, 9) < Zxid::new(2, 0));
        assert!(Zxid::new(2, 1) < Zxid::new(2, 2));
        assert_eq!(format!("{:?}", Zxid::new(2, 1)), "2.1");
    }

    #[test]
    fn hist_prefix_suffix_and_lookup() {
        let h = Hist::from_slice(&[t(1, 1, 1), t(1, 2, 2), t(2, 1, 3)]);
        assert_eq!(h.len(), 3);
        assert_eq!(h.last_zxid(), Zxid::new(2, 1));
        assert!(h.prefix(2).is_prefix_of(&h));
        assert!(!h.suffix(1).is_prefix_of(&h));
        assert_eq!(h.index_of(Zxid::new(1, 2)), Some(1));
        let mut q = h;
        assert_eq!(q.pop_front(), Some(t(1, 1, 1)));
        assert_eq!(q.as_slice(), &h.as_slice()[1..]);
        // Truncation clears the dropped slots so equal histories hash equally.
        assert_eq!(h.prefix(1), Hist::from_slice(&[t(1, 1, 1)]));
    }

    #[test]
    fn mask_set_operations() {
        let m = Mask::one(0).with(2);
        assert_eq!(m.len(), 2);
        assert!(m.contains(2) && !m.contains(1));
        assert_eq!(m.iter().collect::<Vec<_>>(), vec![0, 2]);
        assert_eq!(m.permute(&[2, 1, 0]), Mask::one(2).with(0));
        assert_eq!(format!("{m:?}"), "{s1,s3}");
    }
}
