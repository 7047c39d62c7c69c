//! Implementation → model for a real ensemble: the traces its `zabd` processes recorded
//! (`zab.traceDir`) are merged into one run and every event of it must be explained by
//! enabled model actions, as in `validate.rs`.
//!
//! The servers' traces are merged in an order that respects causality — a packet is
//! received after it was sent — and, among the events that may come next, takes a receipt
//! first (then the earliest in time): concurrent events commute, and taking receipts early
//! keeps a notification from being superseded on its link before its receiver read it, which
//! the model's latest-wins election links would not allow. Where the model is coarser than
//! a real network, the mapping says so:
//! - a notification its receiver never reads (sent before the receiver listened, or to a
//!   dead server) is the model's `Lose` of that notification;
//! - a FOLLOWERINFO that reaches a server not leading is a failed connection attempt (no
//!   model step); the one the leader reads is the model's `Connect` and its delivery; the
//!   FOLLOWERINFOs in flight are not compared;
//! - a killed server's crash is placed when a peer notices it or it restarts, once every
//!   packet it sent that will be read has been read; until then it is silent;
//! - pings, touches and client traffic are not the model's.

pub mod world;

use crate::abstraction::View;
use crate::coverage::Coverage;
use stateright::Model;
use std::collections::{HashSet, VecDeque};
use world::World;
use zab::replica::{Input, Packet, PeerMsg};
use zab::server::trace::Record;
use zab_model::msg::{Msg, Plane};
use zab_model::types::Sid;
use zab_model::{Action, State, ZabModel};

/// The most model actions one event may stand for.
const MOST_ACTIONS_PER_EVENT: usize = 6;

/// How a failure begins when a server read a notification its sender had already replaced by
/// a newer one, which changed its state: the older one was in TCP when the newer was queued.
/// The model's election link keeps only the newest notification, so such a run is outside
/// it (`specs/refinement.md`): not a refinement failure, but no verdict either.
pub const OVERTAKEN: &str = "outside the model's latest-wins election link";

/// An event of the merged run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Record `index` of server `s` (a start or a step).
    Record(Sid, usize),
    /// The process of `s` died (it restarts later).
    Kill(Sid),
    /// The model's crash of a dead server, placed when it is noticed.
    Crash(Sid),
}

/// What a validation went through.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub events: usize,
    pub actions: usize,
    pub distinct_states: usize,
    pub coverage: Coverage,
}

/// A run the model cannot produce.
#[derive(Debug)]
pub struct Failure {
    pub events: Vec<String>,
    pub reason: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.reason)?;
        writeln!(f, "after {} events, the last ones:", self.events.len())?;
        for e in self.events.iter().rev().take(80).rev() {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

#[derive(Clone)]
struct Validation<'m> {
    model: &'m ZabModel,
    state: State,
    world: World,
    log: Vec<String>,
    sum: Summary,
    /// The model states of the run so far.
    path: Vec<State>,
}

/// How many events may be taken in all, per record, while searching for an order.
const TRIES_PER_RECORD: usize = 40;

/// Validates the merged run of `traces` (one per server, in server order) against `model`.
///
/// The merge is a search: events are taken in the preferred order, and where none of the
/// events that may come next is explained, the search goes back to an earlier choice and
/// takes the next event there (concurrent events may come in any order). A run fails if no
/// order within the budget explains every event; the failure reported is the one reached
/// furthest.
pub fn validate(model: &ZabModel, traces: Vec<Vec<Record>>) -> Result<Summary, Failure> {
    let records: usize = traces.iter().map(Vec::len).sum();
    let mut v = Validation {
        model,
        state: model.init_states().remove(0),
        world: World::new(traces),
        log: Vec::new(),
        sum: Summary::default(),
        path: Vec::new(),
    };
    v.start_all()?;
    let first = v.candidates().unwrap_or_default();
    let mut stack = vec![(v, first)];
    let mut furthest: Option<(usize, Failure)> = None;
    let mut budget = TRIES_PER_RECORD * records.max(1);
    while let Some((v, candidates)) = stack.last_mut() {
        if v.done() {
            let mut sum = std::mem::take(&mut v.sum);
            sum.distinct_states = v.path.iter().collect::<HashSet<_>>().len();
            return Ok(sum);
        }
        let Some(e) = (!candidates.is_empty()).then(|| candidates.remove(0)) else {
            // Nothing here is explained: go back.
            let (v, _) = stack.pop().expect("a frame");
            let why = format!("nothing can happen next:\n{}", v.next_records());
            keep_furthest(&mut furthest, v.failure(why));
            continue;
        };
        if budget == 0 {
            break;
        }
        budget -= 1;
        let mut next = v.clone();
        let debug = std::env::var_os("ZAB_ENSEMBLE_DEBUG").is_some();
        let result = next.take(e);
        if debug {
            let first = result
                .as_ref()
                .err()
                .and_then(|w| w.lines().next().map(String::from));
            eprintln!(
                "depth {} try {e:?}: {}",
                v.log.len(),
                first.unwrap_or_else(|| "ok".into())
            );
        }
        match result {
            Ok(()) => {
                let c = next.candidates().unwrap_or_default();
                stack.push((next, c));
            }
            Err(why) => {
                let f = next.failure(why);
                keep_furthest(&mut furthest, f);
            }
        }
    }
    Err(furthest.map(|(_, f)| f).unwrap_or_else(|| Failure {
        events: Vec::new(),
        reason: "no order of the events is explained".into(),
    }))
}

