//! The lock workload: every worker tries to take the one lock (an ephemeral create); a
//! holder renews it a few times (setData, which names the node's owner) and releases it
//! (delete at the version it last renewed). A worker that finds the lock taken waits a
//! little before trying again, so the history is not all failed creates.

use super::Workload;
use crate::chaos::client::{Client, ClientError};
use crate::chaos::lock::{LockOp, LockRet, PATH};
use crate::chaos::nemesis::Rng;
use std::time::Duration;

/// ZooKeeper's NoNode.
const NO_NODE: i32 = -101;

/// The lock.
#[derive(Default)]
pub struct Lock;

/// What a worker knows of the lock on its current session.
#[derive(Default)]
pub struct Held {
    /// The version it last renewed, while it holds the lock.
    version: Option<i32>,
    /// Whether its last acquire found the lock taken.
    refused: bool,
}

impl Workload for Lock {
    type Op = LockOp;
    type Ret = LockRet;
    type Memory = Held;

    fn new_process(&self, held: &mut Held) {
        *held = Held::default();
    }

    fn next(&self, rng: &mut Rng, held: &Held) -> LockOp {
        match held.version {
            None => LockOp::Acquire,
            // At least one renew before a release, then a third of the time.
            Some(v) if v > 0 && rng.below(3) == 0 => LockOp::Release,
            Some(_) => LockOp::Renew,
        }
    }

    async fn execute(
        &self,
        client: &mut Client,
        op: &LockOp,
        held: &mut Held,
    ) -> Result<LockRet, ClientError> {
        let session = client.session_id();
        match op {
            LockOp::Acquire => {
                if held.refused {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                // Ephemeral (create mode 1).
                let created = client.create(PATH, b"", 1).await;
                held.refused = created.is_err();
                created?;
                held.version = Some(0);
                Ok(LockRet::Acquired { session })
            }
            LockOp::Renew => match client.set_data(PATH, b"renewed", -1).await {
                Ok(stat) => {
                    let owner = stat.ephemeral_owner;
                    held.version = (owner == session).then_some(stat.version);
                    Ok(LockRet::Renewed { session, owner })
                }
                Err(ClientError::Server(NO_NODE)) => {
                    held.version = None;
                    Ok(LockRet::Gone { session })
                }
                Err(e) => Err(e),
            },
            LockOp::Release => {
                let version = held.version.take().unwrap_or(-1);
                client.delete(PATH, version).await?;
                Ok(LockRet::Released)
            }
        }
    }
}
