//! Message identities: how a sender numbers its messages and how a trace reader finds a
//! receipt's send (`ensemble/` in the refinement crate).

use crate::replica::ServerId;
use serde::{Deserialize, Serialize};

/// A peer message's identity: the sender's life (its start record's `life`) and the
/// message's number among the `Send` effects of that life to the same receiver, counted
/// from 1 in the order of the sender's trace (`SendNumbers`). The sender's trace holds it by
/// position; the receiver records it with the step that reads the message. Merging the
/// servers' traces then matches each receipt to its send exactly, whatever equal copies
/// (a re-sent vote) are in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MsgId {
    /// The sender's life.
    pub life: u64,
    /// The message's number, from 1, among what that life sent to the receiver.
    pub seq: u64,
}

/// Numbers a life's sends per receiver, as `MsgId` says: what a server stamps on each
/// message and what a reader of its trace counts.
#[derive(Clone, Debug, Default)]
pub struct SendNumbers {
    life: u64,
    sent: std::collections::HashMap<ServerId, u64>,
}

impl SendNumbers {
    /// A life's numbering, from nothing sent.
    pub fn new(life: u64) -> SendNumbers {
        SendNumbers {
            life,
            sent: Default::default(),
        }
    }

    /// The identity of the next message to `to`.
    pub fn next(&mut self, to: ServerId) -> MsgId {
        let seq = self.sent.entry(to).or_insert(0);
        *seq += 1;
        MsgId {
            life: self.life,
            seq: *seq,
        }
    }
}
