//! Recording what a server's replica was told and what it did, and replaying it.
//!
//! With `zab.traceDir=DIR` in its zoo.cfg, a server appends to `DIR/trace.<myid>` one record
//! when its replica starts (its configuration, what recovery found, its first outputs) and one
//! per step (the input, the outputs), each time-stamped. The replica is a deterministic state
//! machine, so the inputs are the whole story: `replay` runs a new replica through them and
//! checks that it does exactly what the server did, output for output. A trace of every
//! server of an ensemble is what the refinement tests validate against the model.
//!
//! The file is the magic `ZABT` and a 4-byte big-endian format version, then a sequence of
//! frames: a 4-byte big-endian length, then a record (`crate::encoding`). Each record is
//! written before the step's outputs run, so nothing a peer or client saw is missing from it;
//! a server killed mid-write leaves a torn last frame, which reading ignores.

use crate::data_tree::TreeOptions;
use crate::replica::StateMachine;
use crate::replica::{Config, Durable, Input, Output, PeerMsg, Replica, ServerId, ServerState};
use crate::zxid::Zxid;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One record of a trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Record {
    /// The replica started.
    Start {
        /// When, in nanoseconds since the Unix epoch.
        at_ns: u64,
        /// This life's identity, different at every start of the server: the first part of
        /// the identity of every message it sends until its next start (`MsgId`).
        life: u64,
        /// The state machine's options (`extendedTypesEnabled`): a replay starts from a
        /// genesis with the same ones.
        tree: TreeOptions,
        /// The replica's configuration (its limits in ticks of 100 ms).
        config: Config,
        /// What recovery found on disk: epochs, snapshot, log.
        durable: Durable,
        /// The outputs `Replica::new` returned (its first votes).
        effects: Vec<Effect>,
    },
    /// The replica took one input.
    Step {
        /// When, in nanoseconds since the Unix epoch.
        at_ns: u64,
        /// The input, whole.
        input: Input,
        /// For a peer's message, the identity it arrived with; `None` for other inputs, and
        /// for traces of format 3 and before, which had none.
        received: Option<MsgId>,
        /// The outputs the step returned, in order.
        effects: Vec<Effect>,
    },
}

impl Record {
    /// When the record was made, in nanoseconds since the Unix epoch (`now_ns`).
    pub fn at_ns(&self) -> u64 {
        match self {
            Record::Start { at_ns, .. } | Record::Step { at_ns, .. } => *at_ns,
        }
    }
}

/// An output as the trace keeps it: everything but the state machine's outcome of an applied
/// transaction and the bytes of snapshots.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Effect {
    /// A message to a peer.
    Send {
        /// The peer.
        to: ServerId,
        /// The message, whole.
        msg: PeerMsg,
    },
    /// Close the quorum connection to `peer`.
    Disconnect {
        /// The peer given up on.
        peer: ServerId,
    },
    /// Write `acceptedEpoch` durably.
    SaveAcceptedEpoch(u32),
    /// Write `currentEpoch` durably.
    SaveCurrentEpoch(u32),
    /// Write the `updatingEpoch` marker durably (a NEWLEADER handling begins).
    SaveUpdatingEpoch(u32),
    /// Append transactions to the log.
    Append {
        /// The appended transactions' zxids, in order (their bodies are left out).
        zxids: Vec<Zxid>,
        /// Whether it is synced before the next output runs (else by group commit).
        fsync: bool,
    },
    /// Cut the log after `zxid` (TRUNC).
    Truncate {
        /// The last zxid kept.
        zxid: Zxid,
    },
    /// Make the state durable as a snapshot (the NEWLEADER of a SNAP or TRUNC sync).
    InstallSnapshot {
        /// The snapshot's zxid (its bytes are left out).
        zxid: Zxid,
    },
    /// Save a periodic snapshot (every `snapCount` transactions).
    SaveSnapshot {
        /// The snapshot's zxid (its bytes are left out).
        zxid: Zxid,
    },
    /// A committed transaction was applied to the state machine.
    Applied {
        /// The transaction's zxid.
        zxid: Zxid,
        /// The session that asked for it.
        session_id: i64,
        /// The session's request id (cxid) for it.
        cxid: i32,
    },
    /// A client write cannot be served now (no leader, or not in broadcast).
    WriteRejected {
        /// The session that asked for it.
        session_id: i64,
        /// The session's request id (cxid) for it.
        cxid: i32,
    },
    /// The replica changed role.
    RoleChanged {
        /// LOOKING, FOLLOWING, LEADING or OBSERVING.
        state: ServerState,
        /// The elected leader (this server when LEADING); `None` when LOOKING.
        leader: Option<ServerId>,
        /// The replica's `currentEpoch` at the change.
        epoch: u32,
    },
    /// A linearizable read may be answered once the applied state reaches `zxid`.
    ReadIndex {
        /// The read's token.
        token: u64,
        /// The read index.
        zxid: Zxid,
    },
    /// A linearizable read cannot be answered here.
    ReadFailed {
        /// The read's token.
        token: u64,
    },
}

