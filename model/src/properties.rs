//! The properties checked on every reachable state, one function each. "Deliver" means apply
//! to the DataTree: a server's delivered sequence is the committed prefix of its history
//! (`Server::delivered`). `specs/properties.md` states each formally.

use crate::config::{Config, Scope};
use crate::model::ZabModel;
use crate::state::{State, SyncMode, Violation, MAX_SERVERS};
use crate::types::{Hist, ServerState, Sid};
use stateright::Property;

/// The name of the check that the exhaustive search's in-flight bound was never reached.
pub const IN_FLIGHT_BELOW_BOUND: &str = "in_flight_below_bound";

/// Not a property of Zab but of the check: the explored space stops a little above
/// `MAX_IN_FLIGHT` messages in flight (`within_boundary`, by more than one step can add), so
/// a run that gets there fails this at or past the bound rather than the space being cut
/// short without a word.
fn in_flight_below_bound(_: &ZabModel, st: &State) -> bool {
    st.net.len() < crate::model::MAX_IN_FLIGHT
}

/// Every property for this configuration: safety (`always`) first, then reachability
/// (`sometimes`).
pub fn all(cfg: &Config) -> Vec<Property<ZabModel>> {
    if cfg.scope == Scope::Election {
        return vec![
            Property::always("vote_order_consistent", vote_order_consistent),
            Property::always("no_illegal_message", no_illegal_message),
            Property::always(IN_FLIGHT_BELOW_BOUND, in_flight_below_bound),
            Property::sometimes("leader_elected", leader_elected),
        ];
    }
    let mut props = vec![
        Property::always("integrity", integrity),
        Property::always("total_order", total_order),
        Property::always("agreement", agreement),
        Property::always("local_primary_order", local_primary_order),
        Property::always("global_primary_order", global_primary_order),
        Property::always("primary_integrity", primary_integrity),
        Property::always("primary_uniqueness", primary_uniqueness),
        Property::always("leadership", leadership),
        Property::always("initial_history_integrity", initial_history_integrity),
        Property::always("committed_txn_never_lost", committed_txn_never_lost),
        Property::always("committed_txn_durable", committed_txn_durable),
        Property::always("prefix_consistency", prefix_consistency),
        Property::always("history_consistency", history_consistency),
        Property::always("no_illegal_message", no_illegal_message),
        Property::always("state_consistent", state_consistent),
        Property::always("proposal_consistent", proposal_consistent),
        Property::always("commit_consistent", commit_consistent),
        Property::always("ack_consistent", ack_consistent),
        Property::always(IN_FLIGHT_BELOW_BOUND, in_flight_below_bound),
        Property::sometimes("leader_established", leader_established),
        Property::sometimes("txn_committed", txn_committed),
        Property::sometimes("diff_sync", diff_sync),
        Property::sometimes("trunc_sync", trunc_sync),
        Property::sometimes("snap_sync", snap_sync),
    ];
    if cfg.election == crate::config::Election::Fle {
        props.push(Property::always(
            "vote_order_consistent",
            vote_order_consistent,
        ));
    }
    if cfg.observers > 0 {
        props.push(Property::sometimes("observer_informed", observer_informed));
    }
    if cfg.reads > 0 {
        props.push(Property::always("read_sees_committed", read_sees_committed));
        props.push(Property::sometimes("read_served", read_served));
    }
    props
}

/// Delivered sequences of the servers that are up.
fn delivered(st: &State) -> impl Iterator<Item = (Sid, Hist)> + '_ {
    st.ids()
        .filter(|&s| st.server(s).up)
        .map(|s| (s, st.server(s).delivered()))
}

/// The non-empty delivered sequences, without allocating (properties run on every state).
struct Delivered {
    seqs: [Hist; MAX_SERVERS],
    n: usize,
}

