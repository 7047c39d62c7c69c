//! The implementation's side of the abstraction, for any cluster of replicas that can be
//! observed (`Observed`): the refinement harness's, or an ensemble rebuilt from its recorded
//! traces. A value outside the model's domain is an error (a mismatch in itself).

use super::{LeaderView, LearnerView, LiveView, ServerView, SyncView, View};
use crate::shared::connection::Connections;
use crate::shared::convert;
use crate::shared::harness::ImplCluster;
use crate::shared::machine::Txns;
use std::collections::{BTreeMap, BTreeSet};
use zab::replica::state::{
    Ballot as IBallot, Handler as IHandler, LeaderState, LearnerState, Phase as IPhase,
    Role as IRole, SyncMode as ISyncMode,
};
use zab::replica::{Notification, Packet, Replica, ServerId, StateMachine};
use zab::txn::TxnEntry;
use zab::Zxid;
use zab_model::msg::{Msg, Vote};
use zab_model::state::{Ballot, Handler, Read, ReadRound, SyncMode};
use zab_model::types::{Mask, Phase, Sid};

pub use crate::shared::divergence::R;
use crate::shared::divergence::{Divergence, OrDivergence};

/// A server's disk as the view reads it.
#[derive(Clone, Debug, Default)]
pub struct DiskView {
    /// acceptedEpoch on disk: the epoch of the last LEADERINFO accepted.
    pub accepted_epoch: u32,
    /// currentEpoch on disk: the epoch of the last NEWLEADER accepted.
    pub current_epoch: u32,
    /// The durable history: the snapshot's transactions, then the log's.
    pub txns: Vec<(Zxid, u64)>,
    /// How many of them the snapshot holds.
    pub snap: usize,
}

/// What the abstraction reads of an implementation cluster.
pub trait Observed {
    /// The state machine the replicas apply: `Txns` in the harness, zabd's `ZkDatabase` in an
    /// ensemble rebuilt from its traces.
    type S: StateMachine;
    /// How many servers the cluster has, voters then observers: model servers `0..size`.
    fn size(&self) -> usize;
    /// A live server's replica.
    fn replica(&self, s: Sid) -> Option<&Replica<Self::S>>;
    /// What `s`'s disk holds, whether the server is up or down: its epochs and its durable
    /// history (an error if a snapshot on it does not decode).
    fn disk(&self, s: Sid) -> R<DiskView>;
    /// The transactions a replica's in-memory base snapshot holds.
    fn base(&self, s: Sid, r: &Replica<Self::S>) -> R<Vec<(Zxid, u64)>>;
    /// The model value of a logged transaction.
    fn value(&self, e: &TxnEntry) -> u64;
    /// The learners' quorum connections as the model sees them (not yet connected, open,
    /// closed).
    fn conns(&self) -> &Connections;
    /// NEWLEADER steps not yet executed.
    fn held(&self, s: Sid) -> usize;
    /// Notifications on election links, each link's in the order its receiver reads them.
    fn notifications(&self) -> Vec<((Sid, Sid), Notification)>;
    /// Packets in flight on quorum links, as the model's messages.
    fn packets(&self) -> R<BTreeMap<(Sid, Sid), Vec<Msg>>>;
    /// The read index the replica gave `s`'s open read, held by its driver (none where reads
    /// are not driven).
    fn ready_read(&self, _s: Sid) -> Option<Zxid> {
        None
    }
}

impl Observed for ImplCluster {
    type S = Txns;
    fn size(&self) -> usize {
        self.n
    }
    fn replica(&self, s: Sid) -> Option<&Replica<Txns>> {
        ImplCluster::replica(self, s)
    }
    fn disk(&self, s: Sid) -> R<DiskView> {
        let disk = &self.disks[s as usize];
        let mut txns = match disk.snapshot() {
            Some((_, bytes)) => {
                Txns::decode(&bytes).ok_or(Divergence::Undecodable("a snapshot on disk"))?
            }
            None => Vec::new(),
        };
        let snap = txns.len();
        txns.extend(disk.durable_log().iter().map(|e| (e.zxid(), self.value(e))));
        Ok(DiskView {
            accepted_epoch: disk.accepted_epoch(),
            current_epoch: disk.current_epoch(),
            txns,
            snap,
        })
    }
    fn base(&self, _: Sid, r: &Replica<Txns>) -> R<Vec<(Zxid, u64)>> {
        Txns::decode(&r.base_snapshot()).ok_or(Divergence::Undecodable("the base snapshot"))
    }
    fn value(&self, e: &TxnEntry) -> u64 {
        zab::sim::values::Values::value_of(e).unwrap_or(u64::MAX)
    }
    fn conns(&self) -> &Connections {
        &self.conns
    }
    fn held(&self, s: Sid) -> usize {
        self.held[s as usize].len()
    }
    fn ready_read(&self, s: Sid) -> Option<Zxid> {
        self.ready_reads[s as usize]
    }
    fn notifications(&self) -> Vec<((Sid, Sid), Notification)> {
        let links = self.election.iter();
        links
            .flat_map(|(k, l)| l.queue().map(move |n| (*k, *n)))
            .collect()
    }
    fn packets(&self) -> R<BTreeMap<(Sid, Sid), Vec<Msg>>> {
        let mut quorum = BTreeMap::new();
        for (link, q) in self.quorum.iter().filter(|(_, q)| !q.is_empty()) {
            let on = |p: &Packet| format!("packet {p:?} on s{}->s{}", link.from, link.to);
            let msgs = q
                .iter()
                .map(|p| convert::model_msg(p).ok_or_else(|| out_of_domain(on(p))))
                .collect::<R<Vec<_>>>()?;
            quorum.insert((link.from, link.to), msgs);
        }
        Ok(quorum)
    }
}