/// Keeps the failure reached furthest (the first of those as far: the event that was not
/// explained, rather than the dead end it left behind).
fn keep_furthest(furthest: &mut Option<(usize, Failure)>, f: Failure) {
    let depth = f.events.len();
    if furthest.as_ref().is_none_or(|(d, _)| depth > *d) {
        *furthest = Some((depth, f));
    }
}

impl Validation<'_> {
    /// Every record of every server taken.
    fn done(&self) -> bool {
        self.world.servers.iter().all(|s| s.next == s.records.len())
    }

    fn failure(&self, reason: String) -> Failure {
        Failure {
            events: self.log.clone(),
            reason,
        }
    }

    /// Each server's next record, for a report.
    fn next_records(&self) -> String {
        let mut out = String::new();
        for (s, srv) in self.world.servers.iter().enumerate() {
            let next = match srv.records.get(srv.next) {
                None => "(none)".to_string(),
                Some(r) => zab::server::trace::describe(r),
            };
            out.push_str(&format!(
                "  s{} (dead {}, down {}): {}\n",
                s + 1,
                srv.dead,
                srv.down,
                &next[..next.len().min(300)]
            ));
        }
        for ((f, t, e), q) in &self.world.net {
            for x in q {
                out.push_str(&format!(
                    "  in flight s{}->s{} {} lost {}: {:?}\n",
                    f + 1,
                    t + 1,
                    if *e { "E" } else { "Q" },
                    x.lost,
                    x.msg
                ));
            }
        }
        out
    }

    /// The model's initial state is every server started at once with its first votes sent:
    /// the first start records, then the loss of every first notification not read.
    fn start_all(&mut self) -> Result<(), Failure> {
        for srv in &mut self.world.servers {
            srv.down = false;
        }
        for s in 0..self.world.servers.len() as Sid {
            self.world.start(s, 0).map_err(|r| self.failure(r))?;
            self.world.servers[s as usize].next = 1;
        }
        let target = self.target().map_err(|r| self.failure(r))?;
        let (actions, next) = explain(self.model, &self.state, &target, |_, a| is_lose(a), true)
            .ok_or_else(|| self.failure(self.mismatch("the servers' starts", &target)))?;
        self.commit("start", actions, next);
        Ok(())
    }

    /// The events that may come next, best first; `None` when the run is over.
    fn candidates(&self) -> Option<Vec<Event>> {
        let w = &self.world;
        let mut receipts = Vec::new();
        let mut others = Vec::new();
        let mut late = Vec::new();
        let mut any = false;
        for s in 0..w.servers.len() as Sid {
            let srv = &w.servers[s as usize];
            let Some(r) = srv.records.get(srv.next) else {
                // Stopped for good: killed, if a peer still has to notice.
                if !srv.dead && self.noticed_later(s) {
                    late.push((u64::MAX, Event::Kill(s)));
                }
                continue;
            };
            any = true;
            match r {
                Record::Start { .. } if !srv.dead => late.push((u64::MAX, Event::Kill(s))),
                Record::Start { .. } if !srv.down => {
                    if self.crash_ready(s) {
                        late.push((u64::MAX, Event::Crash(s)));
                    }
                }
                Record::Start { at_ns, .. } => others.push((*at_ns, Event::Record(s, srv.next))),
                Record::Step { at_ns, input, .. } => match input {
                    // Pings are not the model's: never in flight, always readable.
                    Input::Peer {
                        msg: PeerMsg::Quorum(Packet::Ping),
                        ..
                    } => others.push((*at_ns, Event::Record(s, srv.next))),
                    Input::Peer { from, msg } => {
                        let from = crate::convert::sid(*from);
                        if w.in_flight(from, s, msg) {
                            receipts.push((*at_ns, Event::Record(s, srv.next)));
                        }
                    }
                    Input::Disconnected { peer } => {
                        let p = crate::convert::sid(*peer);
                        let peer = &w.servers[p as usize];
                        if !cares(srv, *peer_id(r)) || srv.closed_by.contains(&p) || peer.down {
                            others.push((*at_ns, Event::Record(s, srv.next)));
                        } else if peer.dead && self.crash_ready(p) {
                            late.push((*at_ns, Event::Crash(p)));
                        }
                    }
                    _ => others.push((*at_ns, Event::Record(s, srv.next))),
                },
            }
        }
        if !any {
            return None;
        }
        receipts.sort_by_key(|c| c.0);
        others.sort_by_key(|c| c.0);
        let (mut first, mut blocked): (Vec<_>, Vec<_>) = receipts
            .into_iter()
            .chain(others)
            .partition(|(_, e)| !self.supersedes(*e));
        first.append(&mut blocked);
        first.extend(late);
        Some(first.into_iter().map(|(_, e)| e).collect())
    }

    /// Whether event `e` would send a notification over one its receiver has still to read.
    fn supersedes(&self, e: Event) -> bool {
        let Event::Record(s, i) = e else { return false };
        let Record::Step { effects, .. } = &self.world.servers[s as usize].records[i] else {
            return false;
        };
        effects.iter().any(|x| match x {
            zab::server::trace::Effect::Send {
                to,
                msg: PeerMsg::Election(_),
            } => {
                let to = crate::convert::sid(*to);
                self.world.net.get(&(s, to, true)).is_some_and(|q| {
                    q.iter()
                        .any(|f| !f.lost && self.will_receive(to, s, &f.msg))
                })
            }
            _ => false,
        })
    }

    /// Whether a peer has yet to hear that `s`'s connection closed.
    fn noticed_later(&self, s: Sid) -> bool {
        let id = crate::convert::server(s);
        self.world.servers.iter().any(|p| {
            p.records[p.next..].iter().any(|r| {
                matches!(r, Record::Step { input: Input::Disconnected { peer }, .. } if *peer == id)
            })
        })
    }

    /// Whether `to` reads `msg` from `from` later in its trace.
    fn will_receive(&self, to: Sid, from: Sid, msg: &PeerMsg) -> bool {
        let srv = &self.world.servers[to as usize];
        srv.records[srv.next..].iter().any(|r| match r {
            Record::Step {
                input: Input::Peer { from: f, msg: m },
                ..
            } => crate::convert::sid(*f) == from && m == msg,
            _ => false,
        })
    }

    /// A dead server's crash can be placed once nothing it sent is still to be read.
    fn crash_ready(&self, s: Sid) -> bool {
        self.world.net.iter().all(|((f, t, _), q)| {
            *f != s
                || q.iter()
                    .all(|x| x.lost || !self.will_receive(*t, s, &x.msg))
        })
    }

    /// Takes one event: applies it to a copy of the world, finds the model steps that explain
    /// it, and keeps both, or leaves everything as it was and says why not.
    fn take(&mut self, e: Event) -> Result<(), String> {
        let first = self.take_as(e, false);
        if first.is_err() && self.may_be_redundant(e) {
            return self.take_as(e, true).map_err(|_| first.unwrap_err());
        }
        first
    }

    /// Whether `e` may be a vote re-sent early, or the receipt of one: a tick or a receipt of
    /// a redundant notification.
    fn may_be_redundant(&self, e: Event) -> bool {
        let Event::Record(s, i) = e else { return false };
        match &self.world.servers[s as usize].records[i] {
            Record::Step {
                input: Input::Tick { .. },
                ..
            } => true,
            Record::Step {
                input: Input::Peer { from, msg },
                ..
            } => self
                .world
                .flight(crate::convert::sid(*from), s, msg)
                .is_some_and(|f| f.redundant),
            _ => false,
        }
    }

    /// Takes `e`; with `redundant`, the notifications it sends are redundant and it must
    /// change nothing the model sees.
    fn take_as(&mut self, e: Event, redundant: bool) -> Result<(), String> {
        let mut w = self.world.clone();
        let since = w.sent;
        let label = apply(&mut w, e)?;
        if redundant {
            w.mark_redundant(since);
        }
        let newly_lost = mark_lost(&mut w);
        let target = {
            let keep = std::mem::replace(&mut self.world, w);
            let t = self.target();
            let w = std::mem::replace(&mut self.world, keep);
            (t?, w)
        };
        let (target, w) = target;
        let rules = Rules::of(&self.world, e);
        let found = if redundant {
            explain(
                self.model,
                &self.state,
                &target,
                |_, a| is_lose(a) && newly_lost > 0,
                true,
            )
        } else {
            explain(
                self.model,
                &self.state,
                &target,
                |first, a| rules.allows(first, a) || (is_lose(a) && newly_lost > 0),
                rules.may_stutter,
            )
        };
        let Some((actions, next)) = found else {
            let keep = std::mem::replace(&mut self.world, w);
            let mut why = self.mismatch(&label, &target);
            self.world = keep;
            if rules.stale && rules.election_receipt() {
                why = format!("{OVERTAKEN}: {why}");
            }
            return Err(why);
        };
        self.world = w;
        let label = if redundant {
            format!("{label} (redundant)")
        } else {
            label
        };
        self.commit(&label, actions, next);
        Ok(())
    }

    fn commit(&mut self, label: &str, actions: Vec<Action>, next: State) {
        let mut st = self.state.clone();
        for a in &actions {
            st = self.model.next_state(&st, *a).expect("explained");
            self.sum.coverage.record(a, &st);
        }
        self.log.push(format!("{label} => {actions:?}"));
        self.sum.events += 1;
        self.sum.actions += actions.len();
        self.path.push(next.clone());
        self.state = next;
    }

    /// The world's view, projected as `project` says.
    fn target(&self) -> Result<View, String> {
        let mut v = View::of_impl(&self.world, true)?;
        project(&mut v);
        Ok(v)
    }

    fn mismatch(&self, label: &str, target: &View) -> String {
        let mut now = View::of_model(&self.model.cfg, &self.state);
        project(&mut now);
        format!(
            "{label}: no sequence of model actions explains it; the model was at:\n{}",
            now.diff(target)
        )
    }
}

