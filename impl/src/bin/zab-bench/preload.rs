//! `--preload N`: before the timed load, N znodes of `--value-size` bytes under
//! `/zab-bench/data` (`p00000000`, …), created through one session per server with a window
//! of creates in flight; nodes that exist already are kept, so a second run loads nothing.

use crate::conn::{Conn, NODE_EXISTS};
use std::collections::VecDeque;
use std::io;
use std::time::{Duration, Instant};

/// The parent of the preloaded znodes.
pub const DATA: &str = "/zab-bench/data";
/// Creates one session keeps in flight.
const WINDOW: usize = 256;

/// What a preload did.
#[derive(Clone, Copy, Debug, Default)]
pub struct Preloaded {
    /// Znodes created (existing ones not counted).
    pub created: u64,
    /// How long it took.
    pub elapsed: Duration,
}

/// Creates `n` znodes of `value_size` bytes under `DATA` (the parent of `DATA` must exist).
pub async fn run(
    hosts: &[String],
    n: u64,
    value_size: usize,
    timeout_ms: i32,
) -> io::Result<Preloaded> {
    let started = Instant::now();
    let mut parent = Conn::open(&hosts[0], timeout_ms).await?;
    parent.ensure(DATA, &[]).await?;
    let _ = parent.close().await;
    let mut tasks = Vec::new();
    for (i, host) in hosts.iter().enumerate() {
        // Server i creates every len-th znode, starting at i.
        let (host, step, value) = (host.clone(), hosts.len() as u64, vec![b'p'; value_size]);
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::open(&host, timeout_ms).await?;
            let ids = (i as u64..n).step_by(step as usize);
            let created = create_all(&mut c, ids, &value).await?;
            let _ = c.close().await;
            Ok::<u64, io::Error>(created)
        }));
    }
    let mut created = 0;
    for t in tasks {
        created += t.await.map_err(io::Error::other)??;
    }
    Ok(Preloaded {
        created,
        elapsed: started.elapsed(),
    })
}

/// Creates the znodes of `ids` with a window of `WINDOW` in flight; how many were new.
async fn create_all(c: &mut Conn, ids: impl Iterator<Item = u64>, value: &[u8]) -> io::Result<u64> {
    let mut ids = ids.peekable();
    let mut inflight = VecDeque::with_capacity(WINDOW);
    let mut created = 0;
    loop {
        while inflight.len() < WINDOW {
            let Some(id) = ids.next() else { break };
            inflight.push_back(c.create(&path(id), value).await?);
        }
        c.flush().await?;
        let Some(xid) = inflight.pop_front() else {
            return Ok(created);
        };
        match c.reply(xid).await? {
            0 => created += 1,
            NODE_EXISTS => {}
            err => return Err(io::Error::other(format!("preload create: error {err}"))),
        }
    }
}

/// The path of preloaded znode `id`.
pub fn path(id: u64) -> String {
    format!("{DATA}/p{id:08}")
}
