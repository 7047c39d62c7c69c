//! Why the implementation and the model part ways: the one error of both directions. A
//! replayed model step the implementation cannot take (`model_to_impl::replay::Mismatch`) and an
//! implementation event no model step explains (`impl_to_model`'s `Failure`s) both carry one.

use zab::storage::StorageError;

/// What went wrong where the implementation and the model were compared.
#[derive(Debug, thiserror::Error)]
pub enum Divergence {
    /// The implementation holds a value the model's small domains cannot express (a zxid past
    /// the model's epochs, a vote for a server it does not have, a packet it never sends).
    #[error("{0} is outside the model's domain")]
    OutOfDomain(String),
    /// What the step needs is not there on the implementation's side: no packet waiting on a
    /// link, no connection to open, no server running.
    #[error("{0}")]
    Absent(String),
    /// The implementation did something else than the model's step, or its server's record,
    /// says it does.
    #[error("{0}")]
    Behaviour(String),
    /// A simulated disk refused an operation.
    #[error("{what}: {source}")]
    Storage {
        /// What was being done.
        what: String,
        /// The disk's error (boxed: it is the largest variant's payload, and every
        /// comparison's result carries this enum).
        source: Box<StorageError>,
    },
    /// Bytes that should decode to the model's transactions do not.
    #[error("{0} does not decode")]
    Undecodable(&'static str),
    /// After a replayed step, the two views differ (their differences, one per line).
    #[error("views differ:\n{0}")]
    Views(String),
    /// No sequence of enabled model actions leads to the implementation's view.
    #[error("{what}: no sequence of model actions explains it; the model was at:\n{diff}")]
    Unexplained {
        /// The event or step not explained.
        what: String,
        /// The model's view against the implementation's, one difference per line.
        diff: String,
    },
    /// A recorded trace the validator cannot read as a run (a record of the wrong kind, a
    /// receipt without its message's identity).
    #[error("{0}")]
    Trace(String),
    /// A recorded run stops short: no server's next record can be taken.
    #[error("nothing can happen next:\n{0}")]
    Stuck(String),
    /// The search for an order of a recorded run's events ran out of its budget.
    #[error("no order of the events is explained")]
    NoOrder,
    /// The model actions that explain an event pass through a state that breaks one of the
    /// model's `always` properties: the run, as the model explains it, is unsafe.
    #[error("{after}: the model's property {property} does not hold")]
    Property {
        /// The property broken.
        property: &'static str,
        /// The event and the model action after which it does not hold.
        after: String,
    },
}

/// A result of comparing or driving the two sides.
pub type R<T> = Result<T, Divergence>;

/// Turns what a lookup did not find into a `Divergence`.
pub trait OrDivergence<T> {
    /// The value, or that `what` is outside the model's domain.
    fn outside(self, what: &str) -> R<T>;
    /// The value, or that the implementation has no such thing (`what` says what is missing).
    fn absent(self, what: &str) -> R<T>;
}

impl<T> OrDivergence<T> for Option<T> {
    fn outside(self, what: &str) -> R<T> {
        self.ok_or_else(|| Divergence::OutOfDomain(what.to_string()))
    }

    fn absent(self, what: &str) -> R<T> {
        self.ok_or_else(|| Divergence::Absent(what.to_string()))
    }
}

/// `Behaviour`, from anything that prints.
pub fn behaviour(what: impl std::fmt::Display) -> Divergence {
    Divergence::Behaviour(what.to_string())
}