/// Whether a server's replica does anything when told that `peer`'s connection closed: a
/// leader of it, or a learner of it. Any other server ignores it, whenever it comes.
fn cares(srv: &world::Server, peer: u64) -> bool {
    use zab::replica::state::Role;
    match srv.replica.as_ref().map(|r| r.role()) {
        Some(Role::Leading(ls)) => ls.learners.contains_key(&peer),
        Some(Role::Learning(l)) => l.leader == peer,
        _ => false,
    }
}

fn peer_id(r: &Record) -> &u64 {
    match r {
        Record::Step {
            input: Input::Disconnected { peer },
            ..
        } => peer,
        _ => unreachable!("a disconnection"),
    }
}

/// FOLLOWERINFOs in flight are connection attempts the model does not have: not compared.
fn project(v: &mut View) {
    for q in v.quorum.values_mut() {
        q.retain(|m| !matches!(m, Msg::FollowerInfo { .. }));
    }
    v.quorum.retain(|_, q| !q.is_empty());
}

fn is_lose(a: &Action) -> bool {
    matches!(
        a,
        Action::Lose {
            plane: Plane::Election,
            ..
        }
    )
}

/// Applies `e` to the world; its label for the log.
fn apply(w: &mut World, e: Event) -> Result<String, String> {
    match e {
        Event::Kill(s) => {
            w.servers[s as usize].dead = true;
            Ok(format!("s{} killed", s + 1))
        }
        Event::Crash(s) => {
            w.crash(s);
            Ok(format!("s{} crash noticed", s + 1))
        }
        Event::Record(s, i) => {
            let label = match &w.servers[s as usize].records[i] {
                Record::Start { .. } => format!("s{} starts", s + 1),
                Record::Step { input, .. } => format!("s{} {}", s + 1, short(input)),
            };
            if let Record::Step {
                input:
                    Input::Peer {
                        from,
                        msg: PeerMsg::Quorum(Packet::FollowerInfo { .. }),
                    },
                ..
            } = &w.servers[s as usize].records[i]
            {
                connect_if_accepted(w, crate::convert::sid(*from), s);
            }
            match w.servers[s as usize].records[i] {
                Record::Start { .. } => w.start(s, i)?,
                Record::Step { .. } => w.step(s, i)?,
            }
            w.servers[s as usize].next = i + 1;
            Ok(label)
        }
    }
}