impl Delivered {
    fn of(st: &State) -> Delivered {
        let mut d = Delivered {
            seqs: [Hist::EMPTY; MAX_SERVERS],
            n: 0,
        };
        for (_, h) in delivered(st) {
            if !h.is_empty() {
                d.seqs[d.n] = h;
                d.n += 1;
            }
        }
        d
    }
    fn all(&self) -> &[Hist] {
        &self.seqs[..self.n]
    }
}

/// Integrity (DSN'11 §III): a process delivers only transactions some primary broadcast.
pub fn integrity(_: &ZabModel, st: &State) -> bool {
    delivered(st).all(|(_, d)| {
        d.as_slice()
            .iter()
            .all(|t| st.ghost.proposed.contains_txn(*t))
    })
}

/// Total order (DSN'11 §III): if some process delivers a before b, any process that delivers
/// b delivers a, and before b.
pub fn total_order(_: &ZabModel, st: &State) -> bool {
    let d = Delivered::of(st);
    let all = d.all();
    all.iter().all(|p| {
        all.iter().all(|q| {
            let p = p.as_slice();
            (0..p.len()).all(|i| {
                (i + 1..p.len()).all(|j| match q.index_of(p[j].zxid) {
                    Some(qb) if q.get(qb) == Some(p[j]) => {
                        q.index_of(p[i].zxid).is_some_and(|qa| qa < qb)
                    }
                    _ => true,
                })
            })
        })
    })
}

/// Agreement (DSN'11 §III): if p delivers a and q delivers b, then p delivers b or q
/// delivers a.
pub fn agreement(_: &ZabModel, st: &State) -> bool {
    let d = Delivered::of(st);
    let all = d.all();
    all.iter().all(|p| {
        all.iter().all(|q| {
            p.as_slice().iter().all(|a| {
                q.as_slice()
                    .iter()
                    .all(|b| q.contains_txn(*a) || p.contains_txn(*b))
            })
        })
    })
}

/// Local primary order (DSN'11 §III): if a primary broadcasts a before b, a process that
/// delivers b delivers a first. (Proposals of one epoch come from its one primary, in zxid
/// order.)
pub fn local_primary_order(_: &ZabModel, st: &State) -> bool {
    let proposed = st.ghost.proposed;
    delivered(st).all(|(_, d)| {
        d.as_slice().iter().enumerate().all(|(jb, b)| {
            proposed.as_slice().iter().all(|a| {
                !(a.zxid.epoch == b.zxid.epoch && a.zxid < b.zxid) || d.as_slice()[..jb].contains(a)
            })
        })
    })
}

/// Global primary order (DSN'11 §III): a process delivering a from an earlier primary and b
/// from a later one delivers a first — every delivered sequence is ordered by epoch.
pub fn global_primary_order(_: &ZabModel, st: &State) -> bool {
    delivered(st).all(|(_, d)| {
        d.as_slice()
            .windows(2)
            .all(|w| w[0].zxid.epoch <= w[1].zxid.epoch)
    })
}

/// Primary integrity (DSN'11 §III): if primary e broadcasts and some process delivered b from
/// an earlier primary, e delivered b first — an established leader's delivered sequence holds
/// every earlier-epoch transaction anyone delivered.
pub fn primary_integrity(_: &ZabModel, st: &State) -> bool {
    st.ids()
        .filter(|&l| st.server(l).is_established_leader())
        .all(|l| {
            let leader = st.server(l);
            let mine = leader.delivered();
            delivered(st).all(|(_, d)| {
                d.as_slice()
                    .iter()
                    .filter(|b| b.zxid.epoch < leader.leader.epoch)
                    .all(|b| mine.contains_txn(*b))
            })
        })
}

/// Primary uniqueness ("Dissecting Zab" lemma; `Leadership2` in ZooKeeper's `ZkV3_7_0.tla`):
/// at most one server ever becomes leader of an epoch.
pub fn primary_uniqueness(_: &ZabModel, st: &State) -> bool {
    st.ghost.epoch_leaders.iter().all(|m| m.len() <= 1)
}

