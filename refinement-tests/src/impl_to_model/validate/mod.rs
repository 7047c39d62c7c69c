//! Implementation → model: trace validation. The replicas run as servers run — a leader's
//! handlers sync their learners as soon as they can, a NEWLEADER handling runs to its end in
//! one step, the sync thread writes everything it holds at once (group commit) — and a seeded
//! scheduler picks implementation events: deliveries, connections opening, the transport
//! noticing a closed connection, sync-thread flushes, ticks, client writes, and faults.
//! After every event the validator looks for a sequence of model actions, each enabled where
//! it is taken, that leads to a state whose view equals the implementation's (one event is
//! often several model steps: an ACKEPOCH and the syncs it releases, a NEWLEADER and its three
//! steps, a group commit of several records). A trace that no sequence explains is a failure.
//!
//! Time is the one thing the model decides: a server gets a tick only when the model enables
//! one of its timers (`Decide`, `Resend`, `LearnerTimeout`, `LeaderTimeout`). That is the
//! model's timing assumption — timeouts fire only when what is awaited can no longer come,
//! votes are re-sent only when they carry news — under which it is checked. Where the model's
//! budget allows a leader's premature timeout, a fault event runs its clock until it gives
//! up.

use crate::model_to_impl::replay::{client_write, serve_read};
use crate::model_to_impl::walk::Summary;
use crate::shared::abstraction::View;
use crate::shared::connection::ConnState;
use crate::shared::coverage::Coverage;
use crate::shared::divergence::{Divergence, OrDivergence, R};
use crate::shared::harness::ImplCluster;
mod explain;

use explain::{explain, is_timer_of};
use stateright::Model;
use std::collections::HashSet;
use zab::replica::{Bug, Output, ServerState};
use zab_model::msg::Plane;
use zab_model::types::{Mask, Sid};
use zab_model::{State, ZabModel};

/// Something that happens to the implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The notification waiting on an election link arrives (the model's `Notify`).
    Notify {
        /// The sender.
        from: Sid,
        /// The receiver, which reads the notification as its next input.
        to: Sid,
    },
    /// The head of a quorum link arrives (the model's `Deliver`).
    Deliver {
        /// The sender.
        from: Sid,
        /// The receiver, which reads the packet as its next input.
        to: Sid,
    },
    /// A learner's connection to its leader opens.
    Connect(Sid),
    /// A learner's transport reports that its connection closed.
    Notice(Sid),
    /// A server's sync thread writes and fsyncs everything queued (the model's `SyncFlush`,
    /// once per record).
    SyncFlush(Sid),
    /// A server's clock ticks once: offered only when the model enables one of its timers
    /// (`Decide`, `Resend`, `LearnerTimeout`, `LeaderTimeout`).
    Tick(Sid),
    /// A client of this server writes (the model's `ClientRequest`).
    ClientRequest(Sid),
    /// A client of this server opens a linearizable read (the model's `ReadStart`).
    Read(Sid),
    /// The server's driver answers its open read: its replica gave the read index and has
    /// applied up to it (the model's `ReadServe`).
    ServeRead(Sid),
    /// A server crashes: its replica is dropped and its disk keeps only what was fsynced.
    Crash(Sid),
    /// A crashed server starts again from what its disk recovers.
    Restart(Sid),
    /// The servers of the mask (the side holding server 0) are cut off from the rest.
    Partition(Mask),
    /// The partition is removed.
    Heal,
    /// A message is lost (the model's `Lose`): on the election plane the newest notification
    /// of the link is dropped; on the quorum plane the connection between the two servers
    /// breaks and both queues are lost, or a learner's attempt to connect fails.
    Lose {
        /// The sender of the lost message (on the quorum plane, one end of the connection).
        from: Sid,
        /// Its receiver (the other end).
        to: Sid,
        /// The plane the message was on.
        plane: Plane,
    },
    /// The sender writes the notification waiting on an election link to TCP before its
    /// receiver read it (a newer one will queue behind it).
    Transmit {
        /// The sender, whose queue holds the notification.
        from: Sid,
        /// The receiver.
        to: Sid,
    },
    /// A leader's initLimit or syncLimit expires while its quorum could still form: its
    /// clock runs until it gives up (a bug, like the model's `PrematureTimeout`).
    PrematureTimeout(Sid),
}

impl Event {
    fn is_fault(&self) -> bool {
        matches!(
            self,
            Event::Crash(_)
                | Event::Partition(_)
                | Event::Lose { .. }
                | Event::Transmit { .. }
                | Event::PrematureTimeout(_)
        )
    }
}

/// A trace the model cannot produce.
#[derive(Debug)]
pub struct Failure {
    /// The number of the event (1-based) that no model step explains.
    pub step: usize,
    /// The event no model actions explain, or that could not be carried out.
    pub event: Event,
    /// Why: what the implementation could not do, a value outside the model's domain, or the
    /// differences between the model's view and the implementation's.
    pub reason: Divergence,
    /// The events before it.
    pub events: Vec<Event>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "event {} ({:?}): {}", self.step, self.event, self.reason)?;
        writeln!(f, "events:")?;
        for (i, e) in self.events.iter().enumerate() {
            writeln!(f, "  {:>3}. {e:?}", i + 1)?;
        }
        Ok(())
    }
}

