//! Which model actions may stand for an implementation event, and the search for the
//! sequence of them that explains it.

use super::Event;
use crate::shared::abstraction::View;
use zab_model::types::Sid;
use zab_model::{Action, State, ZabModel};

/// The most model actions one implementation event may stand for.
const MOST_ACTIONS_PER_EVENT: usize = 6;

pub(super) fn is_timer_of(a: &Action, s: Sid) -> bool {
    matches!(a,
        Action::Decide(x) | Action::Resend(x) | Action::LearnerTimeout(x) | Action::LeaderTimeout(x)
        if *x == s)
}

/// Which model action may stand for (part of) event `e`: the first of the sequence, and the
/// ones after it.
fn allowed(e: Event, a: &Action, first: bool) -> bool {
    match (e, a) {
        (Event::Notify { from, to }, Action::Notify { from: f, to: t, .. }) => {
            first && (from, to) == (*f, *t)
        }
        (Event::Deliver { from, to }, Action::Deliver { from: f, to: t, .. }) => {
            first && (from, to) == (*f, *t)
        }
        // What the receiver does in the same step: a leader's handlers sync, a follower's
        // NEWLEADER handling runs to its end.
        (Event::Deliver { to, .. }, Action::SyncLearner { leader, .. }) => !first && *leader == to,
        (Event::Deliver { to, .. }, Action::NewLeaderStep(s, _)) => !first && *s == to,
        (Event::Connect(s), Action::Connect(x)) => first && s == *x,
        (Event::Notice(s), Action::LearnerTimeout(x)) => first && s == *x,
        (Event::SyncFlush(s), Action::SyncFlush(x, _)) => s == *x,
        (Event::Tick(s), a) => first && is_timer_of(a, s),
        (Event::ClientRequest(s), Action::ClientRequest(x)) => first && s == *x,
        (Event::Read(s), Action::ReadStart(x)) | (Event::ServeRead(s), Action::ReadServe(x)) => {
            first && s == *x
        }
        (Event::Crash(s), Action::Crash(x)) | (Event::Restart(s), Action::Restart(x)) => {
            first && s == *x
        }
        (Event::Partition(m), Action::Partition(x)) => first && m == *x,
        (Event::Heal, Action::Heal) => first,
        (
            Event::Lose { from, to, plane },
            Action::Lose {
                from: f,
                to: t,
                plane: p,
            },
        ) => first && (from, to, plane) == (*f, *t, *p),
        (Event::Transmit { from, to }, Action::Transmit { from: f, to: t }) => {
            first && (from, to) == (*f, *t)
        }
        (Event::PrematureTimeout(s), Action::PrematureTimeout(x)) => first && s == *x,
        _ => false,
    }
}

/// The shortest sequence of allowed model actions from `st` to a state whose view is
/// `target`. Only a tick (time passing with nothing visible) or a rejected write may be
/// explained by no action at all.
pub(super) fn explain(
    model: &ZabModel,
    st: &State,
    target: &View,
    e: Event,
    rejected: bool,
) -> Option<(Vec<Action>, State)> {
    crate::shared::search::shortest(
        model,
        st,
        MOST_ACTIONS_PER_EVENT,
        |s| View::of_model(&model.cfg, s) == *target,
        |first, a| allowed(e, a, first),
        matches!(e, Event::Tick(_)) || rejected,
    )
}
