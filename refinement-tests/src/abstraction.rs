//! The abstraction function: both a model state and an implementation cluster map to the same
//! `View`, and refinement holds when the two views are equal after every step.
//!
//! The view is the model's state projected onto what both sides define: per server, whether
//! it is up, its role, its durable variables (acceptedEpoch, currentEpoch, the log on disk),
//! its in-memory history and lastProcessedZxid, and its election variables (logical clock,
//! vote, vote boxes, the finalize drain); and the notifications waiting on election links.
//! What the model abstracts away (pings, ticks, the replica's timers and random jitter) has no
//! place in the view.

use crate::convert;
use crate::harness::ImplCluster;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use zab::replica::state::{Ballot as IBallot, Fle as IFle};
use zab::txn::TxnEntry;
use zab_model::msg::{Notification, Packet, Plane, Vote};
use zab_model::state::{Ballot, Fle};
use zab_model::types::{Role, Sid, Txn, Zxid};
use zab_model::State;

/// One server, as both sides see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerView {
    pub up: bool,
    pub accepted_epoch: u8,
    pub current_epoch: u8,
    /// The transactions on disk.
    pub log: Vec<Txn>,
    /// The rest only for a live server.
    pub live: Option<LiveView>,
}

/// A live server's volatile state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveView {
    pub role: Role,
    pub hist: Vec<Txn>,
    pub last_processed: Zxid,
    pub round: u8,
    pub vote: Vote,
    pub vote_round: u8,
    pub recv: BTreeMap<Sid, Ballot>,
    pub ooe: BTreeMap<Sid, Ballot>,
    pub draining: bool,
}

/// The whole cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    pub servers: Vec<ServerView>,
    /// Notifications waiting on election links.
    pub election: BTreeMap<(Sid, Sid), Notification>,
}

impl View {
    pub fn of_model(st: &State) -> View {
        let servers = st.ids().map(|s| model_server(st, s)).collect();
        let election = st
            .net
            .iter()
            .filter(|(l, _)| l.plane == Plane::Election)
            .filter_map(|(l, p)| match p {
                Packet::Election(n) => Some(((l.from, l.to), *n)),
                Packet::Quorum(_) => None,
            })
            .collect();
        View { servers, election }
    }

    /// The implementation's view; a value outside the model's domain is an error.
    pub fn of_impl(c: &ImplCluster) -> Result<View, String> {
        let servers = (0..c.n as Sid)
            .map(|s| impl_server(c, s))
            .collect::<Result<_, _>>()?;
        let mut election = BTreeMap::new();
        for ((from, to), n) in &c.election {
            let m = convert::model_notification(n)
                .ok_or_else(|| format!("notification s{from}->s{to} out of domain: {n:?}"))?;
            election.insert((*from, *to), m);
        }
        Ok(View { servers, election })
    }

    /// The differences, one line each (empty when equal).
    pub fn diff(&self, other: &View) -> String {
        let mut out = String::new();
        for (s, (a, b)) in self.servers.iter().zip(&other.servers).enumerate() {
            if a != b {
                let _ = writeln!(out, "s{s}: model {a:?}\n     impl  {b:?}");
            }
        }
        if self.election != other.election {
            let _ = writeln!(
                out,
                "election links: model {:?}\n                impl  {:?}",
                self.election, other.election
            );
        }
        out
    }
}

fn model_server(st: &State, s: Sid) -> ServerView {
    let srv = st.server(s);
    let live = srv.up.then(|| {
        let f: Fle = st.fle.get(s as usize).copied().unwrap_or_default();
        let boxed = |b: &[Option<Ballot>]| -> BTreeMap<Sid, Ballot> {
            b.iter()
                .enumerate()
                .filter_map(|(i, x)| x.map(|x| (i as Sid, x)))
                .collect()
        };
        LiveView {
            role: srv.role,
            hist: srv.hist.as_slice().to_vec(),
            last_processed: srv.last_processed,
            round: f.round,
            vote: f.vote,
            vote_round: f.vote_round,
            recv: boxed(&f.recv),
            ooe: boxed(&f.ooe),
            draining: f.draining,
        }
    });
    ServerView {
        up: srv.up,
        accepted_epoch: srv.accepted_epoch,
        current_epoch: srv.current_epoch,
        log: srv.log.as_slice().to_vec(),
        live,
    }
}

fn txns(entries: &[TxnEntry]) -> Result<Vec<Txn>, String> {
    entries
        .iter()
        .map(|e| convert::model_txn(e).ok_or_else(|| format!("txn out of domain: {e:?}")))
        .collect()
}

fn impl_server(c: &ImplCluster, s: Sid) -> Result<ServerView, String> {
    let disk = &c.disks[s as usize];
    let live = match &c.replicas[s as usize] {
        None => None,
        Some(r) => Some(LiveView {
            role: convert::role(r.server_state()),
            hist: txns(r.log())?,
            last_processed: convert::model_zxid(r.last_processed())
                .ok_or("lastProcessedZxid out of domain")?,
            round: small(r.election().round)?,
            vote: vote(r.election())?,
            vote_round: small(r.election().vote_round)?,
            recv: ballots(&r.election().recv)?,
            ooe: ballots(&r.election().ooe)?,
            draining: r.election().draining_since.is_some(),
        }),
    };
    Ok(ServerView {
        up: live.is_some(),
        accepted_epoch: small(disk.accepted_epoch())?,
        current_epoch: small(disk.current_epoch())?,
        log: txns(&disk.durable_log())?,
        live,
    })
}

/// An epoch or a round in the model's small domain.
fn small(x: impl Into<u64>) -> Result<u8, String> {
    let x = x.into();
    u8::try_from(x).map_err(|_| format!("{x} out of domain"))
}

fn vote(f: &IFle) -> Result<Vote, String> {
    match f.vote {
        None => Ok(Vote::default()),
        Some(v) => convert::model_vote(v).ok_or_else(|| format!("vote out of domain: {v:?}")),
    }
}

fn ballots(b: &BTreeMap<u64, IBallot>) -> Result<BTreeMap<Sid, Ballot>, String> {
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
