//! `ZabModel`: the stateright `Model` — initial states, the enabled actions, and how each
//! action changes the state.

use crate::action::Action;
use crate::config::{Config, Election, Scope};
use crate::msg::{Link, Msg, Packet, Plane};
use crate::state::{Handler, Read, Server, State, Violation, MAX_SERVERS};
use crate::sync::Route;
use crate::types::{Hist, Phase, ServerState, Sid, Zxid};
use crate::{
    broadcast, discovery, faults, fle, ops, oracle, properties, reads, symmetry, sync, timeouts,
};
use stateright::{Model, Path, Property};

/// The most in-flight messages a state may hold before the checker stops expanding it.
pub const MAX_IN_FLIGHT: usize = 40;

/// The Zab model of one configuration: ZooKeeper's election (FLE or oracle grain), discovery,
/// synchronization and broadcast, with budgeted faults, as a stateright `Model` that every
/// checker, the liveness check and the Explorer run.
#[derive(Clone, Debug)]
pub struct ZabModel {
    /// The configuration: ensemble size, bounds, fault budgets, election grain, scope, bug switch.
    pub cfg: Config,
    /// Check only these properties (all when empty).
    pub only: Vec<String>,
}

impl ZabModel {
    /// The model of `cfg`, checking every property. Panics if `cfg` has more servers than the
    /// state can hold (`MAX_SERVERS`).
    pub fn new(cfg: Config) -> ZabModel {
        assert!(cfg.n() <= MAX_SERVERS);
        ZabModel {
            cfg,
            only: Vec::new(),
        }
    }

    /// The same model checking only the named properties.
    pub fn with_properties(cfg: Config, only: &[String]) -> ZabModel {
        ZabModel {
            only: only.to_vec(),
            ..ZabModel::new(cfg)
        }
    }

    fn empty_state(&self) -> State {
        State {
            servers: vec![Server::fresh(); self.cfg.n()],
            fle: Vec::new(),
            net: Default::default(),
            env: Default::default(),
            ghost: Default::default(),
        }
    }

    /// Quorum-plane deliveries that can happen now.
    fn deliveries(&self, st: &State, out: &mut Vec<Action>) {
        for (link, p) in st.net.heads() {
            let Packet::Quorum(msg) = p else { continue };
            let receiver = st.server(link.to);
            if receiver.up && !sync::in_newleader(&self.cfg, receiver, link.to) {
                out.push(Action::Deliver {
                    from: link.from,
                    to: link.to,
                    msg,
                });
            }
        }
    }

    fn zab_actions(&self, st: &State, out: &mut Vec<Action>) {
        let cfg = &self.cfg;
        self.deliveries(st, out);
        for s in st.ids() {
            if discovery::can_connect(st, s) {
                out.push(Action::Connect(s));
            }
            let srv = st.server(s);
            if srv.up && srv.role == ServerState::Leading && srv.leader.epoch_acked {
                for j in st.ids() {
                    if srv.leader.handler[j as usize] == Handler::AwaitSync {
                        for route in sync::routes(st, s, j) {
                            out.push(Action::SyncLearner {
                                leader: s,
                                learner: j,
                                snapshot: route == Route::Snapshot,
                            });
                        }
                    }
                }
            }
            if sync::newleader_step_enabled(cfg, st, s) {
                out.push(Action::NewLeaderStep(
                    s,
                    sync::next_newleader_step(cfg, st, s),
                ));
            }
            if broadcast::flush_enabled(cfg, st, s) {
                let head = st.server(s).unsynced.get(0).expect("enabled flush");
                out.push(Action::SyncFlush(s, head.zxid));
            }
            if st.ghost.requests < cfg.txns && broadcast::accepts_writes(st, s) {
                out.push(Action::ClientRequest(s));
            }
            if reads::can_start(cfg, st, s) {
                out.push(Action::ReadStart(s));
            }
            if reads::can_serve(st, s) {
                out.push(Action::ReadServe(s));
            }
        }
    }

