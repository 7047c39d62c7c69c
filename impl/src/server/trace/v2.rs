//! Format 2, from before a start record carried the state machine's options: read (as
//! options off, which is all format 2 was written with), never written.

use super::{Effect, Record};
use crate::data_tree::TreeOptions;
use crate::replica::{Config, Durable, Input};
use serde::Deserialize;

/// A record of format 2.
#[derive(Deserialize)]
pub(super) enum RecordV2 {
    Start {
        at_ns: u64,
        config: Config,
        durable: Durable,
        effects: Vec<Effect>,
    },
    Step {
        at_ns: u64,
        input: Input,
        effects: Vec<Effect>,
    },
}

impl From<RecordV2> for Record {
    fn from(r: RecordV2) -> Record {
        match r {
            RecordV2::Start {
                at_ns,
                config,
                durable,
                effects,
            } => Record::Start {
                at_ns,
                tree: TreeOptions::default(),
                config,
                durable,
                effects,
            },
            RecordV2::Step {
                at_ns,
                input,
                effects,
            } => Record::Step {
                at_ns,
                input,
                effects,
            },
        }
    }
}
