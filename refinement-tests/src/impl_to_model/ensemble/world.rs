//! A real ensemble rebuilt from its servers' traces: each server's replica re-run through its
//! recorded inputs (checked output for output against the record), its disk as its outputs
//! and its group commits leave it, the packets in flight between servers, and the learners'
//! connections as the model sees them.

use crate::shared::abstraction::implementation::DiskView;
use crate::shared::connection::{ConnState, Connections};
use crate::shared::convert;
use crate::shared::divergence::{behaviour, Divergence, OrDivergence, R};
use std::collections::{HashMap, HashSet, VecDeque};
use zab::database::ZkDatabase;
use zab::replica::{Input, Output, Packet, PeerMsg, Plane, Replica};
use zab::server::trace::{effects, MsgId, Record, SendNumbers};
use zab::sim::net::{Link, Queues};
use zab::txn::TxnEntry;
use zab::Zxid;
use zab_model::types::Sid;

mod connections;

/// A packet between two servers that was sent and not yet received.
#[derive(Clone, Debug)]
pub struct Flight {
    /// The message as sent: a notification or a quorum packet.
    pub msg: PeerMsg,
    /// For a SNAP, the transactions its snapshot holds.
    pub snap: Option<Vec<(Zxid, u64)>>,
    /// The model no longer has it (its connection closed, its receiver crashed): a receipt
    /// changes nothing there.
    pub lost: bool,
    /// A notification the model does not send: a vote re-sent before what was in flight was
    /// read, or the reply to one. Its receipt must change nothing.
    pub redundant: bool,
    /// When it was sent (a counter over the run).
    pub seq: u64,
    /// Its identity, as the sender numbered it (`trace::MsgId`); a receipt that recorded one
    /// reads exactly this flight.
    pub id: MsgId,
}

/// One server of the rebuilt ensemble: its recorded trace, how far it was taken, and what
/// re-running it left.
#[derive(Clone)]
pub struct Server {
    /// Its recorded trace: a start record at every (re)start, then one step record per input
    /// with its effects.
    pub records: Vec<Record>,
    /// The next record to take.
    pub next: usize,
    /// Its replica, re-run through the records taken; it stays after the process is killed
    /// until the model's crash is placed.
    pub replica: Option<Replica<ZkDatabase>>,
    /// The process died (killed); its replica stays until the model's crash is placed.
    pub dead: bool,
    /// The model crashed it.
    pub down: bool,
    /// Its disk as its outputs and fsyncs left it, as the abstraction reads a disk: the
    /// epochs as last written (or as recovery found them at a start: it may have repaired
    /// currentEpoch from the updatingEpoch marker), the snapshot's transactions then the
    /// fsynced log records, with model values.
    pub disk: DiskView,
    /// Records handed to the sync thread and not yet fsynced.
    pub pending: Vec<(Zxid, u64)>,
    /// The transactions of the replica's in-memory base snapshot.
    pub base: Vec<(Zxid, u64)>,
    /// Peers that closed their connection to this server.
    pub closed_by: HashSet<Sid>,
    /// The read index its replica gave its client's open linearizable read, until the server
    /// has applied up to it and answers (as its shell does, right after that step).
    pub ready_read: Option<Zxid>,
}

/// The state machine every replica starts from (zabd's empty database, or the simulator's
/// with its clients' sessions open).
pub type Genesis = std::sync::Arc<dyn Fn() -> ZkDatabase + Send + Sync>;

/// The rebuilt ensemble: every server, the packets in flight between them, the learners'
/// connections and the client writes' model values. The abstraction reads it (it is `Observed`)
/// to compare with the model's view.
#[derive(Clone)]
pub struct World {
    /// The servers, by model id.
    pub servers: Vec<Server>,
    genesis: Genesis,
    /// Packets sent and not yet received, per link, in send order. A receipt takes its copy
    /// off the link; what was ahead of it never arrives.
    pub net: Queues<Sid, Flight>,
    /// Learners' quorum connections as the model sees them, derived from role changes,
    /// connections opening and disconnections.
    pub conns: Connections,
    /// Each accepted client write's model value, by (session, cxid).
    pub values: HashMap<(i64, i32), u64>,
    /// Packets sent so far.
    pub sent: u64,
    /// Each server's numbering of its current life's messages.
    sends: Vec<SendNumbers>,
}