    /// A quorum packet from `from` reaches `to`.
    fn deliver(&self, st: &mut State, from: Sid, to: Sid, msg: Msg) {
        let cfg = &self.cfg;
        st.net.pop(Link {
            from,
            to,
            plane: Plane::Quorum,
        });
        let r = *st.server(to);
        let leading = r.role == ServerState::Leading;
        let learning = matches!(r.role, ServerState::Following | ServerState::Observing)
            && r.learner.leader == Some(from);
        let handler = r.leader.handler[from as usize];
        match msg {
            Msg::FollowerInfo { accepted_epoch } if leading => {
                discovery::on_follower_info(cfg, st, to, from, accepted_epoch)
            }
            Msg::LeaderInfo { epoch } if learning => {
                discovery::on_leader_info(cfg, st, to, from, epoch)
            }
            Msg::AckEpoch {
                current_epoch,
                last,
            } if leading => discovery::on_ack_epoch(cfg, st, to, from, current_epoch, last),
            Msg::Trunc { zxid } if learning && sync::into_snapshot(&r, zxid) => {
                // ZooKeeper cannot truncate what a snapshot holds (truncateLog fails and the
                // server exits); the learner gives up on this leader.
                ops::shutdown_to_looking(cfg, st, to)
            }
            Msg::Diff { .. } | Msg::Trunc { .. } | Msg::Snap { .. } if learning => {
                sync::on_sync_mode(st, to, msg)
            }
            Msg::Proposal { txn } if learning && r.phase == Phase::Synchronization => {
                sync::on_sync_proposal(st, to, txn)
            }
            Msg::Proposal { txn }
                if learning && r.phase == Phase::Broadcast && r.role == ServerState::Following =>
            {
                broadcast::on_proposal(st, to, txn)
            }
            Msg::Commit { zxid } if learning && r.phase == Phase::Synchronization => {
                sync::on_sync_commit(st, to, zxid)
            }
            Msg::Commit { zxid }
                if learning && r.phase == Phase::Broadcast && r.role == ServerState::Following =>
            {
                broadcast::on_commit(st, to, zxid)
            }
            Msg::Inform { txn }
                if learning
                    && r.phase == Phase::Synchronization
                    && r.role == ServerState::Observing =>
            {
                sync::on_sync_inform(st, to, txn)
            }
            Msg::Inform { txn }
                if learning && r.phase == Phase::Broadcast && r.role == ServerState::Observing =>
            {
                broadcast::on_inform(st, to, txn)
            }
            Msg::NewLeader { epoch } if learning => sync::on_newleader(st, to, epoch),
            Msg::UpToDate if learning => sync::on_uptodate(cfg, st, to),
            Msg::Ack { zxid } if leading && handler == Handler::AwaitNewLeaderAck => {
                sync::on_newleader_ack(cfg, st, to, from, zxid)
            }
            Msg::Ack { zxid }
                if leading && matches!(handler, Handler::AwaitQuorum | Handler::Broadcast) =>
            {
                broadcast::on_ack(cfg, st, to, from, zxid)
            }
            Msg::Request { value } if leading => broadcast::on_request(cfg, st, to, value),
            Msg::ReadIndex if leading && handler == Handler::Broadcast => {
                reads::on_read_index(cfg, st, to, from)
            }
            Msg::Confirm { round } if reads::follows_in_broadcast(st, to, from) => {
                reads::on_confirm(st, to, from, round)
            }
            Msg::ConfirmAck { round } if leading && handler == Handler::Broadcast => {
                reads::on_confirm_ack(cfg, st, to, from, round)
            }
            Msg::ReadIndexReply { zxid } if learning && r.read == Read::Asked => {
                reads::on_read_index_reply(st, to, zxid)
            }
            _ => st.ghost.raise(Violation::IllegalMessage),
        }
    }

    /// Applies an action to a copy of the state.
    pub fn step(&self, st: &State, action: Action) -> State {
        let cfg = &self.cfg;
        let mut st = st.clone();
        let s = &mut st;
        match action {
            Action::Elect { leader, quorum } => oracle::elect(cfg, s, leader, quorum),
            Action::Join { server, leader } => oracle::join(cfg, s, server, leader),
            Action::Notify { from, to, n } => fle::receive(cfg, s, from, to, n),
            Action::Decide(x) => fle::decide_action(cfg, s, x),
            Action::Resend(x) => fle::resend(cfg, s, x),
            Action::Connect(x) => discovery::connect(cfg, s, x),
            Action::Deliver { from, to, msg } => self.deliver(s, from, to, msg),
            Action::SyncLearner {
                leader,
                learner,
                snapshot,
            } => {
                let route = if snapshot {
                    Route::Snapshot
                } else {
                    Route::Log
                };
                sync::sync_learner(cfg, s, leader, learner, route)
            }
            Action::NewLeaderStep(x, _) => sync::newleader_step(cfg, s, x),
            Action::SyncFlush(x, _) => broadcast::sync_flush(cfg, s, x),
            Action::ClientRequest(x) => broadcast::client_request(cfg, s, x),
            Action::ReadStart(x) => reads::start(cfg, s, x),
            Action::ReadServe(x) => reads::serve(s, x),
            Action::LearnerTimeout(x) | Action::LeaderTimeout(x) => {
                ops::shutdown_to_looking(cfg, s, x)
            }
            Action::Crash(x) => faults::crash(cfg, s, x),
            Action::Restart(x) => faults::restart(cfg, s, x),
            Action::Partition(m) => faults::partition(cfg, s, m),
            Action::Heal => faults::heal(s),
            Action::Lose { from, to, plane } => faults::lose(cfg, s, from, to, plane),
            Action::Transmit { from, to } => faults::transmit(s, from, to),
            Action::PrematureTimeout(x) => faults::premature_timeout(cfg, s, x),
        }
        if cfg.symmetry {
            st = symmetry::canonical(&st, cfg);
        }
        st
    }

