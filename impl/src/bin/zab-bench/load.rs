//! The load: `clients` sessions spread over the servers of a connect string, each keeping
//! `pipeline` requests in flight. Each request is a setData (write) or getData (read) of the
//! session's own znode, chosen by a seeded generator with the configured read ratio; or, in
//! the churn workload, a create of a new child of that znode and then its delete; or, in the
//! children workload, a getChildren of one wide znode. The watch workload is `watch.rs`.

use crate::conn::Conn;
use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Barrier;

const ROOT: &str = "/zab-bench";
/// Session timeout asked for: long enough that a busy session never needs a ping.
const SESSION_TIMEOUT_MS: i32 = 30_000;

#[derive(Clone, Debug)]
pub struct Load {
    pub clients: usize,
    pub pipeline: usize,
    pub read_ratio: f64,
    pub value_size: usize,
    pub stop: Stop,
    pub seed: u64,
    /// Sessions on the first server that never read their replies (`idle.rs`).
    pub idle_readers: usize,
    /// Znodes created before the timed load (`preload.rs`).
    pub preload: u64,
    pub workload: Workload,
    /// Children of the znode `Workload::Children` lists.
    pub children: u64,
    /// Sessions watching the znode `Workload::Watch` writes.
    pub watchers: usize,
}

/// What each session's requests are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// setData and getData of the session's own znode, by `read_ratio`.
    Rw,
    /// Create a child of the session's own znode, then delete it, and again: every request
    /// a write that changes the tree's shape. A session's last create is always followed by
    /// its delete, so a run leaves no children (and may do one more operation a session
    /// than `--ops` asks).
    Churn,
    /// getChildren of one znode with `--children` children (created before the clock
    /// starts), by every session: reads of a large reply.
    Children,
    /// One writer and `--watchers` sessions watching what it writes (`watch.rs`): a write's
    /// acknowledgement to its last watcher's notification.
    Watch,
}

#[derive(Clone, Copy, Debug)]
pub enum Stop {
    After(Duration),
    Ops(u64),
}

/// What one run against one target measured.
pub struct Outcome {
    pub writes: u64,
    pub reads: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Every operation's latency in microseconds, sorted.
    pub latencies_us: Vec<u32>,
    /// What the preload did before the clock started.
    pub preloaded: crate::preload::Preloaded,
}

/// Decides, shared by all sessions, whether one more request may be issued.
struct Budget {
    deadline: Option<Instant>,
    left: AtomicI64,
}

impl Budget {
    fn take(&self) -> bool {
        match self.deadline {
            Some(d) => Instant::now() < d,
            None => self.left.fetch_sub(1, Ordering::Relaxed) > 0,
        }
    }
}

/// xorshift64*: the read/write choice only needs to be cheap and replayable from the seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Default)]
struct Tally {
    writes: u64,
    reads: u64,
    errors: u64,
    latencies_us: Vec<u32>,
}

