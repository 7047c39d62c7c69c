//! The implementation side: a cluster of real `Replica`s on simulated disks, driven one model
//! action at a time, inside the environment the model assumes:
//! - an election link holds one notification waiting (latest wins, as ZooKeeper's per-peer
//!   send queue of capacity one), behind those the model's `Transmit` put into TCP;
//! - a learner's quorum connection to its leader (`connection.rs`) opens when the model's
//!   learner connects and closes on a crash, a partition, a loss, or when either side gives
//!   up; the leader hears of a closed connection at once, the learner when the model says it
//!   notices;
//! - each server's sync thread is a queue: records handed over with `Append { fsync: false }`
//!   wait there until the model's `SyncFlush` writes and fsyncs the head;
//! - a follower's NEWLEADER handling emits its outputs in one step; they are held back and
//!   executed one model `NewLeaderStep` at a time, so a crash can fall between them, as the
//!   driver of a real server executes outputs one after another.

mod network;

pub use network::ElectionLink;

use crate::shared::connection::Connections;
use crate::shared::convert;
use crate::shared::divergence::{behaviour, Divergence, OrDivergence, R};
use crate::shared::machine::Txns;
use std::collections::{BTreeMap, VecDeque};
use zab::replica::{
    Bug, Config, Input, Output, Packet, PeerMsg, Replica, ServerId, ServerState, SyncSchedule,
};
use zab::sim::disk::Disk;
use zab::sim::net::{Link, Queues};
use zab::txn::TxnEntry;
use zab_model::types::{Mask, Sid};
use zab_model::State;

/// Ticks of silence after which a LOOKING replica re-sends its vote. Fixed (first value ==
/// largest), so a `Resend` is always this many ticks away.
pub const NOT_TIMEOUT: u64 = 2;
/// initLimit and syncLimit in ticks: protocol timeouts happen only when the model takes one.
pub const LIMIT: u64 = 4;

/// An output of a harness replica: the outcome of an applied transaction is its model value
/// (`Txns`).
pub type Out = Output<u64>;

/// The implementation cluster.
#[derive(Clone)]
pub struct ImplCluster {
    /// How many servers, voters then observers: model servers `0..n`.
    pub n: usize,
    /// How many of them vote; the rest observe.
    pub voters: usize,
    /// Per server, its replica while it runs; `None` while crashed.
    pub replicas: Vec<Option<Replica<Txns>>>,
    /// Per server, its in-memory disk, written by the same storage code as a server's; it
    /// outlives the replica across a crash (less what was not fsynced).
    pub disks: Vec<Disk>,
    /// Election links (never empty): per (from, to), the notifications in TCP and at most
    /// one waiting.
    pub election: BTreeMap<(Sid, Sid), ElectionLink>,
    /// Quorum links: FIFO per (from, to) (`quorum_link`). Pings are not modelled and never
    /// queued.
    pub quorum: Queues<Sid, Packet>,
    /// The learners' quorum connections as the model sees them.
    pub conns: Connections,
    /// Per server, the records its sync thread has not written yet.
    pub sync_queue: Vec<VecDeque<TxnEntry>>,
    /// Per server, the groups of outputs of a NEWLEADER handling not yet executed: logging,
    /// the epoch write, the ACK.
    pub held: Vec<VecDeque<Vec<Out>>>,
    /// The side of the partition holding server 0, empty when healed (as the model's).
    pub partition: Mask,
    /// A deliberately wrong behaviour switched on in every replica (to show a check fails).
    pub bug: Option<Bug>,
    /// Driven by the model (handlers sync when told, NEWLEADER outputs held for its steps),
    /// or running as a server does (`impl_to_model::validate`).
    pub driven: bool,
    /// Per server, the read index its replica gave its open linearizable read
    /// (`Output::ReadIndex`): the server's driver holds it until the read is answered.
    pub ready_reads: Vec<Option<zab::Zxid>>,
}

impl ImplCluster {
    /// Replicas started from the durable part of a model state (its initial state), to be
    /// driven by the model's actions.
    pub fn from_model(
        voters: usize,
        observers: usize,
        st: &State,
        bug: Option<Bug>,
    ) -> ImplCluster {
        ImplCluster::start_all(voters, observers, st, bug, true)
    }

    /// The same cluster running as servers run: each handler syncs its learner as soon as it
    /// can, a NEWLEADER handling's outputs are executed at once.
    pub fn free_running(
        voters: usize,
        observers: usize,
        st: &State,
        bug: Option<Bug>,
    ) -> ImplCluster {
        ImplCluster::start_all(voters, observers, st, bug, false)
    }