    /// Initial states for `--phase election`: every combination of durable (currentEpoch,
    /// last zxid) from a small domain, all servers LOOKING with their first vote sent.
    fn election_init_states(&self) -> Vec<State> {
        let cfg = &self.cfg;
        let domain = election_domain(cfg.epochs);
        let mut out = Vec::new();
        let n = cfg.servers as usize;
        let mut idx = vec![0usize; n];
        loop {
            let mut st = self.empty_state();
            for (s, &i) in idx.iter().enumerate() {
                let (cur, hist) = domain[i];
                let srv = &mut st.servers[s];
                srv.current_epoch = cur;
                srv.accepted_epoch = cur;
                srv.log = hist;
                srv.hist = hist;
                srv.last_processed = hist.last_zxid();
            }
            fle::init(cfg, &mut st);
            out.push(st);
            // Next combination (odometer).
            let mut k = 0;
            loop {
                if k == n {
                    return out;
                }
                idx[k] += 1;
                if idx[k] < domain.len() {
                    break;
                }
                idx[k] = 0;
                k += 1;
            }
        }
    }
}

/// Durable (currentEpoch, history) pairs for election-only checking: the last zxid's epoch
/// never exceeds currentEpoch.
fn election_domain(epochs: u8) -> Vec<(u8, Hist)> {
    let mut out = Vec::new();
    for cur in 0..=epochs {
        out.push((cur, Hist::EMPTY));
        if cur >= 1 {
            let t = crate::types::Txn {
                zxid: Zxid::new(1, 1),
                value: 1,
            };
            out.push((cur, Hist::from_slice(&[t])));
        }
    }
    out
}

impl Model for ZabModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        if self.cfg.scope == Scope::Election {
            let states = self.election_init_states();
            if self.cfg.symmetry {
                let mut canon: Vec<State> = states
                    .iter()
                    .map(|s| symmetry::canonical(s, &self.cfg))
                    .collect();
                canon.sort();
                canon.dedup();
                return canon;
            }
            return states;
        }
        let mut st = self.empty_state();
        if self.cfg.election == Election::Fle {
            fle::init(&self.cfg, &mut st);
        }
        vec![st]
    }

    fn actions(&self, st: &State, out: &mut Vec<Action>) {
        let cfg = &self.cfg;
        match cfg.election {
            Election::Oracle if cfg.scope == Scope::All => oracle::actions(cfg, st, out),
            _ => fle::actions(cfg, st, out),
        }
        if cfg.scope == Scope::All {
            self.zab_actions(st, out);
        }
        for s in st.ids() {
            if timeouts::learner_timeout_enabled(cfg, st, s) {
                out.push(Action::LearnerTimeout(s));
            }
            if timeouts::leader_timeout_enabled(cfg, st, s) {
                out.push(Action::LeaderTimeout(s));
            }
        }
        faults::actions(cfg, st, out);
    }

    fn next_state(&self, st: &State, action: Action) -> Option<State> {
        Some(self.step(st, action))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let mut props = properties::all(&self.cfg);
        if !self.only.is_empty() {
            props.retain(|p| self.only.iter().any(|o| o == p.name));
        }
        props
    }

    fn within_boundary(&self, st: &State) -> bool {
        let e = self.cfg.epochs;
        // Above the bound by more than one step can add (a broadcast to every peer, a packet to
        // every learner, a sync's proposals and commits), so that a state at or past the
        // bound is always explored and reported (`in_flight_below_bound`), never stepped over.
        let one_step = 2 * self.cfg.n() + 2 * usize::from(self.cfg.txns) + 4;
        st.net.len() <= MAX_IN_FLIGHT + one_step
            && st
                .servers
                .iter()
                .all(|s| s.accepted_epoch <= e && s.leader.epoch <= e)
            && st.fle.iter().all(|f| f.round <= self.cfg.rounds)
    }

    fn format_action(&self, action: &Action) -> String {
        format!("{action:?}")
    }

    fn format_step(&self, st: &State, action: Action) -> Option<String> {
        let next = self.step(st, action);
        Some(crate::display::describe_step(&self.cfg, st, &action, &next))
    }

    fn as_svg(&self, path: Path<State, Action>) -> Option<String> {
        Some(crate::svg::sequence_diagram(&self.cfg, &path))
    }
}

impl ZabModel {
    /// Whether `s` is the leader of `st` (a convenience for tests and properties).
    pub fn leader_of(st: &State) -> Option<Sid> {
        st.ids().find(|&s| st.server(s).is_established_leader())
    }

    /// The phase of `s`, for tests.
    pub fn phase_of(st: &State, s: Sid) -> Phase {
        st.server(s).phase
    }
}
