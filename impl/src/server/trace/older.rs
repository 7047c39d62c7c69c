//! Formats 2 and 3, read, never written. Format 2 had no state machine options in a start
//! record (read as options off, all format 2 was written with); neither had message
//! identities (read as life 0 and no identity received: a reader matches receipts to sends
//! by their contents).

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

/// A record of format 3.
#[derive(Deserialize)]
pub(super) enum RecordV3 {
    Start {
        at_ns: u64,
        tree: TreeOptions,
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
        Record::from(match r {
            RecordV2::Start {
                at_ns,
                config,
                durable,
                effects,
            } => RecordV3::Start {
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
            } => RecordV3::Step {
                at_ns,
                input,
                effects,
            },
        })
    }
}

impl From<RecordV3> for Record {
    fn from(r: RecordV3) -> Record {
        match r {
            RecordV3::Start {
                at_ns,
                tree,
                config,
                durable,
                effects,
            } => Record::Start {
                at_ns,
                life: 0,
                tree,
                config,
                durable,
                effects,
            },
            RecordV3::Step {
                at_ns,
                input,
                effects,
            } => Record::Step {
                at_ns,
                input,
                received: None,
                effects,
            },
        }
    }
}