/// The implementation cluster and the model state that explains it so far.
pub struct Validator<'m> {
    /// The model that must explain every event.
    pub model: &'m ZabModel,
    /// The model state that explains the implementation so far.
    pub state: State,
    /// The implementation, running as servers run (`ImplCluster::free_running`).
    pub cluster: ImplCluster,
    /// Every event applied so far, in order: the trace `validate` checks again from the start.
    pub events: Vec<Event>,
    /// Model actions matched so far.
    pub actions: usize,
}

impl<'m> Validator<'m> {
    /// The model's first initial state and a free-running cluster started from it, with `bug`
    /// switched on in every replica.
    pub fn new(model: &'m ZabModel, bug: Option<Bug>) -> Validator<'m> {
        let init = model.init_states().remove(0);
        let cfg = &model.cfg;
        let (v, o) = (cfg.servers as usize, cfg.observers as usize);
        let cluster = ImplCluster::free_running(v, o, &init, bug);
        Validator {
            model,
            state: init,
            cluster,
            events: Vec::new(),
            actions: 0,
        }
    }

    /// The events that can happen now.
    pub fn enabled(&self) -> Vec<Event> {
        let (c, st, cfg) = (&self.cluster, &self.state, &self.model.cfg);
        let mut out: Vec<Event> = c
            .election
            .keys()
            .map(|&(from, to)| Event::Notify { from, to })
            .collect();
        let heads = c.quorum.ready();
        out.extend(heads.map(|l| Event::Deliver {
            from: l.from,
            to: l.to,
        }));
        let mut timers = Vec::new();
        self.model.actions(st, &mut timers);
        for s in 0..c.n as Sid {
            if !c.up(s) {
                out.push(Event::Restart(s));
                continue;
            }
            if self.can_connect(s) {
                out.push(Event::Connect(s));
            }
            if c.conns.state(s) == Some(ConnState::Closed) {
                out.push(Event::Notice(s));
            }
            if !c.sync_queue[s as usize].is_empty() {
                out.push(Event::SyncFlush(s));
            }
            if timers.iter().any(|a| is_timer_of(a, s)) {
                out.push(Event::Tick(s));
            }
            if timers.contains(&zab_model::Action::PrematureTimeout(s)) {
                out.push(Event::PrematureTimeout(s));
            }
            if st.ghost.requests < cfg.txns && self.serves(s) {
                out.push(Event::ClientRequest(s));
            }
            if st.ghost.reads < cfg.reads && self.serves(s) && !c.read_open(s) {
                out.push(Event::Read(s));
            }
            if c.read_servable(s) {
                out.push(Event::ServeRead(s));
            }
            if st.env.crashes < cfg.crashes {
                out.push(Event::Crash(s));
            }
        }
        if c.partition.is_empty() && st.env.partitions < cfg.partitions {
            let all = (1u16 << c.n) - 1;
            let sides = (1..all).map(|m| Mask(m as u8)).filter(|m| m.contains(0));
            out.extend(sides.map(Event::Partition));
        }
        if !c.partition.is_empty() {
            out.push(Event::Heal);
        }
        if st.env.losses < cfg.losses {
            let lose = |plane| move |(from, to)| Event::Lose { from, to, plane };
            let e = c.election.keys().copied().map(lose(Plane::Election));
            let q = c.quorum.ready().map(|l| (l.from, l.to));
            let q = q.map(lose(Plane::Quorum));
            out.extend(e.chain(q));
        }
        if st.env.transmits < cfg.transmits {
            let waiting = c.election.iter().filter(|(_, l)| l.waiting.is_some());
            out.extend(waiting.map(|(&(from, to), _)| Event::Transmit { from, to }));
        }
        out
    }

    /// The transport can open the connection: the learner waits to connect and its leader
    /// leads and is reachable.
    fn can_connect(&self, s: Sid) -> bool {
        let c = &self.cluster;
        c.conns.state(s) == Some(ConnState::NotYet)
            && c.conns.leader_of(s).is_some_and(|l| {
                c.reachable(s, l)
                    && c.replica(l).map(|r| r.server_state()) == Some(ServerState::Leading)
            })
    }

    /// Whether a client of `s` can write: an established leader, or a learner in broadcast
    /// with its connection open.
    fn serves(&self, s: Sid) -> bool {
        let c = &self.cluster;
        c.replica(s).is_some_and(|r| {
            r.is_established_leader()
                || (r.phase() == zab::replica::Phase::Broadcast
                    && c.conns.state(s) == Some(ConnState::Open))
        })
    }

    /// Applies one event to the implementation, then finds the model steps that explain it.
    pub fn apply(&mut self, e: Event, cov: &mut Coverage) -> Result<(), Failure> {
        self.events.push(e);
        let rejected = self.execute(e).map_err(|r| self.failure(e, r))?;
        let target = View::of_impl(&self.cluster, true).map_err(|r| self.failure(e, r))?;
        let Some((actions, next)) = explain(self.model, &self.state, &target, e, rejected) else {
            let now = View::of_model(&self.model.cfg, &self.state);
            let what = format!("{e:?}");
            let diff = now.diff(&target);
            return Err(self.failure(e, Divergence::Unexplained { what, diff }));
        };
        let event = format!("{e:?}");
        let broken =
            crate::shared::safety::broken_property(self.model, &self.state, &actions, &event);
        if let Some(why) = broken {
            return Err(self.failure(e, why));
        }
        let mut st = self.state.clone();
        for a in &actions {
            st = self.model.next_state(&st, *a).expect("explained");
            cov.record(a, &st);
        }
        self.actions += actions.len();
        self.state = next;
        Ok(())
    }

    /// Carries out the event on the implementation; whether a write was rejected.
    fn execute(&mut self, e: Event) -> R<bool> {
        let c = &mut self.cluster;
        match e {
            Event::Notify { from, to } => {
                let n = c.take_notification(from, to).absent("no notification")?;
                let from = crate::shared::convert::server(from);
                let msg = zab::replica::PeerMsg::Election(n);
                c.input(to, zab::replica::Input::Peer { from, msg });
            }
            Event::Deliver { from, to } => {
                c.deliver(from, to)?;
            }
            Event::Connect(s) => c.connect(s)?,
            Event::Notice(s) => {
                let leader = c.conns.leader_of(s).absent("no connection")?;
                let peer = crate::shared::convert::server(leader);
                c.input(s, zab::replica::Input::Disconnected { peer });
            }
            Event::SyncFlush(s) => {
                c.flush_all(s)?;
            }
            Event::Tick(s) => {
                c.input(s, zab::replica::Input::Tick { now_ms: 0 });
            }
            Event::ClientRequest(s) => {
                let value = self.state.ghost.requests + 1;
                let out = c.input(s, client_write(value));
                return Ok(out
                    .iter()
                    .any(|o| matches!(o, Output::WriteRejected { .. })));
            }
            Event::Read(s) => {
                let token = u64::from(self.state.ghost.reads) + 1;
                c.input(s, zab::replica::Input::Read { token });
            }
            Event::ServeRead(s) => serve_read(c, s)?,
            Event::Crash(s) => c.crash(s),
            Event::Restart(s) => c.start(s)?,
            Event::Partition(m) => c.partition(m),
            Event::Heal => c.partition = Mask::EMPTY,
            Event::Lose {
                from,
                to,
                plane: Plane::Election,
            } => c.lose_notification(from, to),
            Event::Lose {
                from,
                to,
                plane: Plane::Quorum,
            } => c.break_connection(from, to),
            Event::Transmit { from, to } => c.transmit(from, to)?,
            Event::PrematureTimeout(s) => c.leader_gives_up(s)?,
        }
        Ok(false)
    }

    fn failure(&self, event: Event, reason: Divergence) -> Failure {
        Failure {
            step: self.events.len(),
            event,
            reason,
            events: self.events.clone(),
        }
    }
}

/// One seeded run of the validator's scheduler.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    /// Drives every choice: the same seed picks the same events.
    pub seed: u64,
    /// The most events the run takes (fewer if nothing can happen).
    pub events: usize,
    /// Per cent of the picks that take a fault when one is enabled.
    pub fault_percent: u64,
}