/// The leader reads a learner's FOLLOWERINFO: if it leads and the learner waits to connect to
/// it, the connection opens now (the model's `Connect`).
fn connect_if_accepted(w: &mut World, learner: Sid, leader: Sid) {
    let leading = w.servers[leader as usize]
        .replica
        .as_ref()
        .is_some_and(|r| r.server_state() == zab::replica::ServerState::Leading);
    let waiting = w.conns.state(learner) == Some(crate::connection::ConnState::NotYet)
        && w.conns.leader_of(learner) == Some(leader);
    if leading && waiting {
        let _ = w.connect(learner);
    }
}

/// Marks lost every notification its receiver will never read; how many still counted.
fn mark_lost(w: &mut World) -> usize {
    let mut newly = 0;
    let links: Vec<(Sid, Sid)> = w
        .net
        .keys()
        .filter(|(_, _, e)| *e)
        .map(|(f, t, _)| (*f, *t))
        .collect();
    for (f, t) in links {
        let future: Vec<PeerMsg> = future_receipts(&w.servers[t as usize], f);
        let q = w.net.get_mut(&(f, t, true)).expect("a link");
        // Match future receipts against the queue, newest last: what no receipt claims is lost.
        let mut claimed = vec![false; q.len()];
        let mut at = 0;
        for m in &future {
            if let Some(k) = (at..q.len()).find(|k| q[*k].msg == *m) {
                claimed[k] = true;
                at = k + 1;
            }
        }
        for (k, x) in q.iter_mut().enumerate() {
            if !claimed[k] && !x.lost {
                x.lost = true;
                // The model holds no redundant notification: nothing to lose there.
                newly += usize::from(!x.redundant);
            }
        }
    }
    newly
}

