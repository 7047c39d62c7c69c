//! The learner's side of synchronization before NEWLEADER: the sync mode (DIFF, TRUNC or
//! SNAP), then the PROPOSAL, INFORM and COMMIT packets of the leader's history
//! (`Learner.syncWithLeader`).

use super::{follower_in_sync, is_next, kept_by_trunc};
use crate::msg::Msg;
use crate::state::{State, SyncMode, Violation};
use crate::types::{Sid, Txn, Zxid};

/// The first sync packet: DIFF, TRUNC or SNAP.
pub fn on_sync_mode(st: &mut State, j: Sid, msg: Msg) {
    if !follower_in_sync(st, j) || st.server(j).learner.sync_mode != SyncMode::None {
        st.ghost.raise(Violation::StateInconsistent);
        return;
    }
    let mut bad = false;
    let srv = st.server_mut(j);
    match msg {
        Msg::Diff { .. } => {
            srv.learner.sync_mode = SyncMode::Diff;
            // The leader found the zxid we reported in its committed log: our history up to
            // it is committed.
            let reported = srv.last_processed;
            match srv.hist.index_of(reported) {
                Some(k) => srv.learner.synced = k as u8 + 1,
                None => bad = reported != Zxid::ZERO,
            }
        }
        Msg::Trunc { zxid } => {
            srv.learner.sync_mode = SyncMode::Trunc;
            match kept_by_trunc(srv, zxid) {
                Some(k) => {
                    // truncateLog: cut the log, then reload the database from it. Cutting
                    // below what this server delivered would lose committed data.
                    bad = (srv.committed as usize) > k;
                    srv.log.truncate(k);
                    srv.log_snap = srv.log_snap.min(k as u8);
                    srv.hist = srv.log;
                    srv.hist_snap = srv.log_snap;
                    srv.committed = srv.committed.min(k as u8);
                    srv.learner.synced = k as u8;
                    srv.last_processed = zxid;
                }
                None => bad = true,
            }
        }
        Msg::Snap { zxid, snapshot } => {
            srv.learner.sync_mode = SyncMode::Snap;
            // What we delivered must be part of the leader's committed state.
            bad = !srv.delivered().is_prefix_of(&snapshot);
            srv.committed = srv.delivered().common_prefix(&snapshot) as u8;
            srv.hist = snapshot;
            srv.hist_snap = snapshot.len() as u8;
            srv.learner.synced = snapshot.len() as u8;
            srv.last_processed = zxid;
        }
        _ => unreachable!("not a sync mode packet"),
    }
    if bad {
        st.ghost.raise(Violation::ProposalInconsistent);
    }
}

/// PROPOSAL during sync: held in `packetsNotLogged`.
pub fn on_sync_proposal(st: &mut State, j: Sid, txn: Txn) {
    let srv = st.server_mut(j);
    if let Some(prev) = srv.learner.pnl.last() {
        if !is_next(prev.zxid, txn.zxid) {
            st.ghost.raise(Violation::ProposalInconsistent);
            return;
        }
    }
    srv.learner.pnl.push(txn);
}

/// INFORM at an observer during sync (`Learner.syncWithLeader`): a proposal and its commit
/// at once.
pub fn on_sync_inform(st: &mut State, j: Sid, txn: Txn) {
    on_sync_proposal(st, j, txn);
    on_sync_commit(st, j, txn.zxid);
}

/// COMMIT during sync. Before NEWLEADER in a TRUNC or SNAP sync it is applied in memory at
/// once (the NEWLEADER snapshot makes it durable); otherwise it is remembered.
pub fn on_sync_commit(st: &mut State, j: Sid, zxid: Zxid) {
    let srv = st.server_mut(j);
    let Some(head) = srv.learner.pnl.get(0) else {
        // ZooKeeper dereferences the head of packetsNotLogged: a NullPointerException.
        st.ghost.raise(Violation::CommitInconsistent);
        return;
    };
    let in_memory = srv.learner.newleader.is_none()
        && matches!(srv.learner.sync_mode, SyncMode::Trunc | SyncMode::Snap);
    if in_memory {
        if head.zxid == zxid {
            srv.learner.pnl.pop_front();
            srv.hist.push(head);
            srv.learner.synced = srv.hist.len() as u8;
            srv.last_processed = zxid;
        }
    } else {
        srv.learner.pc.push(Txn { zxid, value: 0 });
    }
}