impl<O> From<&Output<O>> for Effect {
    fn from(o: &Output<O>) -> Effect {
        match o {
            Output::Send { to, msg } => Effect::Send {
                to: *to,
                msg: msg.clone(),
            },
            Output::Disconnect { peer } => Effect::Disconnect { peer: *peer },
            Output::SaveAcceptedEpoch(e) => Effect::SaveAcceptedEpoch(*e),
            Output::SaveCurrentEpoch(e) => Effect::SaveCurrentEpoch(*e),
            Output::SaveUpdatingEpoch(e) => Effect::SaveUpdatingEpoch(*e),
            Output::Append { entries, fsync } => Effect::Append {
                zxids: entries.iter().map(|e| e.zxid()).collect(),
                fsync: *fsync,
            },
            Output::Truncate { zxid } => Effect::Truncate { zxid: *zxid },
            Output::InstallSnapshot { zxid, .. } => Effect::InstallSnapshot { zxid: *zxid },
            Output::SaveSnapshot { zxid, .. } => Effect::SaveSnapshot { zxid: *zxid },
            Output::Applied {
                zxid,
                session_id,
                cxid,
                ..
            } => Effect::Applied {
                zxid: *zxid,
                session_id: *session_id,
                cxid: *cxid,
            },
            Output::WriteRejected { session_id, cxid } => Effect::WriteRejected {
                session_id: *session_id,
                cxid: *cxid,
            },
            Output::RoleChanged {
                state,
                leader,
                epoch,
            } => Effect::RoleChanged {
                state: *state,
                leader: *leader,
                epoch: *epoch,
            },
            Output::ReadIndex { token, zxid } => Effect::ReadIndex {
                token: *token,
                zxid: *zxid,
            },
            Output::ReadFailed { token } => Effect::ReadFailed { token: *token },
        }
    }
}

/// The outputs of one step as the trace keeps them, in order.
pub fn effects<O>(outputs: &[Output<O>]) -> Vec<Effect> {
    outputs.iter().map(Effect::from).collect()
}

/// Why a trace could not be written, read or replayed. Record indexes count from 0.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The trace file (or its directory) could not be created, opened or read.
    #[error("trace file {path}: {source}")]
    Io {
        /// The trace file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A complete frame whose bytes do not decode as a record.
    #[error("record {index}: not a trace record")]
    Malformed {
        /// The record's index.
        index: usize,
    },
    /// Not a trace file, or one of another format (those before format 1 had no header).
    #[error("trace file {path}: not a zab trace of format {FORMAT_VERSION}")]
    Format {
        /// The file read.
        path: PathBuf,
    },
    /// The trace begins with a step: there is no replica to run it.
    #[error("record {index}: a step before any start")]
    NoStart {
        /// The step's index.
        index: usize,
    },
    /// `Replica::new` refused a start record's configuration and recovered state.
    #[error("record {index}: the replica does not start: {why}")]
    Start {
        /// The start record's index.
        index: usize,
        /// The replica's error.
        why: String,
    },
    /// The replayed replica's outputs differ from the recorded ones: the run is not the
    /// deterministic replica's, or the replica changed since the trace was made.
    #[error("record {index}: the replica did {replayed:?}, the server recorded {recorded:?}")]
    Diverged {
        /// The record whose outputs differ.
        index: usize,
        /// What the server did.
        recorded: Vec<Effect>,
        /// What the replay did.
        replayed: Vec<Effect>,
    },
}

