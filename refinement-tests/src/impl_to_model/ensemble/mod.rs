//! Implementation → model for a real ensemble: the traces its `zabd` processes recorded
//! (`zab.traceDir`) are merged into one run and every event of it must be explained by
//! enabled model actions, as in `impl_to_model::validate`.
//!
//! The servers' traces are merged in an order that respects causality — a packet is
//! received after it was sent, each receipt naming its send by the message's identity
//! (`trace::MsgId`) — and, among the events that may come next, takes a receipt
//! first (then the earliest in time): concurrent events commute, and taking receipts early
//! keeps the explanations short. Where the model is coarser than a real network, the mapping
//! says so:
//! - a notification its receiver never reads (sent before the receiver listened, to a dead
//!   server, or superseded in the sender's queue) is the model's `Lose` of that notification;
//! - a notification read after its sender had queued a newer one was in TCP already: the
//!   model's `Transmit`, placed just before the sender's step that queued the newer one;
//! - a FOLLOWERINFO that reaches a server not leading is a failed connection attempt (no
//!   model step); the one the leader reads is the model's `Connect` and its delivery; the
//!   FOLLOWERINFOs in flight are not compared;
//! - a killed server's crash is placed when a peer notices it or it restarts, once every
//!   packet it sent that will be read has been read; until then it is silent;
//! - pings, touches and client traffic are not the model's.

mod apply;
mod explain;
mod observe;
mod order;
mod rules;
pub mod world;

use apply::{apply, mark_lost};
use explain::{explain, is_lose, project};
use rules::Rules;

use crate::shared::abstraction::View;
use crate::shared::coverage::Coverage;
use crate::shared::divergence::{Divergence, R};
use stateright::Model;
use std::collections::HashSet;
use world::World;
use zab::replica::Input;
use zab::server::trace::Record;
use zab_model::types::Sid;
use zab_model::{Action, State, ZabModel};

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
    /// Events explained: the servers' first starts as one, then every other record, kill and
    /// crash of the merged run.
    pub events: usize,
    /// Model actions that explained them, in all.
    pub actions: usize,
    /// Distinct model states the run passed through.
    pub distinct_states: usize,
    /// What those model actions exercised.
    pub coverage: Coverage,
}

/// A run the model cannot produce.
#[derive(Debug)]
pub struct Failure {
    /// The events explained before the failure, each with the model actions that explained it
    /// (the report shows the last 80).
    pub events: Vec<String>,
    /// Why the run stops there: the event no model actions explain with the differences of the
    /// two views, a replica that did not do what its server recorded, or nothing that could
    /// happen next.
    pub reason: Divergence,
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
    // Real ensembles under the validator run with the state machine's default options (no
    // TTL nodes), which is what their start records say.
    let genesis = || zab::server::genesis(Default::default());
    validate_from(model, traces, std::sync::Arc::new(genesis))
}

/// `validate`, for replicas that start from `genesis` (the simulator's, say).
pub fn validate_from(
    model: &ZabModel,
    traces: Vec<Vec<Record>>,
    genesis: world::Genesis,
) -> Result<Summary, Failure> {
    if let Some(reason) = unidentified(&traces) {
        let events = Vec::new();
        return Err(Failure { events, reason });
    }
    let records: usize = traces.iter().map(Vec::len).sum();
    let mut v = Validation {
        model,
        state: model.init_states().remove(0),
        world: World::new(traces, genesis),
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
            let why = Divergence::Stuck(v.next_records());
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
                .and_then(|w| w.to_string().lines().next().map(String::from));
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
        reason: Divergence::NoOrder,
    }))
}

/// The first receipt of a model message without its identity, if any: a trace of format 3
/// or before, which has to be recorded again (or given identities once, as commit 4f4b984
/// gave the committed recorded run its). Pings are not the model's.
fn unidentified(traces: &[Vec<Record>]) -> Option<Divergence> {
    traces.iter().enumerate().find_map(|(s, t)| {
        t.iter()
            .position(|r| {
                matches!(r, Record::Step { input: Input::Peer { msg, .. }, received: None, .. }
                if !matches!(msg, zab::replica::PeerMsg::Quorum(zab::replica::Packet::Ping)))
            })
            .map(|i| {
                Divergence::Trace(format!(
                    "s{} record {i}: a receipt without its message's identity (a trace of \
                     format 3 or before)",
                    s + 1
                ))
            })
    })
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

    fn failure(&self, reason: Divergence) -> Failure {
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
        for (link, q) in self.world.net.iter() {
            for x in q {
                out.push_str(&format!(
                    "  in flight s{}->s{} {:?} lost {}: {:?}\n",
                    link.from + 1,
                    link.to + 1,
                    link.plane,
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

    /// Takes one event: applies it to a copy of the world, finds the model steps that explain
    /// it, and keeps both, or leaves everything as it was and says why not.
    fn take(&mut self, e: Event) -> R<()> {
        let first = self.take_as(e, false);
        if std::env::var_os("ZAB_ENSEMBLE_DEBUG").is_some() {
            if let Err(w) = &first {
                eprintln!("not explained as it is, {e:?}: {w}");
            }
        }
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
                received,
                ..
            } => self
                .world
                .flight(crate::shared::convert::sid(*from), s, msg, *received)
                .is_some_and(|f| f.redundant),
            _ => false,
        }
    }

    /// Takes `e`; with `redundant`, the notifications it sends are redundant and it must
    /// change nothing the model sees.
    fn take_as(&mut self, e: Event, redundant: bool) -> R<()> {
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
            let why = self.mismatch(&label, &target);
            self.world = keep;
            return Err(why);
        };
        if let Some(why) =
            crate::shared::safety::broken_property(self.model, &self.state, &actions, &label)
        {
            return Err(why);
        }
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
    fn target(&self) -> R<View> {
        let mut v = View::of_impl(&self.world, true)?;
        project(&mut v);
        Ok(v)
    }

    fn mismatch(&self, label: &str, target: &View) -> Divergence {
        let mut now = View::of_model(&self.model.cfg, &self.state);
        project(&mut now);
        let (what, diff) = (label.to_string(), now.diff(target));
        Divergence::Unexplained { what, diff }
    }
}