fn future_receipts(srv: &world::Server, from: Sid) -> Vec<PeerMsg> {
    srv.records[srv.next..]
        .iter()
        .take_while(|r| !matches!(r, Record::Start { .. }))
        .filter_map(|r| match r {
            Record::Step {
                input:
                    Input::Peer {
                        from: f,
                        msg: m @ PeerMsg::Election(_),
                    },
                ..
            } if crate::convert::sid(*f) == from => Some(m.clone()),
            _ => None,
        })
        .collect()
}

fn short(i: &Input) -> String {
    match i {
        Input::Peer { from, msg } => match msg {
            PeerMsg::Election(n) => {
                format!("<- s{from}: {:?} r{} {:?}", n.state, n.round, n.vote.leader)
            }
            PeerMsg::Quorum(p) => format!("<- s{from}: {}", p.kind()),
        },
        Input::Tick { .. } => "tick".into(),
        Input::Write { .. } => "client write".into(),
        Input::Synced { zxid } => format!("synced {zxid:?}"),
        Input::Disconnected { peer } => format!("s{peer} disconnected"),
        Input::SyncLearner { learner, .. } => format!("sync s{learner}"),
    }
}

/// Which model actions an event may stand for.
struct Rules {
    event: Event,
    /// The server and what it was told.
    input: Option<(Sid, Input)>,
    /// The received packet was one the model had already lost (its connection closed).
    stale: bool,
    may_stutter: bool,
}