impl World {
    /// The world before any record is taken, for `traces` (one per server, in server order):
    /// every server down, nothing in flight.
    pub fn new(traces: Vec<Vec<Record>>, genesis: Genesis) -> World {
        let n = traces.len();
        let servers = traces
            .into_iter()
            .map(|records| Server {
                records,
                next: 0,
                replica: None,
                dead: false,
                down: true,
                disk: DiskView::default(),
                pending: Vec::new(),
                base: Vec::new(),
                closed_by: HashSet::new(),
                ready_read: None,
            })
            .collect();
        World {
            servers,
            genesis,
            net: Queues::default(),
            conns: Connections::new(n),
            values: HashMap::new(),
            sent: 0,
            sends: vec![SendNumbers::default(); n],
        }
    }

    pub(super) fn entry_value(&self, e: &TxnEntry) -> u64 {
        let key = (e.header.session_id, e.header.cxid);
        self.values.get(&key).copied().unwrap_or(u64::MAX)
    }

    /// A server's in-memory history: its base snapshot's transactions, then its log.
    pub fn hist(&self, s: Sid) -> Vec<(Zxid, u64)> {
        let srv = &self.servers[s as usize];
        let mut h = srv.base.clone();
        if let Some(r) = &srv.replica {
            h.extend(r.log().iter().map(|e| (e.zxid(), self.entry_value(e))));
        }
        h
    }

    /// Starts (or restarts) `s` from its start record.
    pub fn start(&mut self, s: Sid, index: usize) -> R<()> {
        let Record::Start {
            life,
            config,
            durable,
            effects: recorded,
            ..
        } = self.servers[s as usize].records[index].clone()
        else {
            return Err(Divergence::Trace("not a start record".into()));
        };
        let (r, out) = Replica::new(config, durable.clone(), (self.genesis)())
            .map_err(|e| behaviour(format!("s{} does not start: {e}", s + 1)))?;
        check(s, index, &recorded, &out)?;
        let srv = &mut self.servers[s as usize];
        srv.replica = Some(r);
        srv.dead = false;
        srv.down = false;
        srv.closed_by.clear();
        srv.ready_read = None;
        // Recovery may have repaired currentEpoch (the updatingEpoch marker).
        srv.disk.accepted_epoch = durable.accepted_epoch;
        srv.disk.current_epoch = durable.current_epoch;
        // What recovery found is what the disk as rebuilt holds.
        let logged: Vec<Zxid> = durable.log.iter().map(|e| e.zxid()).collect();
        let on_disk: Vec<Zxid> = srv.disk.txns[srv.disk.snap..].iter().map(|t| t.0).collect();
        if logged != on_disk && durable.snapshot.is_none() {
            return Err(behaviour(format!(
                "s{} recovered {logged:?}, its disk holds {on_disk:?}",
                s + 1
            )));
        }
        srv.base = srv.disk.txns[..srv.disk.snap].to_vec();
        self.sends[s as usize] = SendNumbers::new(life);
        self.execute(s, out, &[]);
        Ok(())
    }

    /// Takes `s`'s step record `index`: the input, then the outputs.
    pub fn step(&mut self, s: Sid, index: usize) -> R<()> {
        let Record::Step {
            input,
            received,
            effects: recorded,
            ..
        } = self.servers[s as usize].records[index].clone()
        else {
            return Err(Divergence::Trace("not a step record".into()));
        };
        self.before(s, &input, received, &recorded)?;
        let snapshots = recorded
            .iter()
            .any(|e| matches!(e, zab::server::trace::Effect::InstallSnapshot { .. }));
        let prior = if snapshots { self.hist(s) } else { Vec::new() };
        let out = self.servers[s as usize]
            .replica
            .as_mut()
            .absent("a step of a server that is not running")?
            .step(input);
        check(s, index, &recorded, &out)?;
        self.execute(s, out, &prior);
        self.answer_read(s);
        Ok(())
    }

