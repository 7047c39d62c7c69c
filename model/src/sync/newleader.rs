//! NEWLEADER: the learner logs what it synchronized, writes the epoch and ACKs, one model
//! step at a time in the order ZooKeeper's version does (`NlStep`); a quorum of ACKs
//! establishes the leader, which sends UPTODATE (`Learner.syncWithLeader`, `Leader.lead`).

use super::follower_in_sync;
use crate::bugs::Bug;
use crate::config::Config;
use crate::msg::Msg;
use crate::ops::send;
use crate::state::{Handler, Server, State, SyncMode, Violation};
use crate::types::{Hist, Phase, ServerState, Sid, Txn, Zxid};

/// What "log the synced transactions" does at NEWLEADER.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Persist {
    /// Append the committed prefix and fsync before going on (ZooKeeper master).
    Sync,
    /// Hand them to the SyncRequestProcessor and go on (ZOOKEEPER-4646 / -4685).
    Async,
    /// Do not log them here; UPTODATE will (ZOOKEEPER-3911).
    Skip,
}

/// One step of a follower's NEWLEADER handling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NlStep {
    /// Snapshot if TRUNC or SNAP; then log the synced transactions per `Persist`.
    Log(Persist),
    /// Write currentEpoch := the new epoch.
    SetEpoch,
    /// Send ACK(NEWLEADER).
    Ack,
}

/// The NEWLEADER program: ZooKeeper master logs, then writes the epoch, then ACKs.
pub fn newleader_program(cfg: &Config, learner: Sid) -> &'static [NlStep] {
    use NlStep::*;
    use Persist::*;
    if !cfg.is_voter(learner) {
        return &[Log(Skip), SetEpoch, Ack];
    }
    match cfg.bug {
        Some(Bug::Zk4643) => &[SetEpoch, Log(Sync), Ack],
        Some(Bug::Zk3911) => &[Log(Skip), SetEpoch, Ack],
        Some(Bug::Zk4646) | Some(Bug::Zk4685) => &[Log(Async), SetEpoch, Ack],
        _ => &[Log(Sync), SetEpoch, Ack],
    }
}

/// NEWLEADER arrives: its handling starts (one `NewLeaderStep` at a time).
pub fn on_newleader(st: &mut State, j: Sid, epoch: u8) {
    if !follower_in_sync(st, j) || st.server(j).learner.sync_mode == SyncMode::None {
        st.ghost.raise(Violation::StateInconsistent);
        return;
    }
    let l = &mut st.server_mut(j).learner;
    l.newleader = Some(epoch);
    l.nl_steps = 0;
}

/// Whether `j` is in the middle of its NEWLEADER handling (its QuorumPeer thread is busy, so
/// it reads no further packets).
pub fn in_newleader(cfg: &Config, srv: &Server, j: Sid) -> bool {
    srv.learner.newleader.is_some()
        && (srv.learner.nl_steps as usize) < newleader_program(cfg, j).len()
}

/// The next NEWLEADER step may run: the ACK waits for the sync thread where the switch says so.
pub fn newleader_step_enabled(cfg: &Config, st: &State, j: Sid) -> bool {
    let srv = st.server(j);
    if !srv.up || !in_newleader(cfg, srv, j) {
        return false;
    }
    let step = newleader_program(cfg, j)[srv.learner.nl_steps as usize];
    !(step == NlStep::Ack && cfg.bug_on(Bug::Zk4685) && live_unsynced(srv) > 0)
}

/// Queued transactions that belong to the current database (not left over by a sync thread
/// that survived a shutdown).
pub fn live_unsynced(srv: &Server) -> usize {
    srv.unsynced.len() - srv.stale_unsynced as usize
}

/// The step `j` takes next in its NEWLEADER handling.
pub fn next_newleader_step(cfg: &Config, st: &State, j: Sid) -> NlStep {
    newleader_program(cfg, j)[st.server(j).learner.nl_steps as usize]
}

