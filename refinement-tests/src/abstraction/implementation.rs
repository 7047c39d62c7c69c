//! The implementation's side of the abstraction: a value outside the model's domain is an
//! error (a mismatch in itself).

use super::{LeaderView, LearnerView, LiveView, ServerView, SyncView, View};
use crate::convert;
use crate::harness::ImplCluster;
use crate::machine::Txns;
use std::collections::{BTreeMap, BTreeSet};
use zab::replica::state::{
    Ballot as IBallot, Handler as IHandler, LeaderState, LearnerState, Phase as IPhase,
    Role as IRole, SyncMode as ISyncMode,
};
use zab::replica::{Replica, ServerId};
use zab::txn::TxnEntry;
use zab_model::msg::Vote;
use zab_model::state::{Ballot, Handler, SyncMode};
use zab_model::types::{Mask, Phase, Sid};

type R<T> = Result<T, String>;

impl View {
    /// The implementation's view (`zab` = whether Zab's phases are compared, not only the
    /// election).
    pub fn of_impl(c: &ImplCluster, zab: bool) -> R<View> {
        let servers = (0..c.n as Sid)
            .map(|s| server(c, s, zab))
            .collect::<R<_>>()?;
        let mut election = BTreeMap::new();
        for ((from, to), n) in &c.election {
            let m = convert::model_notification(n)
                .ok_or_else(|| format!("notification s{from}->s{to} out of domain: {n:?}"))?;
            election.insert((*from, *to), m);
        }
        let mut quorum = BTreeMap::new();
        for (link, q) in c.quorum.iter().filter(|(_, q)| !q.is_empty()) {
            let msgs = q
                .iter()
                .map(|p| convert::model_msg(p).ok_or_else(|| format!("packet {p:?} on {link:?}")))
                .collect::<R<Vec<_>>>()?;
            quorum.insert(*link, msgs);
        }
        Ok(View {
            servers,
            election,
            quorum,
        })
    }
}

fn server(c: &ImplCluster, s: Sid, zab: bool) -> R<ServerView> {
    let disk = &c.disks[s as usize];
    let on_disk = match disk.snapshot() {
        Some((_, bytes)) => Txns::decode(&bytes).ok_or("a snapshot on disk does not decode")?,
        None => Vec::new(),
    };
    let log_snap = on_disk.len() as u8;
    let log = convert::hist(on_disk.into_iter().chain(pairs(&disk.durable_log())))
        .ok_or("the disk's history is out of domain")?;
    let live = match c.replica(s) {
        None => None,
        Some(r) => Some(live(c, s, r, zab)?),
    };
    Ok(ServerView {
        up: live.is_some(),
        accepted_epoch: small(disk.accepted_epoch())?,
        current_epoch: small(disk.current_epoch())?,
        log,
        log_snap,
        live,
    })
}

fn pairs(entries: &[TxnEntry]) -> impl Iterator<Item = (zab::Zxid, u64)> + '_ {
    entries.iter().map(|e| {
        (
            e.zxid(),
            zab::sim::values::Values::value_of(e).unwrap_or(u64::MAX),
        )
    })
}

fn live(c: &ImplCluster, s: Sid, r: &Replica<Txns>, zab: bool) -> R<LiveView> {
    let base = Txns::decode(r.base_snapshot()).ok_or("the base snapshot does not decode")?;
    let hist_snap = base.len() as u8;
    let all: Vec<_> = base.into_iter().chain(pairs(r.log())).collect();
    let hist = convert::hist(all.iter().copied()).ok_or("the history is out of domain")?;
    let unsynced = convert::hist(all.iter().copied().filter(|(z, _)| *z > r.synced()))
        .ok_or("unsynced out of domain")?;
    let committed = all.iter().filter(|(z, _)| *z <= r.committed()).count() as u8;
    let f = r.election();
    let vote = match f.vote {
        None => Vote::default(),
        Some(v) => convert::model_vote(v).ok_or_else(|| format!("vote out of domain: {v:?}"))?,
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
        last_processed: convert::model_zxid(r.last_processed())
            .ok_or("lastProcessedZxid out of domain")?,
        round: small(f.round)?,
        vote,
        vote_round: small(f.vote_round)?,
        recv: ballots(&f.recv)?,
        ooe: ballots(&f.ooe)?,
        draining: f.draining_since.is_some(),
        leader,
        learner,
    })
}

fn leader(c: &ImplCluster, s: Sid, r: &Replica<Txns>, ls: &LeaderState) -> R<LeaderView> {
    let mut handlers: BTreeMap<Sid, Handler> = ls
        .learners
        .iter()
        .map(|(j, l)| (convert::sid(*j), handler(l.stage)))
        .collect();
    // A learner whose connection is open but whose FOLLOWERINFO was not read yet.
    for j in c.conns.learners_of(s) {
        handlers.entry(j).or_insert(Handler::Connected);
    }
    let mut peer_last = BTreeMap::new();
    for (j, l) in &ls.learners {
        if l.stage == IHandler::AwaitSync {
            let z = convert::model_zxid(l.peer_last).ok_or("peer_last out of domain")?;
            peer_last.insert(convert::sid(*j), z);
        }
    }
    let mut acks = BTreeMap::new();
    for (z, by) in &ls.acks {
        let mut by = mask(by);
        if r.synced() >= *z {
            by = by.with(s);
        }
        acks.insert(convert::model_zxid(*z).ok_or("ack zxid out of domain")?, by);
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
    })
}

fn learner(c: &ImplCluster, s: Sid, r: &Replica<Txns>, l: &LearnerState) -> R<LearnerView> {
    let conn = c
        .conns
        .state(s)
        .ok_or("a learner without a connection record")?;
    let sync = if r.phase() == IPhase::Synchronization {
        let pnl = convert::hist(pairs(&l.pnl)).ok_or("packetsNotLogged out of domain")?;
        let pc =
            l.pc.iter()
                .map(|z| convert::model_zxid(*z).ok_or("packetsCommitted out of domain"))
                .collect::<Result<_, _>>()?;
        let held = c.held[s as usize].len() as u8;
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
    u8::try_from(x).map_err(|_| format!("{x} out of domain"))
}

fn ballots(b: &BTreeMap<u64, IBallot>) -> R<BTreeMap<Sid, Ballot>> {
    b.iter()
        .map(|(id, x)| {
            let ballot = Ballot {
                vote: convert::model_vote(x.vote).ok_or("ballot vote out of domain")?,
                round: small(x.round)?,
                state: convert::role(x.state),
            };
            Ok((convert::sid(*id), ballot))
        })
        .collect()
}
