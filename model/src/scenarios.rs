//! The guided tour: the seed's scenarios as named paths of the model, each with the
//! configuration it needs and what to look at, so that the Explorer opens at its last step.
//!
//! A scenario is not a recorded list of actions (which would break silently when the model
//! changes) but a goal: a predicate on the state, and a condition every state on the way must
//! meet. The path is the shortest one the checker finds, breadth first on one thread (so it is
//! the same path on every run); a scenario whose goal is no longer reachable fails
//! `model/tests/scenarios.rs`.

use crate::action::Action;
use crate::config::{Config, Election, Scope};
use crate::model::ZabModel;
use crate::route::Route;
use crate::state::{Server, State, SyncMode};
use crate::types::{ServerState, Sid, Txn};
use stateright::{Checker, HasDiscoveries, Model, Property};

/// One stop of the tour.
pub struct Scenario {
    /// The name on the command line (`zab-model explore --scenario NAME`).
    pub name: &'static str,
    /// What happens, in one line.
    pub title: &'static str,
    /// What to look at in the Explorer at the last step, in one paragraph.
    pub explanation: &'static str,
    /// What the last step's state shows, as the Explorer prints it (whitespace aside): the
    /// roles, epochs, zxids and histories the explanation names.
    pub shows: &'static [&'static str],
    config: fn() -> Config,
    /// The last step: the first state on the way that meets it.
    goal: fn(&State) -> bool,
    /// What every state on the way meets (the search looks through no other state).
    along: fn(&State) -> bool,
}

/// Every scenario, in the order of the seed's story.
pub const SCENARIOS: [Scenario; 5] = [
    Scenario {
        name: "commit-survives-leader-crash",
        title: "A committed write survives its leader's crash",
        explanation: "s1 leads epoch 1 and proposes a write; its follower s2 logs and ACKs \
            it, and with its own ACK s1 has a quorum: the write is committed on s1. s1 crashes \
            before its COMMIT reaches anyone. s2 and s3 elect the one with the highest zxid, \
            s2, which holds the write; s2 becomes leader of epoch 2 with the write in its \
            initial history, and the write stays committed (look at the committed history, \
            and at s2's epoch, zxid and commit point).",
        config: Config::default,
        shows: &[
            "s1 DOWN",
            "s2 LEADING BROADCAST acc=2 cur=2 last=1.1",
            "hist=[1.1:v1] commit=1",
            "committed [1.1:v1]",
        ],
        goal: commit_survives_leader_crash,
        along: only_the_leader_has_committed,
    },
    Scenario {
        name: "uncommitted-write-truncated",
        title: "A write only the leader logged is discarded by TRUNC",
        explanation: "s1 leads epoch 1, takes a client's write and logs it, then crashes \
            before the PROPOSAL reaches any follower. s2 and s3 elect s2 leader of epoch 2; it \
            never saw the write. When s1 restarts it joins s2 as a follower with a log ahead of \
            its leader's: synchronization sends TRUNC, and the write, never committed, \
            disappears from s1's log and history (look at s1's sync mode, log and history).",
        config: Config::default,
        shows: &[
            "s1 FOLLOWING s2 SYNC acc=2 cur=2 last=0.0 log=[] hist=[]",
            "sync Trunc",
            "s2 LEADING BROADCAST acc=2 cur=2",
            "committed [] proposed [1.1:v1]",
        ],
        goal: uncommitted_write_truncated,
        along: only_the_leader_has_the_proposal,
    },
    Scenario {
        name: "split-brain-averted",
        title: "A cut-off leader cannot commit: split brain averted",
        explanation: "s1 leads epoch 1 with s2 as its follower and takes a client's write, \
            just as a partition cuts it off from s2 and s3. It still believes it leads, but its \
            PROPOSAL cannot reach anyone and no quorum will ever ACK it. On the majority side s2 \
            gives up on s1 and, with s3, elects itself leader of epoch 2. Now two servers are \
            LEADING, but only the one with a quorum commits: s1's proposal has no ACK and is in \
            no committed history, and s2 and s3 have accepted epoch 2, so they would refuse \
            anything s1 sends for epoch 1 (look at both leaders' epochs and acks, the partition \
            and the committed history).",
        config: split_brain_config,
        shows: &[
            "s1 LEADING BROADCAST acc=1 cur=1",
            "hist=[1.1:v1] commit=0",
            "acks[1.1]={}",
            "s2 LEADING BROADCAST acc=2 cur=2",
            "partitioned: {s1}",
            "committed [] proposed [1.1:v1]",
        ],
        goal: split_brain_averted,
        along: any,
    },
    Scenario {
        name: "fle-vote-order",
        title: "Fast Leader Election orders votes by (epoch, zxid, server id)",
        explanation: "All three servers are in epoch 1; s1 has logged a write the others lack. \
            Each starts by voting for itself. s2 and s3 have equal zxids, so between them the \
            higher id would win, but s1's vote carries the higher zxid: every server that \
            reads it changes its vote to s1, and s1 is elected although its id is the lowest \
            (look at each server's vote and round, and the roles at the end).",
        config: fle_config,
        shows: &[
            "s1 LEADING",
            "last=1.1",
            "s2 FOLLOWING s1",
            "s3 FOLLOWING s1",
            "round 1 vote s1@(1,1.1)",
        ],
        goal: fle_vote_order,
        along: fle_vote_order_start,
    },
    Scenario {
        name: "observer-inform",
        title: "An observer learns commits by INFORM and never votes",
        explanation: "Three voters and one observer, s4. The election counts only voters, and \
            the leader's quorum for the write is made of voters' ACKs. The observer connects \
            with OBSERVERINFO, is synchronized like a follower, then receives the committed \
            write as one INFORM packet (the proposal and its commit together) instead of a \
            PROPOSAL and a COMMIT, and applies it (look at s4's role and history).",
        config: observer_config,
        shows: &[
            "s4 OBSERVING s1 BROADCAST acc=1 cur=1 last=1.1",
            "hist=[1.1:v1] commit=1",
            "committed [1.1:v1]",
        ],
        goal: observer_informed,
        along: any,
    },
];