/// Runs `run`'s seeded schedule, every event explained by model actions; the events taken.
pub fn run(
    model: &ZabModel,
    bug: Option<Bug>,
    run: Run,
    sum: &mut Summary,
    seen: &mut HashSet<State>,
) -> Result<Vec<Event>, Failure> {
    let mut v = Validator::new(model, bug);
    let mut rng = crate::model_to_impl::walk::Rng::new(run.seed ^ 0x7ace_5eed);
    let fault_percent = run.fault_percent;
    for _ in 0..run.events {
        let menu = v.enabled();
        let (faults, steps): (Vec<Event>, Vec<Event>) = menu.iter().partition(|e| e.is_fault());
        let pick_fault =
            !faults.is_empty() && (steps.is_empty() || (rng.below(100) as u64) < fault_percent);
        let from = if pick_fault { &faults } else { &steps };
        if from.is_empty() {
            break;
        }
        let e = from[rng.below(from.len())];
        v.apply(e, &mut sum.coverage)?;
        sum.steps += 1;
        seen.insert(v.state.clone());
    }
    sum.traces += 1;
    Ok(v.events)
}

/// Validates a recorded trace of events from the start.
pub fn validate(model: &ZabModel, bug: Option<Bug>, events: &[Event]) -> Result<usize, Failure> {
    let mut v = Validator::new(model, bug);
    let mut cov = Coverage::default();
    for e in events {
        v.apply(*e, &mut cov)?;
    }
    Ok(v.actions)
}