    fn start_all(
        voters: usize,
        observers: usize,
        st: &State,
        bug: Option<Bug>,
        driven: bool,
    ) -> ImplCluster {
        let n = voters + observers;
        let mut c = ImplCluster {
            n,
            voters,
            replicas: (0..n).map(|_| None).collect(),
            disks: vec![Disk::default(); n],
            election: BTreeMap::new(),
            quorum: Queues::default(),
            conns: Connections::new(n),
            sync_queue: vec![VecDeque::new(); n],
            held: vec![VecDeque::new(); n],
            partition: Mask::EMPTY,
            bug,
            driven,
            ready_reads: vec![None; n],
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
        let outs: Vec<_> = (0..n as Sid)
            .map(|s| c.boot(s).expect("a model's initial disk starts"))
            .collect();
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
            bug: self.bug,
            sync_schedule: if self.driven {
                SyncSchedule::Driven
            } else {
                SyncSchedule::Eager
            },
            ..Config::new(convert::server(s), voters, observers)
        }
    }

    /// (Re)starts a server from its disk.
    pub fn start(&mut self, s: Sid) -> R<()> {
        let out = self.boot(s)?;
        self.route(s, out);
        Ok(())
    }

    fn boot(&mut self, s: Sid) -> R<Vec<Out>> {
        let durable = self.disks[s as usize]
            .durable()
            .map_err(|source| Divergence::Storage {
                what: "the server does not start from its disk".into(),
                source: Box::new(source),
            })?;
        let (r, out) = Replica::new(self.config(s), durable, Txns::default())
            .map_err(|e| behaviour(format!("the server does not start: {e}")))?;
        self.replicas[s as usize] = Some(r);
        Ok(out)
    }

    /// Whether server `s` is running (the model's `up`).
    pub fn up(&self, s: Sid) -> bool {
        self.replicas[s as usize].is_some()
    }

    /// Server `s`'s replica; `None` while it is down.
    pub fn replica(&self, s: Sid) -> Option<&Replica<Txns>> {
        self.replicas[s as usize].as_ref()
    }

    /// The model's `reachable`: both up and on the same side of any partition.
    pub fn reachable(&self, a: Sid, b: Sid) -> bool {
        let side = |s: Sid| self.partition.contains(s);
        self.up(a) && self.up(b) && side(a) == side(b)
    }

    /// Feeds one input to a live server, then executes its outputs in order.
    pub fn input(&mut self, s: Sid, input: Input) -> Vec<Out> {
        let out = self.step(s, input);
        self.route(s, out.clone());
        out
    }

    /// Feeds one input to a live server and returns its outputs without executing them.
    pub fn step(&mut self, s: Sid, input: Input) -> Vec<Out> {
        match self.replicas[s as usize].as_mut() {
            Some(r) => r.step(input),
            None => Vec::new(),
        }
    }

    /// Executes outputs in order, as a driver must.
    pub fn route(&mut self, s: Sid, out: Vec<Out>) {
        for o in out {
            match o {
                Output::Send { to, msg } => self.send(s, convert::sid(to), msg),
                Output::Disconnect { peer } => self.disconnect(s, convert::sid(peer)),
                Output::Append {
                    entries,
                    fsync: false,
                } => self.sync_queue[s as usize].extend(entries),
                Output::Append {
                    entries,
                    fsync: true,
                } => {
                    // Everything handed to the sync thread before goes first.
                    let mut all: Vec<TxnEntry> = self.sync_queue[s as usize].drain(..).collect();
                    all.extend(entries);
                    self.disks[s as usize]
                        .append_synced(&all)
                        .expect("the replica's appends fit its disk");
                }
                Output::RoleChanged { state, leader, .. } => self.role_changed(s, state, leader),
                Output::ReadIndex { zxid, .. } => self.ready_reads[s as usize] = Some(zxid),
                Output::ReadFailed { .. } => self.ready_reads[s as usize] = None,
                disk => {
                    self.disks[s as usize]
                        .execute(disk)
                        .expect("the replica's disk outputs fit its disk");
                }
            }
        }
    }

    /// Whether `s` has a linearizable read open: waiting for its read index, or holding it.
    pub fn read_open(&self, s: Sid) -> bool {
        self.ready_reads[s as usize].is_some()
            || self.replica(s).is_some_and(|r| r.awaits_read_index())
    }