/// `Leadership1` (ZooKeeper's TLA+ specs): no two servers lead the same epoch past discovery
/// at the same time.
pub fn leadership(_: &ZabModel, st: &State) -> bool {
    let mut seen = 0u32;
    for s in st
        .servers
        .iter()
        .filter(|s| s.up && s.role == ServerState::Leading && s.leader.epoch_acked)
    {
        let bit = 1u32 << s.leader.epoch;
        if seen & bit != 0 {
            return false;
        }
        seen |= bit;
    }
    true
}

/// Initial-history integrity ("Dissecting Zab"; Remix I-8 `leaderLogCompleteness`): a leader
/// past discovery holds every transaction committed in an earlier epoch (committed by the
/// leader of an earlier epoch, whatever epoch proposed it).
pub fn initial_history_integrity(_: &ZabModel, st: &State) -> bool {
    let g = &st.ghost;
    st.servers
        .iter()
        .filter(|s| s.up && s.role == ServerState::Leading && s.leader.epoch_acked)
        .all(|l| {
            g.committed
                .as_slice()
                .iter()
                .zip(g.committed_in)
                .filter(|(_, e)| *e < l.leader.epoch)
                .all(|(t, _)| l.hist.contains_txn(*t))
        })
}

/// A newly established leader's history, and every quorum commit, extends the committed
/// sequence: nothing committed is ever dropped from it (checked as the transitions happen).
pub fn committed_txn_never_lost(_: &ZabModel, st: &State) -> bool {
    !st.ghost.raised(Violation::CommittedTxnLost)
}

/// Committed-transaction durability: every committed transaction is on the disk of a quorum
/// of voters, so no combination of crashes can lose it.
pub fn committed_txn_durable(m: &ZabModel, st: &State) -> bool {
    st.ghost.committed.as_slice().iter().all(|t| {
        let holders = (0..m.cfg.servers)
            .filter(|&v| st.server(v).log.contains_txn(*t))
            .count();
        m.cfg.is_quorum(holders)
    })
}

/// `PrefixConsistency` (ZooKeeper's TLA+ specs): delivered sequences are prefixes of one
/// another.
pub fn prefix_consistency(_: &ZabModel, st: &State) -> bool {
    let d = Delivered::of(st);
    let all = d.all();
    all.iter()
        .all(|p| all.iter().all(|q| p.is_prefix_of(q) || q.is_prefix_of(p)))
}

/// History consistency (Remix I-10 `processConsistency`): once a follower has taken its
/// leader's NEWLEADER, its log is a prefix of that leader's history.
pub fn history_consistency(_: &ZabModel, st: &State) -> bool {
    st.ids().all(|f| {
        let fs = st.server(f);
        let Some(l) = fs.learner.leader else {
            return true;
        };
        let ls = st.server(l);
        let synced = fs.up
            && fs.role == ServerState::Following
            && ls.up
            && ls.role == ServerState::Leading
            && ls.leader.epoch_acked
            && fs.current_epoch == ls.leader.epoch
            && ls.leader.handler[f as usize].is_forwarding();
        !synced || fs.log.is_prefix_of(&ls.hist)
    })
}

/// `ShouldNotBeTriggered` (messageIllegal): no packet reaches a server whose role never
/// expects it.
pub fn no_illegal_message(_: &ZabModel, st: &State) -> bool {
    !st.ghost.raised(Violation::IllegalMessage)
}

/// `ShouldNotBeTriggered` (stateInconsistent): packets arrive in the phase that expects them.
pub fn state_consistent(_: &ZabModel, st: &State) -> bool {
    !st.ghost.raised(Violation::StateInconsistent)
}

/// `ShouldNotBeTriggered` (proposalInconsistent): proposals arrive gap-free; TRUNC never cuts
/// below what was delivered.
pub fn proposal_consistent(_: &ZabModel, st: &State) -> bool {
    !st.ghost.raised(Violation::ProposalInconsistent)
}

