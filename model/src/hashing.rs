//! Compact `Hash` implementations for the state. The checker fingerprints every successor it
//! generates, and field-by-field derived hashing made that half of the checking time. Each
//! value is packed into a few machine words and written at once. Every field that `Eq`
//! compares is packed, so equal values hash equally.

use crate::msg::{Link, Msg, Notification, Packet, Plane, Vote};
use crate::state::{
    Ballot, Conn, Env, Fle, Ghost, Handler, LeaderState, LearnerState, Read, Server, SyncMode,
};
use crate::types::{Hist, Phase, ServerState, Txn, Zxid};
use std::hash::{Hash, Hasher};

fn zxid(z: Zxid) -> u64 {
    ((z.epoch as u64) << 8) | z.counter as u64
}

fn txn(t: Txn) -> u64 {
    (zxid(t.zxid) << 8) | t.value as u64
}

/// A history in 99 bits: four 24-bit transactions and the length.
pub fn hist(h: &Hist) -> u128 {
    let mut acc = h.len() as u128;
    for t in h.as_slice() {
        acc = (acc << 24) | txn(*t) as u128;
    }
    acc
}

fn role(r: ServerState) -> u64 {
    r as u64
}

fn phase(p: Phase) -> u64 {
    p as u64
}

fn opt_sid(s: Option<u8>) -> u64 {
    s.map(|v| v as u64 + 1).unwrap_or(0)
}

fn vote(v: &Vote) -> u64 {
    (opt_sid(v.leader) << 24) | (zxid(v.zxid) << 8) | v.epoch as u64
}

fn ballot(b: &Option<Ballot>) -> u64 {
    match b {
        None => 0,
        Some(b) => (1 << 63) | (vote(&b.vote) << 16) | ((b.round as u64) << 8) | role(b.state),
    }
}

impl Hash for Zxid {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u16(zxid(*self) as u16);
    }
}

impl Hash for Txn {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u32(txn(*self) as u32);
    }
}

impl Hash for Hist {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u128(hist(self));
    }
}

impl Hash for Vote {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(vote(self));
    }
}

impl Hash for Notification {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64((vote(&self.vote) << 16) | ((self.round as u64) << 8) | role(self.state));
    }
}

fn msg_word(m: &Msg) -> (u64, Option<u128>) {
    let (tag, payload, extra) = match *m {
        Msg::FollowerInfo { accepted_epoch } => (1, accepted_epoch as u64, None),
        Msg::LeaderInfo { epoch } => (2, epoch as u64, None),
        Msg::AckEpoch {
            current_epoch,
            last,
        } => (3, (opt_sid(current_epoch) << 16) | zxid(last), None),
        Msg::Diff { zxid: z } => (4, zxid(z), None),
        Msg::Trunc { zxid: z } => (5, zxid(z), None),
        Msg::Snap { zxid: z, snapshot } => (6, zxid(z), Some(hist(&snapshot))),
        Msg::Proposal { txn: t } => (7, txn(t), None),
        Msg::Commit { zxid: z } => (8, zxid(z), None),
        Msg::NewLeader { epoch } => (9, epoch as u64, None),
        Msg::Ack { zxid: z } => (10, zxid(z), None),
        Msg::UpToDate => (11, 0, None),
        Msg::Inform { txn: t } => (12, txn(t), None),
        Msg::Request { value } => (13, value as u64, None),
        Msg::ReadIndex => (14, 0, None),
        Msg::Confirm { round } => (15, round as u64, None),
        Msg::ConfirmAck { round } => (16, round as u64, None),
        Msg::ReadIndexReply { zxid: z } => (17, zxid(z), None),
    };
    ((tag << 40) | payload, extra)
}

impl Hash for Msg {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let (w, extra) = msg_word(self);
        state.write_u64(w);
        if let Some(x) = extra {
            state.write_u128(x);
        }
    }
}

impl Hash for Packet {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Packet::Election(n) => {
                state.write_u8(0);
                n.hash(state);
            }
            Packet::Quorum(m) => {
                state.write_u8(1);
                m.hash(state);
            }
        }
    }
}

impl Hash for Link {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let plane = match self.plane {
            Plane::Election => 0,
            Plane::Quorum => 1,
        };
        state.write_u32(((self.from as u32) << 16) | ((self.to as u32) << 8) | plane);
    }
}

