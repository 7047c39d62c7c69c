//! Synchronization: the leader brings each learner to its history with DIFF, TRUNC or SNAP
//! followed by PROPOSAL/COMMIT packets and NEWLEADER; the learner logs what it must, ACKs
//! NEWLEADER, and a quorum of such ACKs establishes the leader, which then sends UPTODATE.
//! After `LearnerHandler.syncFollower` and `Learner.syncWithLeader` (ZooKeeper master).

use crate::config::Config;
use crate::msg::Msg;
use crate::ops::send;
use crate::state::{Handler, Server, State, Violation};
use crate::types::{Hist, Phase, Sid, Zxid};

mod learner;
mod newleader;

pub use learner::{on_sync_commit, on_sync_inform, on_sync_mode, on_sync_proposal};
pub use newleader::*;

/// How the leader brings a learner up to date when it is behind the in-memory committed log:
/// ZooKeeper serves it from the on-disk txn log when it can and sends a snapshot otherwise
/// (file sizes decide), so the model lets both happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    /// From the committed log: DIFF or TRUNC and the missing entries (SNAP when the log cannot
    /// serve the learner without crossing an epoch boundary).
    Log,
    /// SNAP: the learner's database is replaced by a snapshot of the leader's committed log.
    Snapshot,
}

/// The routes open for syncing `j`: a snapshot is a choice only for a learner behind the
/// start of the leader's committed log (and the fallback when the log cannot serve it); it is
/// the only route for a learner behind what the leader holds only as a snapshot.
pub fn routes(st: &State, l: Sid, j: Sid) -> Vec<Route> {
    let leader = st.server(l);
    let peer = leader.leader.peer_last[j as usize];
    if behind_snapshot(leader, peer) {
        return vec![Route::Snapshot];
    }
    let (committed, _) = committed_log(leader);
    match committed.get(0) {
        Some(first) if peer < first.zxid => vec![Route::Log, Route::Snapshot],
        _ => vec![Route::Log],
    }
}

/// Whether `peer` is older than the last transaction `leader` holds only in its snapshot:
/// the leader has no log records to send it (found by refinement).
fn behind_snapshot(leader: &Server, peer: Zxid) -> bool {
    leader.hist_snap > 0
        && leader
            .hist
            .get(leader.hist_snap as usize - 1)
            .is_some_and(|t| peer < t.zxid)
}

/// The leader's committed log and lastProcessedZxid. A leader not yet established treats its
/// whole history as committed (it loaded and applied it at start).
fn committed_log(leader: &Server) -> (Hist, Zxid) {
    if leader.leader.established {
        let c = leader.hist.prefix(leader.committed as usize);
        (c, c.last_zxid())
    } else {
        (leader.hist, leader.hist.last_zxid())
    }
}

/// A zxid with counter 0: the learner last saw the start of an epoch, not a transaction.
fn is_new_epoch_zxid(z: Zxid) -> bool {
    z.counter == 0
}

/// `queueCommittedProposals`: the op packet (DIFF or TRUNC) and the index of the first entry
/// to send, or `None` when the log cannot serve this learner (a TRUNC across an epoch
/// boundary), in which case ZooKeeper falls back to a snapshot.
fn queue_committed(committed: &Hist, peer: Zxid) -> Option<(Msg, usize)> {
    let last_committed = committed.last_zxid();
    let mut prev: Option<Zxid> = None;
    for (i, t) in committed.as_slice().iter().enumerate() {
        if t.zxid < peer {
            prev = Some(t.zxid);
            continue;
        }
        if t.zxid == peer {
            return Some((
                Msg::Diff {
                    zxid: last_committed,
                },
                i + 1,
            ));
        }
        if is_new_epoch_zxid(peer) {
            return Some((
                Msg::Diff {
                    zxid: last_committed,
                },
                i,
            ));
        }
        // The peer has proposals we never saw (it may have led): truncate them, unless that
        // would cross an epoch boundary.
        if t.zxid.epoch != peer.epoch {
            return None;
        }
        return prev.map(|z| (Msg::Trunc { zxid: z }, i));
    }
    is_new_epoch_zxid(peer).then_some((
        Msg::Diff {
            zxid: last_committed,
        },
        committed.len(),
    ))
}

/// `syncFollower` + `startForwarding` + queueing NEWLEADER, for learner `j`.
pub fn sync_learner(cfg: &Config, st: &mut State, l: Sid, j: Sid, route: Route) {
    let leader = *st.server(l);
    let peer = leader.leader.peer_last[j as usize];
    let (committed, last_processed) = committed_log(&leader);
    let n = committed.len();
    let min = committed.get(0).map(|t| t.zxid).unwrap_or(last_processed);
    let by_log = if route == Route::Snapshot {
        None
    } else if peer == last_processed {
        Some((Msg::Diff { zxid: peer }, n))
    } else if peer > last_processed && !is_new_epoch_zxid(peer) {
        Some((
            Msg::Trunc {
                zxid: last_processed,
            },
            n,
        ))
    } else if peer >= min {
        queue_committed(&committed, peer)
    } else {
        // Behind the committed log: served from the txn log, which holds the same history.
        queue_committed(&committed, peer)
    };
    let (first, start) = by_log.unwrap_or((
        Msg::Snap {
            zxid: last_processed,
            snapshot: committed,
        },
        n,
    ));
    send(st, l, j, first);
    for t in &committed.as_slice()[start..] {
        send(st, l, j, Msg::Proposal { txn: *t });
        send(st, l, j, Msg::Commit { zxid: t.zxid });
    }
    if cfg.is_voter(j) {
        // Outstanding proposals: PROPOSAL only, their COMMIT follows when a quorum acks.
        for t in &leader.hist.as_slice()[n..] {
            send(st, l, j, Msg::Proposal { txn: *t });
        }
    }
    send(
        st,
        l,
        j,
        Msg::NewLeader {
            epoch: leader.leader.epoch,
        },
    );
    st.server_mut(l).leader.handler[j as usize] = Handler::AwaitNewLeaderAck;
}

/// Whether `Zxid` `next` may follow `prev` in one history without a gap.
pub(crate) fn is_next(prev: Zxid, next: Zxid) -> bool {
    (next.epoch > prev.epoch && next.counter == 1)
        || (next.epoch == prev.epoch && next.counter == prev.counter + 1)
}

pub(super) fn follower_in_sync(st: &mut State, j: Sid) -> bool {
    let srv = st.server(j);
    if srv.phase != Phase::Synchronization || srv.learner.newleader.is_some() {
        st.ghost.raise(Violation::StateInconsistent);
        return false;
    }
    true
}

/// How many of `srv`'s logged txns a TRUNC to `zxid` keeps (`None`: `zxid` is not logged).
pub(super) fn kept_by_trunc(srv: &Server, zxid: Zxid) -> Option<usize> {
    if zxid == Zxid::ZERO {
        Some(0)
    } else {
        srv.log.index_of(zxid).map(|k| k + 1)
    }
}

/// Whether a TRUNC to `zxid` would cut into `srv`'s snapshot (and nothing it delivered, which
/// is a violation of its own). Found by refinement: a SNAP of txns its leader never got
/// committed, then a leader without them.
pub fn into_snapshot(srv: &Server, zxid: Zxid) -> bool {
    kept_by_trunc(srv, zxid)
        .is_some_and(|k| k < srv.log_snap as usize && k >= srv.committed as usize)
}
