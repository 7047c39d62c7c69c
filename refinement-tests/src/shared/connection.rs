//! Learners' quorum connections as the model sees them (`Conn` in `zab-model`'s state): a
//! learner that decided to follow a leader has not connected yet (what it sends waits); then
//! its connection is open; then it is closed until the learner notices and leaves.

use crate::shared::divergence::{Divergence, R};
use zab::replica::Packet;
use zab_model::state::Conn;
use zab_model::types::Sid;

/// The state of one learner's connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnState {
    /// The learner decided to follow and has not connected: what it sends (its FOLLOWERINFO) is
    /// held until the model's `Connect`.
    NotYet,
    /// Connected: packets flow both ways, FIFO.
    Open,
    /// Broken or given up (crash, partition, loss, either side leaving); the learner has not
    /// noticed yet, which the model's `LearnerTimeout` does.
    Closed,
}

impl ConnState {
    /// The same state as the model's `Conn`, for the view.
    pub fn model(self) -> Conn {
        match self {
            ConnState::NotYet => Conn::NotYet,
            ConnState::Open => Conn::Open,
            ConnState::Closed => Conn::Closed,
        }
    }
}

#[derive(Clone, Debug)]
struct Learner {
    leader: Sid,
    state: ConnState,
    /// What the learner sent before its connection opened (its FOLLOWERINFO).
    held: Vec<Packet>,
}

/// Per server: the connection it has as a learner, if it is one.
#[derive(Clone, Debug)]
pub struct Connections(Vec<Option<Learner>>);

impl Connections {
    /// `n` servers, none of them a learner yet.
    pub fn new(n: usize) -> Connections {
        Connections(vec![None; n])
    }

    /// `s` decided to follow `leader` (nothing changes if it already does).
    pub fn follow(&mut self, s: Sid, leader: Sid) {
        let slot = &mut self.0[s as usize];
        if slot.as_ref().map(|l| l.leader) != Some(leader) {
            *slot = Some(Learner {
                leader,
                state: ConnState::NotYet,
                held: Vec::new(),
            });
        }
    }

    /// `s` is no learner any more.
    pub fn forget(&mut self, s: Sid) {
        self.0[s as usize] = None;
    }

    /// The leader `s` follows, whatever the state of its connection; `None` if `s` is no
    /// learner.
    pub fn leader_of(&self, s: Sid) -> Option<Sid> {
        self.0[s as usize].as_ref().map(|l| l.leader)
    }

    /// The state of `s`'s connection; `None` if `s` is no learner.
    pub fn state(&self, s: Sid) -> Option<ConnState> {
        self.0[s as usize].as_ref().map(|l| l.state)
    }

    /// The leader of `s` if its connection is open.
    pub fn open_leader(&self, s: Sid) -> Option<Sid> {
        self.0[s as usize]
            .as_ref()
            .filter(|l| l.state == ConnState::Open)
            .map(|l| l.leader)
    }

    /// The learner of the connection between `a` and `b`, and its state.
    pub fn between(&self, a: Sid, b: Sid) -> Option<(Sid, ConnState)> {
        [(a, b), (b, a)].into_iter().find_map(|(learner, leader)| {
            self.0[learner as usize]
                .as_ref()
                .filter(|l| l.leader == leader)
                .map(|l| (learner, l.state))
        })
    }

    /// Learners whose connection to `leader` is open.
    pub fn learners_of(&self, leader: Sid) -> Vec<Sid> {
        (0..self.0.len() as Sid)
            .filter(|&j| self.open_leader(j) == Some(leader))
            .collect()
    }

    /// Sets the state of `s`'s connection (nothing if `s` is no learner); what it held for the
    /// connection is dropped.
    pub fn set(&mut self, s: Sid, state: ConnState) {
        if let Some(l) = self.0[s as usize].as_mut() {
            l.state = state;
            l.held.clear();
        }
    }

    /// Holds a packet `s` sends before its connection opens (its FOLLOWERINFO) until `open`
    /// hands it over.
    pub fn hold(&mut self, s: Sid, p: Packet) {
        if let Some(l) = self.0[s as usize].as_mut() {
            l.held.push(p);
        }
    }

    /// Opens the connection of `s`: its leader and what it sent while connecting.
    pub fn open(&mut self, s: Sid) -> R<(Sid, Vec<Packet>)> {
        match self.0[s as usize].as_mut() {
            Some(l) if l.state == ConnState::NotYet => {
                l.state = ConnState::Open;
                Ok((l.leader, std::mem::take(&mut l.held)))
            }
            other => Err(Divergence::Absent(format!(
                "no connection to open: {other:?}"
            ))),
        }
    }
}