impl View {
    /// The implementation's view (`zab` = whether Zab's phases are compared, not only the
    /// election).
    pub fn of_impl(c: &impl Observed, zab: bool) -> R<View> {
        let servers = (0..c.size() as Sid)
            .map(|s| server(c, s, zab))
            .collect::<R<_>>()?;
        let mut election: BTreeMap<_, Vec<_>> = BTreeMap::new();
        for ((from, to), n) in c.notifications() {
            let m = convert::model_notification(&n)
                .ok_or_else(|| out_of_domain(format!("notification s{from}->s{to} {n:?}")))?;
            election.entry((from, to)).or_default().push(m);
        }
        Ok(View {
            servers,
            election,
            quorum: c.packets()?,
        })
    }
}

fn server(c: &impl Observed, s: Sid, zab: bool) -> R<ServerView> {
    let d = c.disk(s)?;
    let log = convert::hist(d.txns).outside("the disk's history")?;
    let live = match c.replica(s) {
        None => None,
        Some(r) => Some(live(c, s, r, zab)?),
    };
    Ok(ServerView {
        up: live.is_some(),
        accepted_epoch: small(d.accepted_epoch)?,
        current_epoch: small(d.current_epoch)?,
        log,
        log_snap: d.snap as u8,
        live,
    })
}

fn pairs<'a, O: Observed>(
    c: &'a O,
    entries: &'a [TxnEntry],
) -> impl Iterator<Item = (Zxid, u64)> + 'a {
    entries.iter().map(move |e| (e.zxid(), c.value(e)))
}

fn live<O: Observed>(c: &O, s: Sid, r: &Replica<O::S>, zab: bool) -> R<LiveView> {
    let base = c.base(s, r)?;
    let hist_snap = base.len() as u8;
    let all: Vec<_> = base.into_iter().chain(pairs(c, r.log())).collect();
    let hist = convert::hist(all.iter().copied()).outside("the history")?;
    let unsynced =
        convert::hist(all.iter().copied().filter(|(z, _)| *z > r.synced())).outside("unsynced")?;
    let committed = all.iter().filter(|(z, _)| *z <= r.committed()).count() as u8;
    let f = r.election();
    let vote = match f.vote {
        None => Vote::default(),
        Some(v) => convert::model_vote(v).ok_or_else(|| out_of_domain(format!("vote {v:?}")))?,
    };
    let (leader, learner) = match r.role() {
        IRole::Leading(ls) if zab => (Some(leader(c, s, r, ls)?), None),
        IRole::Learning(l) if zab => (None, Some(learner(c, s, r, l)?)),
        _ => (None, None),
    };
    Ok(LiveView {
        role: convert::role(r.server_state()),
        phase: if zab {
            phase(r.phase())
        } else {
            Phase::Election
        },
        hist,
        hist_snap,
        unsynced,
        committed,
        last_processed: convert::model_zxid(r.last_processed()).outside("lastProcessedZxid")?,
        round: small(f.round)?,
        vote,
        vote_round: small(f.vote_round)?,
        recv: ballots(&f.recv)?,
        ooe: ballots(&f.ooe)?,
        draining: f.draining_since.is_some(),
        read: read(c, s, r)?,
        leader,
        learner,
    })
}

