//! Broadcast: the established leader turns client writes into PROPOSALs (zxid = epoch and a
//! counter), followers log them and ACK after fsync, a quorum of ACKs (the leader's own
//! included) commits a proposal in order, COMMIT goes to followers and INFORM to observers.
//! Writes received by a learner are forwarded to the leader (REQUEST).

use crate::bugs::Bug;
use crate::config::Config;
use crate::msg::Msg;
use crate::ops::send;
use crate::state::{Conn, Server, State, Violation};
use crate::sync;
use crate::types::{Mask, Phase, ServerState, Sid, Txn, Zxid};

/// Whether a client write can be submitted at `s`: an established leader, or a learner in
/// broadcast connected to it.
pub fn accepts_writes(st: &State, s: Sid) -> bool {
    let srv = st.server(s);
    if !srv.up || srv.phase != Phase::Broadcast {
        return false;
    }
    match srv.role {
        ServerState::Leading => srv.leader.established,
        ServerState::Following | ServerState::Observing => srv.learner.conn == Conn::Open,
        ServerState::Looking => false,
    }
}

/// `ClientRequest(s)`: a client issues the next write (request number = requests so far). The
/// leader proposes it; a learner forwards it to its leader as REQUEST.
pub fn client_request(cfg: &Config, st: &mut State, s: Sid) {
    st.ghost.requests += 1;
    let value = st.ghost.requests;
    if st.server(s).role == ServerState::Leading {
        propose(cfg, st, s, value);
    } else {
        let l = st.server(s).learner.leader.expect("learner without leader");
        send(st, s, l, Msg::Request { value });
    }
}

/// A forwarded write reaches the leader.
pub fn on_request(cfg: &Config, st: &mut State, l: Sid, value: u8) {
    let srv = st.server(l);
    if srv.role == ServerState::Leading && srv.leader.established {
        propose(cfg, st, l, value);
    }
}

/// `Leader.propose`: the next zxid of this epoch, logged through the leader's own sync thread
/// and sent to every forwarding follower.
fn propose(cfg: &Config, st: &mut State, l: Sid, value: u8) {
    let srv = st.server_mut(l);
    let epoch = srv.leader.epoch;
    let last = srv.hist.last_zxid();
    let counter = if last.epoch == epoch {
        last.counter + 1
    } else {
        1
    };
    let txn = Txn {
        zxid: Zxid::new(epoch, counter),
        value,
    };
    srv.hist.push(txn);
    srv.unsynced.push(txn);
    srv.leader.acks[srv.hist.len() - 1] = Mask::EMPTY;
    st.ghost.proposed.push(txn);
    let fwd = st.server(l).leader.forwarding();
    for j in fwd.iter() {
        if cfg.is_voter(j) {
            send(st, l, j, Msg::Proposal { txn });
        }
    }
}

/// PROPOSAL at a follower in broadcast: log it through the sync thread.
pub fn on_proposal(st: &mut State, j: Sid, txn: Txn) {
    let srv = st.server_mut(j);
    if !sync::is_next(srv.hist.last_zxid(), txn.zxid) {
        st.ghost.raise(Violation::ProposalInconsistent);
        return;
    }
    srv.hist.push(txn);
    srv.unsynced.push(txn);
}

/// COMMIT at a follower in broadcast.
pub fn on_commit(st: &mut State, j: Sid, zxid: Zxid) {
    if !sync::commit_next(st.server_mut(j), zxid) {
        st.ghost.raise(Violation::CommitInconsistent);
    }
}

/// INFORM at an observer: a committed transaction to log and apply.
pub fn on_inform(st: &mut State, j: Sid, txn: Txn) {
    let srv = st.server_mut(j);
    if !sync::is_next(srv.hist.last_zxid(), txn.zxid) {
        // As a follower's PROPOSAL (the implementation's observer leaves on such a gap).
        st.ghost.raise(Violation::ProposalInconsistent);
        return;
    }
    srv.hist.push(txn);
    srv.unsynced.push(txn);
    srv.committed = srv.hist.len() as u8;
    srv.last_processed = txn.zxid;
    st.ghost.informed = true;
}

