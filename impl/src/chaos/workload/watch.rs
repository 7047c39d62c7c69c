//! The watch workload: every process first leaves a persistent watch on one key, then
//! writes (30 %), reads leaving a one-time watch (35 %) and waits up to 20 ms for events
//! (35 %), on random keys; each answer carries the events that arrived before it. Writes
//! stop a few seconds before the end, so every connection can hear of the last changes.

use super::{Clients, Workload};
use crate::chaos::client::{Client, ClientError, Notification};
use crate::chaos::nemesis::Rng;
use crate::chaos::watch::{key_of, path, Event, WatchOp, WatchRet};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// ZooKeeper's `EventType.NodeDataChanged`.
const NODE_DATA_CHANGED: i32 = 3;
/// `AddWatchMode.PERSISTENT`.
const PERSISTENT: i32 = 0;
/// How long a `Wait` waits for an event.
const WAIT: Duration = Duration::from_millis(20);

/// The watched keys.
pub struct Watched {
    keys: u32,
    values: AtomicU32,
    /// No write is invoked from then on.
    writes_until: Instant,
}

/// Whether this process has left its persistent watch yet.
#[derive(Default)]
pub struct Persistent(bool);

impl Watched {
    /// `keys` znodes, written until `writes_until`.
    pub fn new(keys: u32, writes_until: Instant) -> Watched {
        Watched {
            keys,
            values: AtomicU32::new(1),
            writes_until,
        }
    }

    /// Each key's version after the run, read after a sync.
    pub async fn last_versions(
        &self,
        clients: &Clients,
    ) -> Result<BTreeMap<u32, i32>, ClientError> {
        let mut c = clients.any_session().await?;
        let mut last = BTreeMap::new();
        for key in 0..self.keys {
            c.sync(&path(key)).await?;
            last.insert(key, c.get_data(&path(key)).await?.1.version);
        }
        c.close().await;
        Ok(last)
    }

    /// Creates each key's znode with value 0 (version 0).
    pub async fn set_up(&self, clients: &Clients) -> Result<(), ClientError> {
        super::create_all(clients, (0..self.keys).map(path), b"0").await
    }
}

impl Workload for Watched {
    type Op = WatchOp;
    type Ret = WatchRet;
    type Memory = Persistent;

    fn new_process(&self, watching: &mut Persistent) {
        watching.0 = false;
    }

    fn next(&self, rng: &mut Rng, watching: &Persistent) -> WatchOp {
        let key = rng.below(u64::from(self.keys)) as u32;
        if !watching.0 {
            return WatchOp::Watch { key };
        }
        let writing = Instant::now() < self.writes_until;
        match rng.below(20) {
            0..=5 if writing => WatchOp::Write {
                key,
                value: self.values.fetch_add(1, Ordering::Relaxed),
            },
            6..=12 => WatchOp::Read { key },
            _ => WatchOp::Wait,
        }
    }

    async fn execute(
        &self,
        client: &mut Client,
        op: &WatchOp,
        watching: &mut Persistent,
    ) -> Result<WatchRet, ClientError> {
        let version = match *op {
            WatchOp::Write { key, value } => {
                let data = value.to_string();
                Some(
                    client
                        .set_data(&path(key), data.as_bytes(), -1)
                        .await?
                        .version,
                )
            }
            WatchOp::Read { key } => {
                Some(client.get_data_watching(&path(key), true).await?.1.version)
            }
            WatchOp::Watch { key } => {
                client.add_watch(&path(key), PERSISTENT).await?;
                watching.0 = true;
                None
            }
            WatchOp::Wait => {
                client.wait_event(WAIT).await?;
                None
            }
        };
        let events = client.take_events().iter().filter_map(event).collect();
        Ok(WatchRet { version, events })
    }
}

/// A NodeDataChanged of one of the keys.
fn event(n: &Notification) -> Option<Event> {
    (n.kind == NODE_DATA_CHANGED).then_some(())?;
    Some(Event {
        key: key_of(&n.path)?,
        zxid: n.zxid,
    })
}
