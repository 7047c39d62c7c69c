//! The queue workload: each worker enqueues unique values by sequential creates; after the
//! run, the queue's final state is read once through a synced session.

use super::{Clients, Workload};
use crate::chaos::client::{Client, ClientError};
use crate::chaos::nemesis::Rng;
use crate::chaos::queue::{self, Enqueue, Enqueued, PARENT};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// How long the final read of the queue may take.
const FINAL_READ_TIMEOUT: Duration = Duration::from_secs(15);

/// The queue.
#[derive(Default)]
pub struct Queue {
    values: AtomicU32,
}

impl Queue {
    /// Creates the parent node.
    pub async fn set_up(&self, clients: &Clients) -> Result<(), ClientError> {
        super::create_all(clients, [PARENT.to_string()], b"").await
    }

    /// The queue's final state, (value, number) per child, read after a sync.
    pub async fn final_state(clients: &Clients) -> Result<Vec<(u32, u64)>, ClientError> {
        // The queue can hold 100,000 names: on a loaded machine its read takes longer than
        // a workload request may, and nothing else is waiting on it.
        let patient = Clients {
            timeout: clients.timeout.max(FINAL_READ_TIMEOUT),
            ..clients.clone()
        };
        let mut last = ClientError::Lost("not read".into());
        for _ in 0..5 {
            let read = async {
                let mut c = patient.any_session().await?;
                c.sync(PARENT).await?;
                let names = c.get_children(PARENT).await?;
                c.close().await;
                Ok::<_, ClientError>(names)
            };
            match read.await {
                Ok(names) => {
                    return Ok(names.iter().filter_map(|n| queue::parse_child(n)).collect())
                }
                Err(e) => last = e,
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Err(last)
    }
}

impl Workload for Queue {
    type Op = Enqueue;
    type Ret = Enqueued;
    type Memory = ();

    fn next(&self, _: &mut Rng, _: &()) -> Enqueue {
        Enqueue {
            value: self.values.fetch_add(1, Ordering::Relaxed),
        }
    }

    async fn execute(
        &self,
        client: &mut Client,
        op: &Enqueue,
        _: &mut (),
    ) -> Result<Enqueued, ClientError> {
        // Persistent sequential (create mode 2).
        let path = client.create(&queue::prefix(op.value), b"", 2).await?;
        let name = path.rsplit('/').next().unwrap_or("");
        let (_, seq) = queue::parse_child(name)
            .ok_or_else(|| ClientError::Lost(format!("created {path}, not a queue name")))?;
        Ok(Enqueued { seq })
    }
}