fn leader<O: Observed>(c: &O, s: Sid, r: &Replica<O::S>, ls: &LeaderState) -> R<LeaderView> {
    // Only learners whose connection is open: a leader hears of a closed one from its
    // transport, the model at once.
    let open = |j: &ServerId| c.conns().open_leader(convert::sid(*j)) == Some(s);
    let mut handlers: BTreeMap<Sid, Handler> = ls
        .learners
        .iter()
        .filter(|(j, _)| open(j))
        .map(|(j, l)| (convert::sid(*j), handler(l.stage)))
        .collect();
    // A learner whose connection is open but whose FOLLOWERINFO was not read yet.
    for j in c.conns().learners_of(s) {
        handlers.entry(j).or_insert(Handler::Connected);
    }
    let mut peer_last = BTreeMap::new();
    for (j, l) in ls.learners.iter().filter(|(j, _)| open(j)) {
        if l.stage == IHandler::AwaitSync {
            let z = convert::model_zxid(l.peer_last).outside("peer_last")?;
            peer_last.insert(convert::sid(*j), z);
        }
    }
    let mut acks = BTreeMap::new();
    for (z, by) in &ls.acks {
        let by: BTreeSet<ServerId> = by.iter().copied().filter(|j| open(j)).collect();
        let mut by = mask(&by);
        if r.synced() >= *z {
            by = by.with(s);
        }
        acks.insert(convert::model_zxid(*z).outside("ack zxid")?, by);
    }
    Ok(LeaderView {
        epoch: small(ls.epoch)?,
        epoch_fixed: ls.epoch_fixed,
        connecting: mask(&ls.connecting),
        electing: mask(&ls.electing),
        epoch_acked: ls.epoch_acked,
        newleader_acks: mask(&ls.newleader_acks),
        established: ls.established,
        handlers,
        peer_last,
        acks,
        read_queue: waiting_mask(&ls.reads.queue),
        read_round: match &ls.reads.round {
            None => None,
            Some(round) => Some(ReadRound {
                round: small(round.number)?,
                index: convert::model_zxid(round.index).outside("read index")?,
                waiting: waiting_mask(&round.waiting),
                acks: mask(&round.acks),
            }),
        },
        read_rounds: small(ls.reads.started)?,
    })
}

/// The servers of waiting reads.
fn waiting_mask(w: &[zab::replica::reads::Waiting]) -> Mask {
    w.iter()
        .fold(Mask::EMPTY, |m, (j, _)| m.with(convert::sid(*j)))
}

/// `s`'s open read: ready at the index its driver holds, asked while its replica (or, as
/// leader, a round) still holds it, else none.
fn read<O: Observed>(c: &O, s: Sid, r: &Replica<O::S>) -> R<Read> {
    if let Some(z) = c.ready_read(s) {
        return Ok(Read::Ready(convert::model_zxid(z).outside("read index")?));
    }
    Ok(if r.awaits_read_index() {
        Read::Asked
    } else {
        Read::Idle
    })
}

fn learner<O: Observed>(c: &O, s: Sid, r: &Replica<O::S>, l: &LearnerState) -> R<LearnerView> {
    let conn = c
        .conns()
        .state(s)
        .absent("a learner without a connection record")?;
    let sync = if r.phase() == IPhase::Synchronization {
        let pnl = convert::hist(pairs(c, &l.pnl)).outside("packetsNotLogged")?;
        let pc =
            l.pc.iter()
                .map(|z| convert::model_zxid(*z).outside("packetsCommitted"))
                .collect::<Result<_, _>>()?;
        let held = c.held(s) as u8;
        Some(SyncView {
            mode: sync_mode(l.sync_mode),
            newleader: l.newleader.map(small).transpose()?,
            nl_steps: if l.newleader.is_some() { 3 - held } else { 0 },
            pnl,
            pc,
        })
    } else {
        None
    };
    Ok(LearnerView {
        leader: convert::sid(l.leader),
        conn: conn.model(),
        sync,
    })
}

fn mask(set: &BTreeSet<ServerId>) -> Mask {
    set.iter()
        .fold(Mask::EMPTY, |m, id| m.with(convert::sid(*id)))
}

fn phase(p: IPhase) -> Phase {
    match p {
        IPhase::Election => Phase::Election,
        IPhase::Discovery => Phase::Discovery,
        IPhase::Synchronization => Phase::Synchronization,
        IPhase::Broadcast => Phase::Broadcast,
    }
}

fn handler(h: IHandler) -> Handler {
    match h {
        IHandler::Connected => Handler::Connected,
        IHandler::AwaitEpoch => Handler::AwaitEpoch,
        IHandler::AwaitAckEpoch => Handler::AwaitAckEpoch,
        IHandler::AwaitSync => Handler::AwaitSync,
        IHandler::AwaitNewLeaderAck => Handler::AwaitNewLeaderAck,
        IHandler::AwaitQuorum => Handler::AwaitQuorum,
        IHandler::Broadcast => Handler::Broadcast,
    }
}

fn sync_mode(m: ISyncMode) -> SyncMode {
    match m {
        ISyncMode::None => SyncMode::None,
        ISyncMode::Diff => SyncMode::Diff,
        ISyncMode::Trunc => SyncMode::Trunc,
        ISyncMode::Snap => SyncMode::Snap,
    }
}

/// An epoch or a round in the model's small domain.
fn small(x: impl Into<u64>) -> R<u8> {
    let x = x.into();
    u8::try_from(x).map_err(|_| out_of_domain(x))
}

fn ballots(b: &BTreeMap<u64, IBallot>) -> R<BTreeMap<Sid, Ballot>> {
    b.iter()
        .map(|(id, x)| {
            let ballot = Ballot {
                vote: convert::model_vote(x.vote).outside("ballot vote")?,
                round: small(x.round)?,
                state: convert::role(x.state),
            };
            Ok((convert::sid(*id), ballot))
        })
        .collect()
}

fn out_of_domain(what: impl std::fmt::Display) -> Divergence {
    Divergence::OutOfDomain(what.to_string())
}