/// The leader reads an ACK of a proposal from `j` (or its own, after its fsync).
pub fn on_ack(cfg: &Config, st: &mut State, l: Sid, j: Sid, zxid: Zxid) {
    if zxid.counter == 0 {
        // NEWLEADER / UPTODATE acks reaching the main loop are ignored (`processAck`).
        return;
    }
    let srv = st.server(l);
    let Some(idx) = srv.hist.index_of(zxid) else {
        st.ghost.raise(Violation::AckInconsistent);
        return;
    };
    if idx < srv.committed as usize || !cfg.is_voter(j) {
        return;
    }
    let ls = &mut st.server_mut(l).leader;
    ls.acks[idx] = ls.acks[idx].with(j);
    try_commit(cfg, st, l);
}

/// `tryToCommit`, in zxid order: commit every outstanding proposal acked by a quorum.
fn try_commit(cfg: &Config, st: &mut State, l: Sid) {
    loop {
        let srv = st.server(l);
        let idx = srv.committed as usize;
        let acks = srv.leader.acks.get(idx).map_or(0, |m| m.len());
        let enough = cfg.is_quorum(acks)
            || (acks > 0 && cfg.mutant_on(crate::mutants::Mutant::CommitWithoutQuorum));
        if !srv.leader.established || idx >= srv.hist.len() || !enough {
            return;
        }
        let txn = srv.hist.get(idx).unwrap();
        let srv = st.server_mut(l);
        srv.committed += 1;
        srv.last_processed = txn.zxid;
        let before = srv.hist.prefix(idx);
        let epoch = srv.leader.epoch;
        let g = &mut st.ghost;
        if g.committed.get(idx) == Some(txn) && before.is_prefix_of(&g.committed) {
            // A leader of an older epoch catching up on what a newer one already committed.
        } else if g.committed == before {
            let mut extended = before;
            extended.push(txn);
            g.commit_to(&extended, epoch);
        } else {
            g.raise(Violation::CommittedTxnLost);
        }
        let fwd = st.server(l).leader.forwarding();
        for j in fwd.iter() {
            if cfg.is_voter(j) {
                send(st, l, j, Msg::Commit { zxid: txn.zxid });
            } else {
                // Observers are forwarded to from syncFollower on, like followers
                // (`observingLearners`): a syncing observer gets INFORM too.
                send(st, l, j, Msg::Inform { txn });
            }
        }
    }
}

/// Whether the sync thread of `s` has something to write now.
pub fn flush_enabled(cfg: &Config, st: &State, s: Sid) -> bool {
    let srv = st.server(s);
    if !srv.up || srv.unsynced.is_empty() {
        return false;
    }
    // ZOOKEEPER-4646: the ACK of NEWLEADER goes out before the sync thread writes (and ACKs)
    // the transactions handed to it at NEWLEADER.
    let stale_first = srv.stale_unsynced > 0;
    stale_first || !(cfg.bug_on(Bug::Zk4646) && sync::in_newleader(cfg, srv, s))
}

/// `SyncRequestProcessor`: append the head of the queue to the log, fsync, then
/// `SendAckRequestProcessor` ACKs it (the leader acks itself).
pub fn sync_flush(cfg: &Config, st: &mut State, s: Sid) {
    let srv = st.server_mut(s);
    let txn = srv.unsynced.pop_front().expect("flush of an empty queue");
    srv.log.push(txn);
    if srv.stale_unsynced > 0 {
        // Left over by a sync thread that outlived its follower (ZOOKEEPER-4712): the write
        // lands on disk, its ACK goes to a closed socket.
        srv.stale_unsynced -= 1;
        return;
    }
    let srv = *st.server(s);
    ack_persisted(cfg, st, s, &srv, txn.zxid);
}

fn ack_persisted(cfg: &Config, st: &mut State, s: Sid, srv: &Server, zxid: Zxid) {
    match srv.role {
        ServerState::Leading => on_ack(cfg, st, s, s, zxid),
        ServerState::Following if srv.learner.conn == Conn::Open => {
            let l = srv.learner.leader.unwrap();
            send(st, s, l, Msg::Ack { zxid });
        }
        _ => {}
    }
}
