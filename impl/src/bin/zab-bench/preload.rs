//! `--preload N`: before the timed load, N znodes of `--value-size` bytes under
//! `/zab-bench/data` (`p00000000`, …), created through one session per server with a window
//! of creates in flight; nodes that exist already are kept, so a second run loads nothing.
//! `--workload children` makes its wide znode's empty children the same way.

use crate::conn::{Conn, NODE_EXISTS};
use std::collections::VecDeque;
use std::io;
use std::time::{Duration, Instant};

/// The parent of the preloaded znodes.
pub const DATA: &str = "/zab-bench/data";
/// The parent whose children `--workload children` lists.
pub const WIDE: &str = "/zab-bench/wide";
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

/// Creates `n` znodes of `value_size` bytes under `parent` (whose own parent must exist).
pub async fn run(
    hosts: &[String],
    parent: &'static str,
    n: u64,
    value_size: usize,
    timeout_ms: i32,
) -> io::Result<Preloaded> {
    let started = Instant::now();
    let mut setup = Conn::open(&hosts[0], timeout_ms).await?;
    setup.ensure(parent, &[]).await?;
    let _ = setup.close().await;
    let mut tasks = Vec::new();
    for (i, host) in hosts.iter().enumerate() {
        // Server i creates every len-th znode, starting at i.
        let (host, step, value) = (host.clone(), hosts.len() as u64, vec![b'p'; value_size]);
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::open(&host, timeout_ms).await?;
            let ids = (i as u64..n).step_by(step as usize);
            let created = create_all(&mut c, parent, ids, &value).await?;
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
async fn create_all(
    c: &mut Conn,
    parent: &str,
    ids: impl Iterator<Item = u64>,
    value: &[u8],
) -> io::Result<u64> {
    let mut ids = ids.peekable();
    let mut inflight = VecDeque::with_capacity(WINDOW);
    let mut created = 0;
    loop {
        while inflight.len() < WINDOW {
            let Some(id) = ids.next() else { break };
            inflight.push_back(c.create(&path(parent, id), value).await?);
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

/// The path of znode `id` under `parent`.
pub fn path(parent: &str, id: u64) -> String {
    format!("{parent}/p{id:08}")
}