impl Rules {
    fn of(before: &World, e: Event) -> Rules {
        let mut r = Rules {
            event: e,
            input: None,
            stale: false,
            may_stutter: false,
        };
        match e {
            Event::Kill(_) => r.may_stutter = true,
            Event::Crash(_) => {}
            Event::Record(s, i) => match &before.servers[s as usize].records[i] {
                Record::Start { .. } => {}
                Record::Step { input, effects, .. } => {
                    r.may_stutter = match input {
                        Input::Tick { .. } | Input::Disconnected { .. } => true,
                        Input::Write { .. } => effects
                            .iter()
                            .any(|x| matches!(x, zab::server::trace::Effect::WriteRejected { .. })),
                        Input::Peer { from, msg } => {
                            let from = crate::convert::sid(*from);
                            let link = (from, s, matches!(msg, PeerMsg::Election(_)));
                            r.stale = before.net.get(&link).is_some_and(|q| {
                                let live: Vec<_> = q.iter().filter(|f| !f.lost).collect();
                                let at = q.iter().position(|f| f.msg == *msg);
                                // Lost to the model, or a notification the model's
                                // latest-wins link already replaced by a newer one.
                                at.is_some_and(|k| q[k].lost)
                                    || (link.2
                                        && live.last().is_some_and(|l| l.msg != *msg)
                                        && live.iter().any(|f| f.msg == *msg))
                            });
                            r.stale
                                || matches!(
                                    msg,
                                    PeerMsg::Quorum(Packet::FollowerInfo { .. } | Packet::Ping)
                                )
                        }
                        _ => false,
                    };
                    r.input = Some((s, input.clone()));
                }
            },
        }
        r
    }

    fn election_receipt(&self) -> bool {
        matches!(
            self.input,
            Some((
                _,
                Input::Peer {
                    msg: PeerMsg::Election(_),
                    ..
                }
            ))
        )
    }

    fn allows(&self, first: bool, a: &Action) -> bool {
        match (self.event, a) {
            (Event::Crash(s), Action::Crash(x)) => first && s == *x,
            (Event::Record(s, _), Action::Restart(x)) if self.input.is_none() => first && s == *x,
            _ => match &self.input {
                Some((s, input)) => step_allows(*s, input, self.stale, first, a),
                None => false,
            },
        }
    }
}

fn step_allows(s: Sid, input: &Input, stale: bool, first: bool, a: &Action) -> bool {
    let sid = crate::convert::sid;
    match (input, a) {
        (
            Input::Peer {
                from,
                msg: PeerMsg::Election(_),
            },
            Action::Notify { from: f, to, .. },
        ) => !stale && first && (sid(*from), s) == (*f, *to),
        (Input::Peer { from, .. }, Action::Connect(x)) => first && *x == sid(*from),
        (Input::Peer { from, .. }, Action::Deliver { from: f, to, .. }) => {
            !stale && (sid(*from), s) == (*f, *to)
        }
        (Input::Peer { .. }, Action::SyncLearner { leader, .. }) => !first && *leader == s,
        (Input::Peer { .. }, Action::NewLeaderStep(x, _)) => !first && *x == s,
        (Input::Tick { .. }, a) => {
            first
                && matches!(a,
                    Action::Decide(x) | Action::Resend(x) | Action::LearnerTimeout(x)
                        | Action::LeaderTimeout(x) if *x == s)
        }
        (Input::Write { .. }, Action::ClientRequest(x)) => first && *x == s,
        (Input::Synced { .. }, Action::SyncFlush(x, _)) => *x == s,
        (Input::Disconnected { .. }, Action::LearnerTimeout(x)) => first && *x == s,
        _ => false,
    }
}

/// The shortest sequence of allowed model actions from `st` to a state whose view, projected,
/// is `target`; the empty one only if `may_stutter`.
fn explain(
    model: &ZabModel,
    st: &State,
    target: &View,
    allowed: impl Fn(bool, &Action) -> bool,
    may_stutter: bool,
) -> Option<(Vec<Action>, State)> {
    let matches = |s: &State| {
        let mut v = View::of_model(&model.cfg, s);
        project(&mut v);
        v == *target
    };
    if may_stutter && matches(st) {
        return Some((Vec::new(), st.clone()));
    }
    let mut queue = VecDeque::from([(st.clone(), Vec::new())]);
    let mut seen = HashSet::from([st.clone()]);
    while let Some((s, path)) = queue.pop_front() {
        if path.len() == MOST_ACTIONS_PER_EVENT {
            continue;
        }
        let mut actions = Vec::new();
        model.actions(&s, &mut actions);
        for a in actions.into_iter().filter(|a| allowed(path.is_empty(), a)) {
            let next = model.next_state(&s, a)?;
            let mut p = path.clone();
            p.push(a);
            if matches(&next) {
                return Some((p, next));
            }
            if seen.insert(next.clone()) {
                queue.push_back((next, p));
            }
        }
    }
    None
}
