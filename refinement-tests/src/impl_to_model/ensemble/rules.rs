//! Which model actions an event of a real run may stand for.

use super::world::World;
use super::Event;
use zab::replica::{Input, Packet, PeerMsg};
use zab::server::trace::Record;
use zab_model::types::Sid;
use zab_model::Action;

/// Which model actions an event may stand for.
pub(super) struct Rules {
    event: Event,
    /// The server and what it was told.
    input: Option<(Sid, Input)>,
    /// The received packet was one the model had already lost (its connection closed, or
    /// its receiver was not listening).
    pub(super) stale: bool,
    pub(super) may_stutter: bool,
}

impl Rules {
    pub(super) fn of(before: &World, e: Event) -> Rules {
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
                Record::Step {
                    input,
                    received,
                    effects,
                    ..
                } => {
                    r.may_stutter = match input {
                        Input::Tick { .. } | Input::Disconnected { .. } | Input::Heard { .. } => {
                            true
                        }
                        Input::Write { .. } => effects
                            .iter()
                            .any(|x| matches!(x, zab::server::trace::Effect::WriteRejected { .. })),
                        // A read at a server not in broadcast fails at once: no model step.
                        Input::Read { .. } => effects
                            .iter()
                            .any(|x| matches!(x, zab::server::trace::Effect::ReadFailed { .. })),
                        Input::Peer { from, msg } => {
                            let from = crate::shared::convert::sid(*from);
                            r.stale = before
                                .flight(from, s, msg, *received)
                                .is_some_and(|f| f.lost);
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

    pub(super) fn allows(&self, first: bool, a: &Action) -> bool {
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
    let sid = crate::shared::convert::sid;
    if let Some((from, to)) = quorum_loss(a) {
        return match input {
            // A quorum connection that broke under both ends: the first to hear of it.
            Input::Disconnected { peer } => {
                let p = sid(*peer);
                (from, to) == (s, p) || (from, to) == (p, s)
            }
            // A timeout while its peers still answer: under the model's timing assumption a
            // timeout fires only when they cannot, so the connections it gives up on broke
            // first.
            Input::Tick { .. } => from == s || to == s,
            _ => false,
        };
    }
    match (input, a) {
        // Before the step sends a newer notification, the one waiting may have gone into
        // TCP already, to be read before the newer one.
        (_, Action::Transmit { from, .. }) => *from == s,
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
                        | Action::LeaderTimeout(x) | Action::PrematureTimeout(x) if *x == s)
        }
        (Input::Write { .. }, Action::ClientRequest(x)) => first && *x == s,
        (Input::Read { .. }, Action::ReadStart(x)) => first && *x == s,
        // The shell answers the read in the step that applied its read index.
        (_, Action::ReadServe(x)) => *x == s,
        (Input::Fsynced { .. }, Action::SyncFlush(x, _)) => *x == s,
        (Input::Disconnected { .. }, Action::LearnerTimeout(x)) => first && *x == s,
        _ => false,
    }
}

/// The ends of the quorum connection a model `Lose` breaks, if it is one.
fn quorum_loss(a: &Action) -> Option<(Sid, Sid)> {
    match *a {
        Action::Lose {
            from,
            to,
            plane: zab_model::msg::Plane::Quorum,
        } => Some((from, to)),
        _ => None,
    }
}