    /// The server answers its open read once it has applied up to the read index (the
    /// model's `ReadServe`, in the step that applied it).
    fn answer_read(&mut self, s: Sid) {
        let srv = &mut self.servers[s as usize];
        let applied = srv.replica.as_ref().map(|r| r.committed());
        if srv.ready_read.is_some_and(|z| applied >= Some(z)) {
            srv.ready_read = None;
        }
    }

    /// What an input changes before the replica sees it.
    fn before(
        &mut self,
        s: Sid,
        input: &Input,
        received: Option<MsgId>,
        recorded: &[zab::server::trace::Effect],
    ) -> R<()> {
        match input {
            Input::Peer {
                msg: PeerMsg::Quorum(Packet::Ping),
                ..
            } => {}
            Input::Peer { from, msg } => {
                let f = self
                    .receive(convert::sid(*from), s, msg, received)
                    .absent("no such packet in flight")?;
                if let Some(snap) = f.snap {
                    self.servers[s as usize].base = snap;
                }
            }
            Input::Write {
                session_id, cxid, ..
            } => {
                let rejected = recorded
                    .iter()
                    .any(|e| matches!(e, zab::server::trace::Effect::WriteRejected { .. }));
                if !rejected {
                    let value = self.values.len() as u64 + 1;
                    self.values.insert((*session_id, *cxid), value);
                }
            }
            Input::Disconnected { peer } => self.broken(s, convert::sid(*peer)),
            Input::Fsynced { zxid } => {
                let srv = &mut self.servers[s as usize];
                let (done, rest): (Vec<_>, Vec<_>) = srv.pending.iter().partition(|t| t.0 <= *zxid);
                srv.disk.txns.extend(done);
                srv.pending = rest;
            }
            _ => {}
        }
        Ok(())
    }

    /// Marks redundant every notification sent after `since` (a counter value).
    pub fn mark_redundant(&mut self, since: u64) {
        for (link, f) in self.net.messages_mut() {
            if link.plane == Plane::Election && f.seq > since {
                f.redundant = true;
            }
        }
    }

    /// The flight a receipt of `msg` from `from` to `to`, recorded as `id`, would take off its
    /// link.
    pub fn flight(&self, from: Sid, to: Sid, msg: &PeerMsg, id: Option<MsgId>) -> Option<&Flight> {
        let q = self.net.queue(Link::new(from, to, msg.plane()))?;
        q.get(read_at(q, msg, id)?)
    }

    /// Whether `msg` from `from`, sent as `id`, waits on its link to `to`.
    pub fn in_flight(&self, from: Sid, to: Sid, msg: &PeerMsg, id: Option<MsgId>) -> bool {
        self.flight(from, to, msg, id).is_some()
    }

    /// Takes `msg` off its link; what was ahead of it never arrives.
    fn receive(&mut self, from: Sid, to: Sid, msg: &PeerMsg, id: Option<MsgId>) -> Option<Flight> {
        let q = self.net.queue_mut(Link::new(from, to, msg.plane()))?;
        let at = read_at(q, msg, id)?;
        q.drain(..at);
        q.pop_front()
    }