/// `NewLeaderStep`: follower `j` takes the next step of its NEWLEADER program (log the synced
/// transactions, write currentEpoch, or send the ACK of NEWLEADER), as the bug switch orders
/// them. The ACK raises `state_consistent` if transactions committed during sync are still
/// unapplied.
pub fn newleader_step(cfg: &Config, st: &mut State, j: Sid) {
    let srv = st.server(j);
    let step = newleader_program(cfg, j)[srv.learner.nl_steps as usize];
    let epoch = srv
        .learner
        .newleader
        .expect("NEWLEADER step without NEWLEADER");
    st.server_mut(j).learner.nl_steps += 1;
    match step {
        NlStep::Log(p) => log_synced(cfg, st.server_mut(j), p),
        NlStep::SetEpoch => st.server_mut(j).current_epoch = epoch,
        NlStep::Ack => {
            if cfg.is_voter(j) && !st.server(j).learner.pc.is_empty() {
                // The follower acknowledges the leader's history while transactions committed
                // during sync are not applied yet. (Observers apply them at UPTODATE.)
                st.ghost.raise(Violation::StateInconsistent);
            }
            let l = st
                .server(j)
                .learner
                .leader
                .expect("syncing without a leader");
            send(
                st,
                j,
                l,
                Msg::Ack {
                    zxid: Zxid::new(epoch, 0),
                },
            );
        }
    }
}

fn log_synced(cfg: &Config, srv: &mut Server, p: Persist) {
    if matches!(srv.learner.sync_mode, SyncMode::Trunc | SyncMode::Snap) {
        // takeSnapshot: everything applied in memory becomes durable, as a snapshot.
        srv.log = srv.hist;
        srv.log_snap = srv.hist.len() as u8;
        srv.hist_snap = srv.log_snap;
    }
    if p == Persist::Skip {
        return;
    }
    let apply = !cfg.bug_on(Bug::Zk3023);
    let everything = cfg.bug_on(Bug::Zk4394);
    let mut kept_pc = Hist::EMPTY;
    while let Some(z) = srv.learner.pc.pop_front() {
        match srv.learner.pnl.get(0) {
            Some(head) if head.zxid == z.zxid => {
                srv.learner.pnl.pop_front();
                accept(srv, head, p);
                if apply {
                    srv.learner.synced = srv.hist.len() as u8;
                    srv.last_processed = head.zxid;
                } else {
                    kept_pc.push(z);
                }
            }
            _ => {} // "Committing 0x.., but next proposal is 0x..": skipped with a warning.
        }
    }
    srv.learner.pc = kept_pc;
    if everything {
        // ZOOKEEPER-4394: every pending proposal is logged and packetsNotLogged forgotten.
        while let Some(t) = srv.learner.pnl.pop_front() {
            accept(srv, t, p);
        }
    }
}

/// Add a synced transaction to the history and make it durable now or through the sync
/// thread.
fn accept(srv: &mut Server, t: Txn, p: Persist) {
    srv.hist.push(t);
    match p {
        Persist::Sync => srv.log.push(t),
        Persist::Async => srv.unsynced.push(t),
        Persist::Skip => {}
    }
}