/// The scenario named `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.name == name)
}

/// The scenarios' names, for an error message.
pub fn names() -> Vec<&'static str> {
    SCENARIOS.iter().map(|s| s.name).collect()
}

impl Scenario {
    /// The configuration the scenario is explored in.
    pub fn config(&self) -> Config {
        (self.config)()
    }

    /// Whether `st` is where the scenario ends.
    pub fn reached(&self, st: &State) -> bool {
        (self.goal)(st)
    }

    /// Whether `st` may lie on the scenario's way.
    pub fn allows(&self, st: &State) -> bool {
        (self.along)(st)
    }

    /// The shortest path to the scenario's goal, as the Explorer addresses it; `None` if the
    /// model no longer reaches it.
    pub fn route(&self) -> Option<Route> {
        let zab = ZabModel::new(self.config());
        let tour = Tour {
            zab: zab.clone(),
            goal: self.goal,
            along: self.along,
        };
        let checker = tour
            .checker()
            .threads(1)
            .finish_when(HasDiscoveries::All)
            .spawn_bfs()
            .join();
        let steps = checker.discovery(GOAL)?.into_vec();
        let actions: Vec<Action> = steps.iter().filter_map(|(_, a)| *a).collect();
        Route::of_path(&zab, &steps[0].0, &actions)
    }

    /// The route and its steps as readable lines (the initial state, one line per step, the
    /// last state), as `zab-model scenarios NAME` prints them.
    pub fn steps(&self) -> Option<(Route, Vec<String>)> {
        let model = ZabModel::new(self.config());
        let route = self.route()?;
        let (states, actions) = route.walk(&model)?;
        Some((route, crate::check::trace(&model, &states[0], &actions)))
    }
}

const GOAL: &str = "scenario goal";

/// The model, searched only through the states a scenario allows, with its goal as the one
/// property.
struct Tour {
    zab: ZabModel,
    goal: fn(&State) -> bool,
    along: fn(&State) -> bool,
}

impl Model for Tour {
    type State = State;
    type Action = Action;

    /// Only the allowed ones: stateright's breadth-first search numbers the initial states
    /// after dropping those outside the boundary, but rebuilds the path it reports from the
    /// unfiltered list, so the two lists must be the same.
    fn init_states(&self) -> Vec<State> {
        let mut states = self.zab.init_states();
        states.retain(|s| (self.along)(s));
        states
    }

