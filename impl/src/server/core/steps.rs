//! Stepping the replica and carrying out its outputs, in the order it emits them: disk
//! outputs through `storage::driver` (a `Persist` before a `Send` is an fsync barrier),
//! then messages, replies and role changes; and the group commit that syncs a batch's
//! asynchronous appends and reports them back as `Input::Fsynced`.

use super::Core;
use crate::replica::{Input, Output};
use crate::server::links::{Envelope, LinkCmd, Plane};
use crate::server::trace::MsgId;
use crate::storage::{driver, StorageError, SyncStart};

impl Core {
    /// Steps the replica and runs its outputs (and any inputs they raise).
    pub(in crate::server) fn step(&mut self, input: Input) -> Result<(), StorageError> {
        self.run_inputs(input, None)
    }

    /// Steps the replica with a peer's message that arrived as `id`.
    pub(in crate::server) fn step_received(
        &mut self,
        input: Input,
        id: MsgId,
    ) -> Result<(), StorageError> {
        self.run_inputs(input, Some(id))
    }

    fn run_inputs(&mut self, input: Input, id: Option<MsgId>) -> Result<(), StorageError> {
        self.inputs.push_back((input, id));
        while let Some((input, received)) = self.inputs.pop_front() {
            let traced = self.recorder.is_some().then(|| input.clone());
            let out = self.replica.step(input);
            if let (Some(r), Some(input)) = (self.recorder.as_mut(), traced) {
                // Before the outputs run: whatever a peer sees of this step is recorded.
                r.record(&crate::server::trace::Record::Step {
                    at_ns: crate::server::trace::now_ns(),
                    input,
                    received,
                    effects: crate::server::trace::effects(&out),
                });
            }
            self.execute(out)?;
        }
        Ok(())
    }

    pub(super) fn execute(
        &mut self,
        outputs: Vec<Output<crate::data_tree::ApplyOutcome>>,
    ) -> Result<(), StorageError> {
        for o in outputs {
            if let Output::Append {
                entries,
                fsync: false,
            } = &o
            {
                if let Some(last) = entries.last() {
                    self.unsynced = Some(last.zxid());
                }
            }
            let o = match o {
                Output::SaveSnapshot { zxid, data } => {
                    self.save_snapshot(zxid, data)?;
                    continue;
                }
                // They write or remove snapshot files too.
                Output::Truncate { .. } | Output::InstallSnapshot { .. } => {
                    self.finish_snapshot()?;
                    o
                }
                o => o,
            };
            let Some(o) = driver::execute(&mut self.storage, o)? else {
                continue;
            };
            match o {
                Output::Send { to, msg } => {
                    let id = self.sends.next(to);
                    self.send(to, Envelope::Replica(msg, id))
                }
                Output::Disconnect { peer } => self.control(peer, Plane::Quorum, LinkCmd::Close),
                Output::Applied {
                    zxid,
                    session_id,
                    cxid,
                    local,
                    outcome,
                } => self.on_applied(zxid, session_id, cxid, local, outcome)?,
                Output::WriteRejected { session_id, cxid } => {
                    if cxid == crate::server::clients::EXPIRY_CXID {
                        // An expiry's close the replica could not propose: expire it again
                        // later, or its ephemerals would outlive it.
                        let now = self.session_clock_ms();
                        if let Some(t) = self.tracker.as_mut() {
                            t.close_refused(session_id, now);
                        }
                    }
                    self.clients.write_rejected(session_id, cxid)
                }
                Output::RoleChanged {
                    state,
                    leader,
                    epoch,
                } => self.on_role_changed(state, leader, epoch),
                Output::ReadIndex { token, zxid } => self.read_index(token, zxid),
                Output::ReadFailed { token } => self.read_failed(token),
                _ => {}
            }
        }
        Ok(())
    }

    /// One fsync for every append of the batch, on the log's sync thread, so the core goes
    /// on serving meanwhile (ZooKeeper's SyncRequestProcessor); while one runs, the appends
    /// wait for the next, started when it lands (`log_synced`).
    pub(super) fn group_commit(&mut self) -> Result<(), StorageError> {
        while !self.syncing && self.unsynced.take().is_some() {
            match self.storage.start_sync()? {
                SyncStart::Durable => self.fsynced()?,
                SyncStart::Started => self.syncing = true,
            }
        }
        Ok(())
    }

    /// The sync thread ended an fsync (`wait`: waits for the one running): the replica hears
    /// what is durable now.
    pub(super) fn log_synced(&mut self, wait: bool) -> Result<(), StorageError> {
        // Waiting, nothing landing means nothing flies: what is durable is still news.
        if self.syncing && (self.storage.sync_landed(wait)? || wait) {
            self.syncing = false;
            self.fsynced()?;
        }
        Ok(())
    }

    /// Steps the replica with the log's durable end: after a truncation that cut a landed
    /// batch's records, that is less than the batch reached. Not when the replica knows it
    /// already (a batch that landed inside its own `Append { fsync: true }`): a step that
    /// changes nothing is one no model run takes.
    fn fsynced(&mut self) -> Result<(), StorageError> {
        let zxid = self.storage.durable_zxid();
        if zxid <= self.replica.synced() {
            return Ok(());
        }
        self.step(Input::Fsynced { zxid })
    }
}