pub async fn run(hosts: &[String], load: &Load) -> io::Result<Outcome> {
    let mut setup = Conn::open(&hosts[0], SESSION_TIMEOUT_MS).await?;
    setup.ensure(ROOT, b"").await?;
    let preloaded = match load.preload {
        0 => Default::default(),
        n => {
            let data = crate::preload::DATA;
            crate::preload::run(hosts, data, n, load.value_size, SESSION_TIMEOUT_MS).await?
        }
    };
    match load.workload {
        Workload::Watch => {
            let _ = setup.close().await;
            let watchers = load.watchers;
            let mut o = crate::watch::run(hosts, load, watchers, SESSION_TIMEOUT_MS).await?;
            o.preloaded = preloaded;
            return Ok(o);
        }
        Workload::Children => {
            let wide = crate::preload::WIDE;
            crate::preload::run(hosts, wide, load.children, 0, SESSION_TIMEOUT_MS).await?;
        }
        Workload::Rw | Workload::Churn => {}
    }
    let mut conns = Vec::with_capacity(load.clients);
    for i in 0..load.clients {
        let host = &hosts[i % hosts.len()];
        let mut c = Conn::open(host, SESSION_TIMEOUT_MS).await?;
        let path = format!("{ROOT}/n{i}");
        c.ensure(&path, &vec![b'v'; load.value_size]).await?;
        conns.push((c, path));
    }
    // Closing is courtesy (the server would expire the session): a failure is not the load's.
    let _ = setup.close().await;
    let idle = crate::idle::open(&hosts[0], load.idle_readers, SESSION_TIMEOUT_MS).await?;
    // Sessions are connected and their nodes exist: the clock starts now, for all at once.
    let start_line = Arc::new(Barrier::new(load.clients + 1));
    let started = Instant::now();
    let budget = Arc::new(match load.stop {
        Stop::After(d) => Budget {
            deadline: Some(started + d),
            left: AtomicI64::new(0),
        },
        Stop::Ops(n) => Budget {
            deadline: None,
            left: AtomicI64::new(i64::try_from(n).unwrap_or(i64::MAX)),
        },
    });
    let mut tasks = Vec::new();
    for (i, (conn, path)) in conns.into_iter().enumerate() {
        let (line, budget, load) = (start_line.clone(), budget.clone(), load.clone());
        tasks.push(tokio::spawn(async move {
            line.wait().await;
            session(conn, &path, &load, &budget, Rng::new(load.seed ^ i as u64)).await
        }));
    }
    start_line.wait().await;
    let mut total = Tally::default();
    for t in tasks {
        let tally = t.await.map_err(io::Error::other)??;
        total.writes += tally.writes;
        total.reads += tally.reads;
        total.errors += tally.errors;
        total.latencies_us.extend(tally.latencies_us);
    }
    let elapsed = started.elapsed();
    drop(idle);
    total.latencies_us.sort_unstable();
    Ok(Outcome {
        writes: total.writes,
        reads: total.reads,
        errors: total.errors,
        elapsed,
        latencies_us: total.latencies_us,
        preloaded,
    })
}

/// One session's closed loop: keep the pipeline full while the budget allows, then drain.
async fn session(
    mut conn: Conn,
    path: &str,
    load: &Load,
    budget: &Budget,
    mut rng: Rng,
) -> io::Result<Tally> {
    let value = vec![b'w'; load.value_size];
    let mut inflight: VecDeque<(i32, Instant, bool)> = VecDeque::with_capacity(load.pipeline);
    let mut tally = Tally::default();
    let mut open = true;
    let mut issued: u64 = 0;
    loop {
        while inflight.len() < load.pipeline {
            // A churn session's create is always followed by its delete.
            let completes_pair = load.workload == Workload::Churn && issued % 2 == 1;
            let may_issue = completes_pair || (open && budget.take());
            if !may_issue {
                open = false;
                break;
            }
            let (xid, write) = match load.workload {
                Workload::Children => (conn.get_children(crate::preload::WIDE).await?, false),
                Workload::Watch => unreachable!("watch::run runs the watch workload"),
                Workload::Rw if rng.unit() >= load.read_ratio => {
                    (conn.set_data(path, &value).await?, true)
                }
                Workload::Rw => (conn.get_data(path).await?, false),
                Workload::Churn => {
                    let child = format!("{path}/c{}", issued / 2);
                    match completes_pair {
                        false => (conn.create(&child, &value).await?, true),
                        true => (conn.delete(&child).await?, true),
                    }
                }
            };
            issued += 1;
            inflight.push_back((xid, Instant::now(), write));
        }
        conn.flush().await?;
        let Some((xid, sent, write)) = inflight.pop_front() else {
            let _ = conn.close().await;
            return Ok(tally);
        };
        let err = conn.reply(xid).await?;
        let us = u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX);
        tally.latencies_us.push(us);
        match (err, write) {
            (0, true) => tally.writes += 1,
            (0, false) => tally.reads += 1,
            _ => tally.errors += 1,
        }
    }
}