/// UPTODATE: the learner starts serving. Remaining proposals go to the sync thread; commits
/// received after NEWLEADER are applied.
pub fn on_uptodate(cfg: &Config, st: &mut State, j: Sid) {
    let srv = st.server(j);
    if srv.phase != Phase::Synchronization
        || srv.learner.newleader.is_none()
        || in_newleader(cfg, srv, j)
    {
        st.ghost.raise(Violation::StateInconsistent);
        return;
    }
    let epoch = srv.learner.newleader.unwrap();
    let observer = !cfg.is_voter(j);
    let mut bad = false;
    let srv = st.server_mut(j);
    srv.phase = Phase::Broadcast;
    // COMMIT-LD: the leader is established, what it synchronized is delivered.
    srv.committed = srv.committed.max(srv.learner.synced);
    let pnl = srv.learner.pnl;
    let pc = srv.learner.pc;
    if observer {
        // An observer applies (and logs) the synced proposals that were committed.
        let mut pc = pc;
        for t in pnl.as_slice() {
            if pc.get(0).is_some_and(|z| z.zxid == t.zxid) {
                pc.pop_front();
                srv.hist.push(*t);
                srv.unsynced.push(*t);
                srv.committed = srv.hist.len() as u8;
                srv.last_processed = t.zxid;
            }
        }
    } else {
        for t in pnl.as_slice() {
            srv.hist.push(*t);
            srv.unsynced.push(*t);
        }
        for z in pc.as_slice() {
            bad |= !commit_next(srv, z.zxid);
        }
    }
    // The sync bookkeeping is dead from here on: forget it.
    srv.learner.pnl = Hist::EMPTY;
    srv.learner.pc = Hist::EMPTY;
    srv.learner.sync_mode = SyncMode::None;
    srv.learner.newleader = None;
    srv.learner.nl_steps = 0;
    srv.learner.synced = 0;
    if bad {
        st.ghost.raise(Violation::CommitInconsistent);
    }
    crate::fle::update_vote_epoch(st, j, epoch);
}

/// `FollowerZooKeeperServer.commit`: the next pending transaction must be the one committed.
/// Returns false on a mismatch (ZooKeeper exits); a commit with nothing pending is only
/// logged.
pub fn commit_next(srv: &mut Server, zxid: Zxid) -> bool {
    let Some(next) = srv.hist.get(srv.committed as usize) else {
        return true;
    };
    if next.zxid != zxid {
        return false;
    }
    srv.committed += 1;
    srv.last_processed = zxid;
    true
}

/// The leader reads the first ACK after NEWLEADER from learner `j`.
pub fn on_newleader_ack(cfg: &Config, st: &mut State, l: Sid, j: Sid, zxid: Zxid) {
    let ls = &st.server(l).leader;
    if zxid == Zxid::new(ls.epoch, 0) {
        if cfg.is_voter(j) {
            let ls = &mut st.server_mut(l).leader;
            ls.newleader_acks = ls.newleader_acks.with(j);
        }
    } else {
        // "NEWLEADER ACK from sid is from a different epoch": not counted.
        st.ghost.raise(Violation::AckInconsistent);
    }
    st.server_mut(l).leader.handler[j as usize] = Handler::AwaitQuorum;
    try_establish(cfg, st, l);
    if st.server(l).leader.established {
        uptodate(cfg, st, l, j);
    }
}

fn uptodate(cfg: &Config, st: &mut State, l: Sid, j: Sid) {
    if st.server(l).leader.handler[j as usize] == Handler::AwaitQuorum {
        st.server_mut(l).leader.handler[j as usize] = Handler::Broadcast;
        send(st, l, j, Msg::UpToDate);
        crate::reads::join_round(cfg, st, l, j);
    }
}

/// `waitForNewLeaderAck` returns: a quorum including the leader acked NEWLEADER. The leader
/// starts serving (its whole history is now committed) and releases UPTODATE.
pub fn try_establish(cfg: &Config, st: &mut State, l: Sid) {
    let srv = st.server(l);
    let ls = &srv.leader;
    if srv.role != ServerState::Leading
        || ls.established
        || !ls.epoch_acked
        || !ls.newleader_acks.contains(l)
        || !cfg.is_quorum(ls.newleader_acks.len())
    {
        return;
    }
    let srv = st.server_mut(l);
    srv.leader.established = true;
    srv.phase = Phase::Broadcast;
    srv.committed = srv.hist.len() as u8;
    srv.last_processed = srv.hist.last_zxid();
    let hist = srv.hist;
    let epoch = srv.leader.epoch;
    if st.ghost.committed.is_prefix_of(&hist) {
        st.ghost.commit_to(&hist, epoch);
    } else {
        st.ghost.raise(Violation::CommittedTxnLost);
    }
    for j in st.ids().collect::<Vec<_>>() {
        uptodate(cfg, st, l, j);
    }
    crate::fle::update_vote_epoch(st, l, epoch);
}