    fn actions(&self, st: &State, out: &mut Vec<Action>) {
        self.zab.actions(st, out)
    }

    fn next_state(&self, st: &State, action: Action) -> Option<State> {
        self.zab.next_state(st, action)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::sometimes(GOAL, |t: &Tour, st: &State| {
            (t.goal)(st)
        })]
    }

    fn within_boundary(&self, st: &State) -> bool {
        self.zab.within_boundary(st) && (self.along)(st)
    }
}

fn any(_: &State) -> bool {
    true
}

/// An established leader of `epoch`, if any.
fn leader_of_epoch(st: &State, epoch: u8) -> Option<&Server> {
    st.servers
        .iter()
        .find(|v| v.is_established_leader() && v.current_epoch == epoch)
}

/// The first transaction any leader proposed.
fn first_proposal(st: &State) -> Option<Txn> {
    st.ghost.proposed.get(0)
}

fn commit_survives_leader_crash(st: &State) -> bool {
    let committed_in_epoch_1 = !st.ghost.committed.is_empty() && st.ghost.committed_in[0] == 1;
    let old_leader_crashed = st.env.crashes == 1;
    committed_in_epoch_1
        && old_leader_crashed
        && leader_of_epoch(st, 2).is_some_and(|l| l.committed >= 1)
}

/// Until the crash, no server but the leader has committed anything: the COMMIT reached
/// nobody.
fn only_the_leader_has_committed(st: &State) -> bool {
    st.env.crashes > 0
        || st
            .servers
            .iter()
            .all(|v| v.role == ServerState::Leading || v.committed == 0)
}

fn uncommitted_write_truncated(st: &State) -> bool {
    let Some(t) = first_proposal(st) else {
        return false;
    };
    t.zxid.epoch == 1
        && !st.ghost.committed.contains_txn(t)
        && leader_of_epoch(st, 2).is_some()
        && st.servers.iter().any(|v| {
            v.role == ServerState::Following
                && v.learner.sync_mode == SyncMode::Trunc
                && !v.hist.contains_txn(t)
        })
}

/// Until the crash, the proposal is on the leader only; the server that crashes is one that
/// logged it (so, the leader).
fn only_the_leader_has_the_proposal(st: &State) -> bool {
    let only_on_the_leader = st
        .servers
        .iter()
        .all(|v| v.role == ServerState::Leading || v.hist.is_empty());
    let crashed_with_it = st.servers.iter().all(|v| v.up || !v.log.is_empty());
    (st.env.crashes > 0 || only_on_the_leader) && crashed_with_it
}

fn split_brain_config() -> Config {
    Config {
        crashes: 0,
        partitions: 1,
        ..Config::default()
    }
}

fn split_brain_averted(st: &State) -> bool {
    let Some(new) = st.ids().find(|&s| {
        let v = st.server(s);
        v.is_established_leader() && v.current_epoch == 2
    }) else {
        return false;
    };
    st.ids().any(|old: Sid| {
        let v = st.server(old);
        v.up && v.role == ServerState::Leading
            && v.current_epoch == 1
            && !st.env.connected(old, new)
            && v.hist
                .last()
                .is_some_and(|t| t.zxid.epoch == 1 && !st.ghost.committed.contains_txn(t))
    })
}

fn fle_config() -> Config {
    Config {
        election: Election::Fle,
        scope: Scope::Election,
        txns: 0,
        crashes: 0,
        epochs: 1,
        rounds: 1,
        ..Config::default()
    }
}

/// s1 in epoch 1 with one logged write; s2 and s3 in epoch 1 with none.
fn fle_vote_order_start(st: &State) -> bool {
    let s = &st.servers;
    s.iter().all(|v| v.current_epoch == 1)
        && s[0].log.len() == 1
        && s[1].log.is_empty()
        && s[2].log.is_empty()
}

fn fle_vote_order(st: &State) -> bool {
    st.server(0).role == ServerState::Leading
        && st.servers[1..]
            .iter()
            .all(|v| v.role == ServerState::Following)
}

fn observer_config() -> Config {
    Config {
        observers: 1,
        crashes: 0,
        ..Config::default()
    }
}

fn observer_informed(st: &State) -> bool {
    st.ghost.informed
}