/// `ShouldNotBeTriggered` (commitInconsistent): every COMMIT finds its pending proposal.
pub fn commit_consistent(_: &ZabModel, st: &State) -> bool {
    !st.ghost.raised(Violation::CommitInconsistent)
}

/// `ShouldNotBeTriggered` (ackInconsistent): ACKs name proposals the leader made, and the
/// first ACK after NEWLEADER is the ACK of NEWLEADER.
pub fn ack_consistent(_: &ZabModel, st: &State) -> bool {
    !st.ghost.raised(Violation::AckInconsistent)
}

/// Vote order (ZOOKEEPER-1419; SandTable's `NoVoteCircle`): within one round a LOOKING
/// server only ever moves to a vote higher in the (epoch, zxid, id) order.
pub fn vote_order_consistent(_: &ZabModel, st: &State) -> bool {
    !st.ghost.raised(Violation::VoteOrder)
}

/// Reachable: a leader established by a quorum and broadcasting.
pub fn leader_established(_: &ZabModel, st: &State) -> bool {
    st.servers.iter().any(|s| s.is_established_leader())
}

/// Reachable (election only): a leader with a quorum of voters following it.
pub fn leader_elected(m: &ZabModel, st: &State) -> bool {
    crate::liveness::elected(&m.cfg, st)
}

/// Reachable: a client write committed by a quorum.
pub fn txn_committed(_: &ZabModel, st: &State) -> bool {
    st.ghost
        .committed
        .as_slice()
        .iter()
        .any(|t| st.ghost.proposed.contains_txn(*t))
        && !st.ghost.committed.is_empty()
}

fn some_sync(st: &State, mode: SyncMode) -> bool {
    st.servers
        .iter()
        .any(|s| s.up && s.learner.sync_mode == mode)
}

/// Reachable: a learner synchronized by DIFF.
pub fn diff_sync(_: &ZabModel, st: &State) -> bool {
    some_sync(st, SyncMode::Diff)
}

/// Reachable: a learner synchronized by TRUNC.
pub fn trunc_sync(_: &ZabModel, st: &State) -> bool {
    some_sync(st, SyncMode::Trunc)
}

/// Reachable: a learner synchronized by SNAP.
pub fn snap_sync(_: &ZabModel, st: &State) -> bool {
    some_sync(st, SyncMode::Snap)
}

/// Reachable: an observer delivered a transaction it learned by INFORM.
pub fn observer_informed(_: &ZabModel, st: &State) -> bool {
    st.ghost.informed
}

/// Linearizable reads (`reads.rs`): a read answers from a state holding every transaction
/// committed before the read began (the ghost floor recorded at `ReadStart`).
pub fn read_sees_committed(_: &ZabModel, st: &State) -> bool {
    !st.ghost.raised(Violation::StaleRead)
}

/// Reachability: some linearizable read is answered.
pub fn read_served(_: &ZabModel, st: &State) -> bool {
    st.ghost.read_served
}

#[cfg(test)]
mod tests {
    use crate::msg::{Msg, Packet};
    use crate::Config;

    /// A state with `MAX_IN_FLIGHT` messages in flight fails the bound check, one with one
    /// fewer passes: reaching the bound is reported, not silently cut off.
    #[test]
    fn reaching_the_in_flight_bound_is_reported() {
        let model = crate::ZabModel::new(Config::default());
        let mut st = stateright::Model::init_states(&model).remove(0);
        let bound = super::all(&model.cfg)
            .into_iter()
            .find(|p| p.name == super::IN_FLIGHT_BELOW_BOUND)
            .expect("checked in every configuration");
        let info = Packet::Quorum(Msg::FollowerInfo { accepted_epoch: 0 });
        while st.net.len() < crate::model::MAX_IN_FLIGHT - 1 {
            st.net.send(0, 1, info);
        }
        assert!((bound.condition)(&model, &st));
        st.net.send(0, 1, info);
        assert!(!(bound.condition)(&model, &st));
    }
}