mod file;
mod identity;
mod older;

pub use file::{file_for, now_ns, read, Recorder, FORMAT_VERSION};
pub use identity::{MsgId, SendNumbers};

/// What a replay went through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Starts (the first, then one per restart).
    pub starts: usize,
    /// Steps re-run and found identical.
    pub steps: usize,
}

/// Runs a new replica through the recorded inputs (a new one at each start record, from the
/// recorded configuration and recovered state, on the state machine `genesis` makes for the
/// recorded options) and checks every output against the record.
pub fn replay<S: StateMachine>(
    records: &[Record],
    genesis: impl Fn(TreeOptions) -> S,
) -> Result<Replayed, TraceError> {
    let mut done = Replayed::default();
    let mut replica: Option<Replica<S>> = None;
    for (index, r) in records.iter().enumerate() {
        let (recorded, replayed) = match r {
            Record::Start {
                tree,
                config,
                durable,
                effects: recorded,
                ..
            } => {
                let (rep, out) = Replica::new(config.clone(), durable.clone(), genesis(*tree))
                    .map_err(|e| TraceError::Start {
                        index,
                        why: e.to_string(),
                    })?;
                replica = Some(rep);
                done.starts += 1;
                (recorded, effects(&out))
            }
            Record::Step {
                input,
                effects: recorded,
                ..
            } => {
                let rep = replica.as_mut().ok_or(TraceError::NoStart { index })?;
                done.steps += 1;
                (recorded, effects(&rep.step(input.clone())))
            }
        };
        if *recorded != replayed {
            return Err(TraceError::Diverged {
                index,
                recorded: recorded.clone(),
                replayed,
            });
        }
    }
    Ok(done)
}

/// One line for a record: its time, what the replica was told, what it did (for
/// `zabd replay --print`).
pub fn describe(r: &Record) -> String {
    match r {
        Record::Start {
            at_ns,
            life,
            tree,
            config,
            durable,
            effects,
        } => format!(
            "{at_ns} START id={} life={life} ttl={} acc={} cur={} log={} snapshot={:?} -> \
             {effects:?}",
            config.id,
            tree.ttl_enabled,
            durable.accepted_epoch,
            durable.current_epoch,
            durable.log.len(),
            durable.snapshot.as_ref().map(|(z, _)| *z)
        ),
        Record::Step {
            at_ns,
            input,
            received,
            effects,
        } => {
            let input = match input {
                Input::Write {
                    session_id, cxid, ..
                } => format!("Write {{ session: {session_id:#x}, cxid: {cxid} }}"),
                other => format!("{other:?}"),
            };
            match received {
                Some(id) => format!("{at_ns} {input} as {}.{} -> {effects:?}", id.life, id.seq),
                None => format!("{at_ns} {input} -> {effects:?}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(at_ns: u64) -> Record {
        Record::Step {
            at_ns,
            input: Input::Tick { now_ms: 7 },
            received: None,
            effects: Vec::new(),
        }
    }

    #[test]
    fn records_round_trip_and_a_torn_last_frame_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_for(dir.path(), 1);
        let mut r = Recorder::open(path.clone()).unwrap();
        r.record(&step(1));
        r.record(&step(2));
        drop(r);
        // A restarted server appends without a second header.
        Recorder::open(path.clone()).unwrap().record(&step(3));
        assert_eq!(read(&path).unwrap(), vec![step(1), step(2), step(3)]);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.truncate(bytes.len() - 1);
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read(&path).unwrap(), vec![step(1), step(2)]);
    }

    #[test]
    fn a_file_without_the_header_is_not_read_as_a_trace() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.1");
        // A trace of the format before the header: a length and a record.
        std::fs::write(&path, [0, 0, 0, 2, 1, 7]).unwrap();
        assert!(matches!(read(&path), Err(TraceError::Format { .. })));
        // A header cut short (a server killed as it began) is an empty trace.
        std::fs::write(&path, &file::header()[..3]).unwrap();
        assert_eq!(read(&path).unwrap(), Vec::new());
    }
}