    /// Whether `s`'s driver can answer its open read: it holds the read index and its replica
    /// has applied up to it.
    pub fn read_servable(&self, s: Sid) -> bool {
        let applied = self.replica(s).map(|r| r.committed());
        self.ready_reads[s as usize].is_some_and(|z| applied >= Some(z))
    }

    /// Delivers the head of the quorum link `from → to`; when driven, the outputs of a
    /// NEWLEADER are held back in their three groups.
    pub fn deliver(&mut self, from: Sid, to: Sid) -> R<Packet> {
        let p = self
            .quorum
            .pop(quorum_link(from, to))
            .absent("no packet waiting on the implementation's link")?;
        let input = Input::Peer {
            from: convert::server(from),
            msg: PeerMsg::Quorum(p.clone()),
        };
        if self.driven && matches!(p, Packet::NewLeader { .. }) {
            let out = self.step(to, input);
            match split_newleader(out) {
                Ok(groups) => self.held[to as usize] = groups,
                Err(out) => self.route(to, out),
            }
        } else {
            self.input(to, input);
        }
        Ok(p)
    }

    /// Executes the next held group of a NEWLEADER handling.
    pub fn newleader_step(&mut self, s: Sid) -> R<()> {
        let group = self.held[s as usize]
            .pop_front()
            .absent("no NEWLEADER handling in progress")?;
        self.route(s, group);
        Ok(())
    }

    /// The sync thread of `s` writes and fsyncs the head of its queue, then reports it.
    pub fn flush_one(&mut self, s: Sid) -> R<TxnEntry> {
        let e = self.sync_queue[s as usize]
            .pop_front()
            .absent("the sync thread's queue is empty")?;
        self.disks[s as usize]
            .append_synced(std::slice::from_ref(&e))
            .map_err(sync_thread_write)?;
        self.input(s, Input::Fsynced { zxid: e.zxid() });
        Ok(e)
    }

    /// The sync thread of `s` writes and fsyncs everything queued (a group commit), then
    /// reports the last record.
    pub fn flush_all(&mut self, s: Sid) -> R<usize> {
        let batch: Vec<TxnEntry> = self.sync_queue[s as usize].drain(..).collect();
        let Some(last) = batch.last().map(|e| e.zxid()) else {
            return Ok(0);
        };
        self.disks[s as usize]
            .append_synced(&batch)
            .map_err(sync_thread_write)?;
        self.input(s, Input::Fsynced { zxid: last });
        Ok(batch.len())
    }

    /// Ticks `s` until `done` says so, at most `max` times; whether it did.
    pub fn tick_until(
        &mut self,
        s: Sid,
        max: u64,
        mut done: impl FnMut(&Replica<Txns>, &[Out]) -> bool,
    ) -> bool {
        (0..max).any(|_| {
            let out = self.input(s, Input::Tick { now_ms: 0 });
            self.replica(s).is_some_and(|r| done(r, &out))
        })
    }

    /// Runs leader `s`'s clock until initLimit/syncLimit makes it give up (LOOKING).
    pub fn leader_gives_up(&mut self, s: Sid) -> R<()> {
        let looking = |r: &Replica<Txns>, _: &[Out]| r.server_state() == ServerState::Looking;
        if self.tick_until(s, 2 * LIMIT + 2, looking) {
            Ok(())
        } else {
            Err(behaviour(
                "the leader did not give up within initLimit/syncLimit",
            ))
        }
    }
}

/// The quorum link from `from` to `to`, as `ImplCluster::quorum` keys it.
pub fn quorum_link(from: Sid, to: Sid) -> Link<Sid> {
    Link::new(from, to, zab::replica::Plane::Quorum)
}

fn sync_thread_write(source: zab::storage::StorageError) -> Divergence {
    let what = "sync thread write".into();
    Divergence::Storage {
        what,
        source: Box::new(source),
    }
}

/// The outputs of a NEWLEADER handling in the model's three steps: what logs (a snapshot,
/// the synced records), the currentEpoch write, the rest (the ACK). Outputs without an epoch
/// write are not a NEWLEADER handling and come back as they are.
fn split_newleader(out: Vec<Out>) -> Result<VecDeque<Vec<Out>>, Vec<Out>> {
    let Some(at) = out
        .iter()
        .position(|o| matches!(o, Output::SaveCurrentEpoch(_)))
    else {
        return Err(out);
    };
    let mut out = out;
    let ack = out.split_off(at + 1);
    let epoch = out.split_off(at);
    Ok(VecDeque::from([out, epoch, ack]))
}
