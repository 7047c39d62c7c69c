//! Transitions shared by several phases: sending, closing quorum connections, a server
//! returning to LOOKING, crashing and restarting.

use crate::bugs::Bug;
use crate::config::{Config, Election};
use crate::fle;
use crate::msg::{Msg, Packet, Plane};
use crate::state::{Conn, Fle, Handler, LeaderState, LearnerState, Server, State};
use crate::types::{Phase, ServerState, Sid};

/// Sends a quorum packet over the connection between `from` and `to`; without an open
/// connection (closed, or never opened) it goes nowhere.
pub fn send(st: &mut State, from: Sid, to: Sid, msg: Msg) {
    if st.reachable(from, to) && conn_open(st, from, to) {
        st.net.send(from, to, Packet::Quorum(msg));
    }
}

/// Whether a learner-leader quorum connection between `a` and `b` is open.
pub fn conn_open(st: &State, a: Sid, b: Sid) -> bool {
    let open = |learner: Sid, leader: Sid| {
        let l = &st.server(learner).learner;
        l.leader == Some(leader) && l.conn == Conn::Open
    };
    open(a, b) || open(b, a)
}

/// Closes the quorum connection between `learner` and its leader: both queues are dropped,
/// the leader's handler for it dies, and the learner will notice (`LearnerTimeout`).
pub fn close_learner_conn(cfg: &Config, st: &mut State, learner: Sid) {
    let Some(leader) = st.server(learner).learner.leader else {
        return;
    };
    if st.server(learner).learner.conn != Conn::Open {
        return;
    }
    st.net.drop_pair(learner, leader, Plane::Quorum);
    st.server_mut(learner).learner.conn = Conn::Closed;
    let keep_acks = cfg.bug_on(Bug::StaleAck);
    let l = st.server_mut(leader);
    if l.role == ServerState::Leading {
        l.leader.handler[learner as usize] = Handler::None;
        // The learner's read failed with its connection; a reply would reach a later one.
        l.leader.read_queue = l.leader.read_queue.without(learner);
        if let Some(r) = l.leader.read_round.as_mut() {
            r.waiting = r.waiting.without(learner);
        }
        if !keep_acks {
            // A learner that reconnects may be truncated before it logs the proposal again,
            // so an ACK from a dead connection no longer vouches for its disk.
            for a in l.leader.acks.iter_mut() {
                *a = a.without(learner);
            }
        }
    }
}

/// Closes every learner connection of a leader (it stops leading or crashes).
fn close_all_learners(cfg: &Config, st: &mut State, leader: Sid) {
    for j in st.ids().collect::<Vec<_>>() {
        let lj = st.server(j).learner;
        if lj.leader == Some(leader) && lj.conn == Conn::Open {
            close_learner_conn(cfg, st, j);
        }
    }
}

/// Closes whatever quorum connections `s` has, in any role.
pub fn close_all_conns(cfg: &Config, st: &mut State, s: Sid) {
    match st.server(s).role {
        ServerState::Leading => close_all_learners(cfg, st, s),
        ServerState::Following | ServerState::Observing => close_learner_conn(cfg, st, s),
        ServerState::Looking => {}
    }
}

/// Server `s` stops leading or following and returns to LOOKING (a follower's or leader's
/// `shutdown()` followed by a new `lookForLeader()`).
pub fn shutdown_to_looking(cfg: &Config, st: &mut State, s: Sid) {
    close_all_conns(cfg, st, s);
    let srv = st.server_mut(s);
    if cfg.bug_on(Bug::Zk4712) {
        // The sync thread is not stopped: what it holds will reach the disk later, behind
        // the back of the reloaded database.
        srv.stale_unsynced = srv.unsynced.len() as u8;
    } else {
        // Follower.shutdown stops the SyncRequestProcessor, which drains its queue to disk.
        flush_all(srv);
    }
    if cfg.bug_on(Bug::Zk2845) {
        // The database is retained: its DataTree holds only what was applied, and
        // lastProcessedZxid stays at the last applied transaction.
        srv.hist = srv.delivered();
        srv.hist_snap = srv.hist_snap.min(srv.committed);
    } else {
        reload_database(srv);
    }
    srv.role = ServerState::Looking;
    srv.phase = Phase::Election;
    srv.leader = LeaderState::default();
    srv.learner = LearnerState::default();
    // An open read fails: its client retries at whatever server it reconnects to.
    srv.read = crate::state::Read::Idle;
    srv.read_floor = crate::types::Zxid::ZERO;
    start_election(cfg, st, s);
}

/// Appends every queued transaction to the log (a sync thread drained at shutdown).
fn flush_all(srv: &mut Server) {
    while let Some(t) = srv.unsynced.pop_front() {
        srv.log.push(t);
    }
    srv.stale_unsynced = 0;
}

/// Clears the in-memory database and loads it from disk: the DataTree replays the whole log,
/// so lastProcessedZxid becomes the last logged zxid. What was delivered stays delivered as
/// far as the reloaded history still agrees with it.
pub fn reload_database(srv: &mut Server) {
    let delivered = srv.delivered();
    srv.hist = srv.log;
    srv.hist_snap = srv.log_snap;
    srv.last_processed = srv.log.last_zxid();
    srv.committed = delivered.common_prefix(&srv.hist) as u8;
}

/// A LOOKING server starts a new round of Fast Leader Election (oracle grain: nothing to do,
/// the oracle reads the durable state directly).
pub fn start_election(cfg: &Config, st: &mut State, s: Sid) {
    if cfg.election == Election::Fle {
        fle::start_round(cfg, st, s);
    }
}

/// The server crashes: volatile state is lost, its connections close, what it had in flight
/// is gone.
pub fn crash(cfg: &Config, st: &mut State, s: Sid) {
    close_all_conns(cfg, st, s);
    st.net.drop_where(|l| l.from == s || l.to == s);
    let srv = st.server_mut(s);
    let durable = (srv.accepted_epoch, srv.current_epoch, srv.log, srv.log_snap);
    *srv = Server::fresh();
    (srv.accepted_epoch, srv.current_epoch, srv.log, srv.log_snap) = durable;
    srv.up = false;
    if let Some(f) = st.fle.get_mut(s as usize) {
        *f = Fle::default();
    }
}

/// The server starts again from disk and looks for a leader.
pub fn restart(cfg: &Config, st: &mut State, s: Sid) {
    let srv = st.server_mut(s);
    srv.up = true;
    // A crash inside the NEWLEADER handling, after the synced history was logged and before
    // currentEpoch was written, leaves a log ahead of currentEpoch. ZooKeeper then refuses to
    // start (ZOOKEEPER-2354); with the updatingEpoch marker written when the handling begins,
    // recovery sets currentEpoch to the epoch of the last logged zxid instead (found by
    // refinement, `specs/refinement.md`).
    let logged = srv.log.last_zxid().epoch;
    if logged > srv.current_epoch {
        srv.current_epoch = logged;
    }
    srv.hist = srv.log;
    srv.hist_snap = srv.log_snap;
    srv.last_processed = srv.log.last_zxid();
    srv.committed = 0;
    if cfg.mutant_on(crate::mutants::Mutant::ForgetAcceptedEpoch) {
        srv.accepted_epoch = srv.current_epoch;
    }
    start_election(cfg, st, s);
}