fn handler(h: Handler) -> u64 {
    h as u64
}

impl Hash for LeaderState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let a = (self.epoch as u64)
            | ((self.epoch_fixed as u64) << 8)
            | ((self.epoch_acked as u64) << 9)
            | ((self.established as u64) << 10)
            | ((self.connecting.0 as u64) << 16)
            | ((self.electing.0 as u64) << 24)
            | ((self.newleader_acks.0 as u64) << 32);
        let mut hs = 0u64;
        for h in self.handler {
            hs = (hs << 4) | handler(h);
        }
        let mut peers = 0u128;
        for z in self.peer_last {
            peers = (peers << 16) | zxid(z) as u128;
        }
        let mut acks = 0u64;
        for m in self.acks {
            acks = (acks << 8) | m.0 as u64;
        }
        state.write_u64(a);
        state.write_u64(hs);
        state.write_u128(peers);
        state.write_u64(acks);
        let round = match self.read_round {
            None => 0,
            Some(r) => {
                (1 << 40)
                    | ((r.round as u64) << 32)
                    | (zxid(r.index) << 16)
                    | ((r.waiting.0 as u64) << 8)
                    | r.acks.0 as u64
            }
        };
        state.write_u64(
            round | ((self.read_queue.0 as u64) << 48) | ((self.read_rounds as u64) << 56),
        );
    }
}

fn conn(c: Conn) -> u64 {
    c as u64
}

fn sync_mode(m: SyncMode) -> u64 {
    m as u64
}

impl Hash for LearnerState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(
            opt_sid(self.leader)
                | (conn(self.conn) << 8)
                | (sync_mode(self.sync_mode) << 12)
                | (opt_sid(self.newleader) << 16)
                | ((self.nl_steps as u64) << 32)
                | ((self.synced as u64) << 40),
        );
        state.write_u128(hist(&self.pnl));
        state.write_u128(hist(&self.pc));
    }
}

impl Hash for Server {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(
            (self.accepted_epoch as u64)
                | ((self.current_epoch as u64) << 8)
                | ((self.up as u64) << 16)
                | (role(self.role) << 17)
                | (phase(self.phase) << 20)
                | ((self.stale_unsynced as u64) << 24)
                | ((self.committed as u64) << 32)
                | (zxid(self.last_processed) << 40)
                | ((self.log_snap as u64) << 56)
                | ((self.hist_snap as u64) << 60),
        );
        state.write_u128(hist(&self.log));
        state.write_u128(hist(&self.hist));
        state.write_u128(hist(&self.unsynced));
        self.leader.hash(state);
        self.learner.hash(state);
        let read = match self.read {
            Read::Idle => 0,
            Read::Asked => 1,
            Read::Ready(z) => 2 | (zxid(z) << 2),
        };
        state.write_u64(read | (zxid(self.read_floor) << 24));
    }
}

impl Hash for Fle {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(
            (vote(&self.vote) << 17)
                | ((self.draining as u64) << 16)
                | ((self.round as u64) << 8)
                | self.vote_round as u64,
        );
        for b in self.recv.iter().chain(self.ooe.iter()) {
            state.write_u64(ballot(b));
        }
    }
}

impl Hash for Env {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(
            (self.crashes as u64)
                | ((self.partitions as u64) << 8)
                | ((self.losses as u64) << 16)
                | ((self.partition.0 as u64) << 24)
                | ((self.transmits as u64) << 32)
                | ((self.premature_timeouts as u64) << 40),
        );
    }
}

impl Hash for Ghost {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Ten 8-bit masks: 80 bits, so a u128 (a u64 would shift the first epochs out and
        // merge states that differ only in them).
        let mut leaders = 0u128;
        for m in self.epoch_leaders {
            leaders = (leaders << 8) | m.0 as u128;
        }
        state.write_u64(
            (self.requests as u64)
                | ((self.violations as u64) << 8)
                | ((self.informed as u64) << 24)
                | ((self.reads as u64) << 32)
                | ((self.read_served as u64) << 40),
        );
        state.write_u128(leaders);
        let mut when = 0u64;
        for e in self.committed_in {
            when = (when << 8) | e as u64;
        }
        state.write_u64(when);
        state.write_u128(hist(&self.proposed));
        state.write_u128(hist(&self.committed));
    }
}
