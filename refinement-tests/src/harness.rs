//! The implementation side: a cluster of real `Replica`s on simulated disks, with a network
//! shaped like the model's (a one-slot, latest-wins election link per pair, as ZooKeeper's
//! per-peer send queue of capacity 1; FIFO quorum links), driven one model action at a time.

use crate::convert;
use std::collections::{BTreeMap, VecDeque};
use zab::replica::{
    Config, Fault, Input, Notification, Output, Packet, PeerMsg, Replica, ServerId,
};
use zab::sim::disk::Disk;
use zab::sim::values::Values;
use zab_model::types::{Mask, Sid};
use zab_model::State;

/// Ticks of silence after which a LOOKING replica re-sends its vote. Fixed (first value ==
/// largest), so a `Resend` is always this many ticks away.
pub const NOT_TIMEOUT: u64 = 2;
/// initLimit and syncLimit in ticks: protocol timeouts happen only when the model takes one.
pub const LIMIT: u64 = 4;

/// The implementation cluster.
#[derive(Clone)]
pub struct ImplCluster {
    pub n: usize,
    pub voters: usize,
    pub replicas: Vec<Option<Replica<Values>>>,
    pub disks: Vec<Disk>,
    /// Election links: at most one notification waiting per (from, to).
    pub election: BTreeMap<(Sid, Sid), Notification>,
    /// Quorum links: FIFO per (from, to). Pings are not modelled and never queued.
    pub quorum: BTreeMap<(Sid, Sid), VecDeque<PeerMsg>>,
    /// The side of the partition holding server 0, empty when healed (as the model's).
    pub partition: Mask,
    /// A deliberately wrong behaviour switched on in every replica (to show a check fails).
    pub fault: Option<Fault>,
}

impl ImplCluster {
    /// Replicas started from the durable part of a model state (its initial state).
    pub fn from_model(
        voters: usize,
        observers: usize,
        st: &State,
        fault: Option<Fault>,
    ) -> ImplCluster {
        let n = voters + observers;
        let mut c = ImplCluster {
            n,
            voters,
            replicas: (0..n).map(|_| None).collect(),
            disks: vec![Disk::default(); n],
            election: BTreeMap::new(),
            quorum: BTreeMap::new(),
            partition: Mask::EMPTY,
            fault,
        };
        for s in 0..n {
            let srv = st.server(s as Sid);
            let log: Vec<_> = srv
                .log
                .as_slice()
                .iter()
                .map(|t| convert::entry(*t))
                .collect();
            c.disks[s] =
                Disk::with_state(srv.accepted_epoch as u32, srv.current_epoch as u32, &log);
        }
        // All start together: each one's first votes find the others up.
        let outs: Vec<_> = (0..n as Sid).map(|s| c.boot(s)).collect();
        for (s, out) in outs.into_iter().enumerate() {
            c.route(s as Sid, out);
        }
        c
    }

    fn config(&self, s: Sid) -> Config {
        let ids: Vec<ServerId> = (0..self.n as Sid).map(convert::server).collect();
        let (voters, observers) = ids.split_at(self.voters);
        Config {
            init_limit: LIMIT,
            sync_limit: LIMIT,
            finalize_wait: 1,
            not_timeout: (NOT_TIMEOUT, NOT_TIMEOUT),
            seed: s as u64,
            fault: self.fault,
            ..Config::new(convert::server(s), voters, observers)
        }
    }

    /// (Re)starts a server from its disk.
    pub fn start(&mut self, s: Sid) {
        let out = self.boot(s);
        self.route(s, out);
    }

    fn boot(&mut self, s: Sid) -> Vec<Output<u64>> {
        let durable = self.disks[s as usize]
            .durable()
            .expect("a disk the harness wrote recovers");
        let (r, out) = Replica::new(self.config(s), durable, Values::default())
            .expect("the model's disks hold no snapshot the toy state machine cannot read");
        self.replicas[s as usize] = Some(r);
        out
    }

    pub fn up(&self, s: Sid) -> bool {
        self.replicas[s as usize].is_some()
    }

    /// The model's `reachable`: both up and on the same side of any partition.
    pub fn reachable(&self, a: Sid, b: Sid) -> bool {
        let side = |s: Sid| self.partition.contains(s);
        self.up(a) && self.up(b) && (self.partition.is_empty() || side(a) == side(b))
    }

    /// Feeds one input to a live server and routes its outputs.
    pub fn input(&mut self, s: Sid, input: Input) -> Vec<Output<u64>> {
        let Some(r) = self.replicas[s as usize].as_mut() else {
            return Vec::new();
        };
        let out = r.step(input);
        self.route(s, out.clone());
        out
    }

    /// Executes outputs in order, as a driver must.
    fn route(&mut self, s: Sid, out: Vec<Output<u64>>) {
        for o in out {
            let done = self.disks[s as usize].execute(o);
            match done.expect("the replica's disk outputs fit its disk") {
                Some(Output::Send { to, msg }) => self.send(s, convert::sid(to), msg),
                Some(Output::Disconnect { peer }) => self.drop_pair(s, convert::sid(peer)),
                _ => {}
            }
        }
    }

    fn send(&mut self, from: Sid, to: Sid, msg: PeerMsg) {
        if !self.reachable(from, to) {
            return;
        }
        match msg {
            PeerMsg::Election(n) => {
                self.election.insert((from, to), n);
            }
            PeerMsg::Quorum(Packet::Ping) => {}
            m @ PeerMsg::Quorum(_) => self.quorum.entry((from, to)).or_default().push_back(m),
        }
    }

    /// Both quorum queues between `a` and `b` are gone (the TCP connection closed).
    pub fn drop_pair(&mut self, a: Sid, b: Sid) {
        self.quorum.remove(&(a, b));
        self.quorum.remove(&(b, a));
    }

    /// Everything in flight from or to `s` is lost.
    pub fn drop_links_of(&mut self, s: Sid) {
        self.election.retain(|(f, t), _| *f != s && *t != s);
        self.quorum.retain(|(f, t), _| *f != s && *t != s);
    }

    pub fn crash(&mut self, s: Sid) {
        self.replicas[s as usize] = None;
        self.disks[s as usize].crash();
        self.drop_links_of(s);
    }

    pub fn partition(&mut self, side: Mask) {
        self.partition = side;
        let crosses = |a: Sid, b: Sid| side.contains(a) != side.contains(b);
        self.election.retain(|(f, t), _| !crosses(*f, *t));
        self.quorum.retain(|(f, t), _| !crosses(*f, *t));
    }

    /// Ticks `s` until `done` says so, at most `max` times; whether it did.
    pub fn tick_until(
        &mut self,
        s: Sid,
        max: u64,
        mut done: impl FnMut(&Replica<Values>, &[Output<u64>]) -> bool,
    ) -> bool {
        (0..max).any(|_| {
            let out = self.input(s, Input::Tick { now_ms: 0 });
            self.replicas[s as usize]
                .as_ref()
                .is_some_and(|r| done(r, &out))
        })
    }
}