    /// Carries out a step's outputs; `prior` is the replica's history before the step (empty
    /// for a start).
    fn execute(
        &mut self,
        s: Sid,
        out: Vec<Output<zab::data_tree::ApplyOutcome>>,
        prior: &[(Zxid, u64)],
    ) {
        for o in out {
            match o {
                Output::Send { to, msg } => {
                    let id = self.sends[s as usize].next(to);
                    self.send(s, convert::sid(to), msg, id)
                }
                Output::Disconnect { peer } => self.disconnect(s, convert::sid(peer)),
                Output::SaveAcceptedEpoch(e) => self.servers[s as usize].disk.accepted_epoch = e,
                Output::SaveCurrentEpoch(e) => self.servers[s as usize].disk.current_epoch = e,
                Output::Append { entries, fsync } => {
                    let txns: Vec<_> = entries
                        .iter()
                        .map(|e| (e.zxid(), self.entry_value(e)))
                        .collect();
                    let srv = &mut self.servers[s as usize];
                    if fsync {
                        let pending = std::mem::take(&mut srv.pending);
                        srv.disk.txns.extend(pending);
                        srv.disk.txns.extend(txns);
                    } else {
                        srv.pending.extend(txns);
                    }
                }
                Output::Truncate { zxid } => {
                    let srv = &mut self.servers[s as usize];
                    srv.disk.txns.retain(|t| t.0 <= zxid);
                    srv.pending.retain(|t| t.0 <= zxid);
                }
                Output::InstallSnapshot { zxid, .. } | Output::SaveSnapshot { zxid, .. } => {
                    // After TRUNC, NEWLEADER snapshots what the step itself took out of the
                    // replica's log: the history before the step holds it.
                    let mut hist = self.hist(s);
                    if !hist.iter().any(|t| t.0 == zxid) && prior.iter().any(|t| t.0 == zxid) {
                        hist = prior.to_vec();
                    }
                    let upto: Vec<_> = hist.into_iter().filter(|t| t.0 <= zxid).collect();
                    let srv = &mut self.servers[s as usize];
                    srv.disk.txns = upto.clone();
                    srv.disk.snap = upto.len();
                    srv.pending.retain(|t| t.0 > zxid);
                    srv.base = upto;
                }
                Output::RoleChanged { state, leader, .. } => self.role_changed(s, state, leader),
                Output::ReadIndex { zxid, .. } => self.servers[s as usize].ready_read = Some(zxid),
                Output::ReadFailed { .. } => self.servers[s as usize].ready_read = None,
                _ => {}
            }
        }
    }

    fn send(&mut self, from: Sid, to: Sid, msg: PeerMsg, id: MsgId) {
        if matches!(msg, PeerMsg::Quorum(Packet::Ping)) || self.servers[to as usize].down {
            return;
        }
        let election = matches!(msg, PeerMsg::Election(_));
        let first = matches!(msg, PeerMsg::Quorum(Packet::FollowerInfo { .. }));
        if !election && !first && self.conns.between(from, to).map(|c| c.1) != Some(ConnState::Open)
        {
            return; // no open connection: it goes nowhere, as in the model
        }
        let snap = match &msg {
            PeerMsg::Quorum(Packet::Snap { zxid, .. }) => Some(
                self.hist(from)
                    .into_iter()
                    .filter(|t| t.0 <= *zxid)
                    .collect(),
            ),
            _ => None,
        };
        self.sent += 1;
        let link = Link::new(from, to, msg.plane());
        if let Some(q) = self.net.queue_mut(link).filter(|_| first) {
            // A new connection attempt: an earlier one's FOLLOWERINFO, still unread, went
            // over a socket that is gone.
            q.retain(|f| !matches!(f.msg, PeerMsg::Quorum(Packet::FollowerInfo { .. })));
        }
        self.net.push(
            link,
            Flight {
                msg,
                snap,
                lost: false,
                redundant: false,
                seq: self.sent,
                id,
            },
        );
    }
}

/// The replica must do what the server recorded.
fn check<O>(
    s: Sid,
    index: usize,
    recorded: &[zab::server::trace::Effect],
    out: &[Output<O>],
) -> R<()> {
    let replayed = effects(out);
    if recorded == replayed.as_slice() {
        Ok(())
    } else {
        Err(behaviour(format!(
            "s{} record {index}: the replica did {replayed:?}, the server recorded {recorded:?}",
            s + 1
        )))
    }
}

/// Which flight on a link a receipt reads: the one sent as the identity it recorded, if it
/// is `msg`. A receipt without an identity (a trace of format 3 or before) reads none:
/// `validate` refuses such traces first.
fn read_at(q: &VecDeque<Flight>, msg: &PeerMsg, id: Option<MsgId>) -> Option<usize> {
    q.iter().position(|f| Some(f.id) == id && f.msg == *msg)
}
