//! `--workload watch`: `--watchers` sessions, spread over the servers, each keep a data watch
//! on one znode; one more session (on the first server) writes it, one write at a time once
//! every watcher has its watch again. What is measured for each write is the time from its
//! acknowledgement to the notification of its last watcher (zero if every watcher heard of it
//! before the writer's ack arrived): how long a change takes to reach everyone watching.

use crate::conn::{Conn, Incoming};
use crate::load::{Load, Outcome, Stop};
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// The watched znode.
const WATCHED: &str = "/zab-bench/watched";
/// A write not heard of by every watcher within this long fails the run.
const DEADLINE: Duration = Duration::from_secs(30);

/// What the writer and the watchers share about the current write.
struct Round {
    watchers: usize,
    /// Watchers whose watch is set for the next write.
    armed: AtomicUsize,
    /// Watchers notified of the current write.
    notified: AtomicUsize,
    /// When the last of them was.
    last: Mutex<Option<Instant>>,
    all_armed: Notify,
    all_notified: Notify,
}

impl Round {
    fn arm(&self) {
        if self.armed.fetch_add(1, Ordering::AcqRel) + 1 == self.watchers {
            self.all_armed.notify_one();
        }
    }

    fn heard(&self, at: Instant) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        *last = Some(last.map_or(at, |l| l.max(at)));
        drop(last);
        if self.notified.fetch_add(1, Ordering::AcqRel) + 1 == self.watchers {
            self.all_notified.notify_one();
        }
    }
}

pub async fn run(
    hosts: &[String],
    load: &Load,
    watchers: usize,
    timeout_ms: i32,
) -> io::Result<Outcome> {
    let mut writer = Conn::open(&hosts[0], timeout_ms).await?;
    writer.ensure(WATCHED, b"").await?;
    let round = Arc::new(Round {
        watchers,
        armed: AtomicUsize::new(0),
        notified: AtomicUsize::new(0),
        last: Mutex::new(None),
        all_armed: Notify::new(),
        all_notified: Notify::new(),
    });
    let mut tasks = Vec::with_capacity(watchers);
    for i in 0..watchers {
        let c = Conn::open(&hosts[i % hosts.len()], timeout_ms).await?;
        tasks.push(tokio::spawn(watcher(c, Arc::clone(&round))));
    }
    let value = vec![b'w'; load.value_size];
    let started = Instant::now();
    let (mut latencies_us, mut errors) = (Vec::new(), 0);
    let result = loop {
        let done = match load.stop {
            Stop::After(d) => started.elapsed() >= d,
            Stop::Ops(n) => latencies_us.len() as u64 >= n,
        };
        if done {
            break Ok(());
        }
        match one_write(&mut writer, &round, &value).await {
            Ok(Some(us)) => latencies_us.push(us),
            Ok(None) => errors += 1,
            Err(e) => break Err(e),
        }
    };
    let elapsed = started.elapsed();
    if let Err(e) = result {
        return Err(with_watcher_errors(e, tasks).await);
    }
    for t in &tasks {
        t.abort();
    }
    let _ = writer.close().await;
    let writes = latencies_us.len() as u64;
    latencies_us.sort_unstable();
    Ok(Outcome {
        writes,
        reads: writes * watchers as u64,
        errors,
        elapsed,
        latencies_us,
        preloaded: Default::default(),
    })
}

/// A failed run's error, with what ended the watchers that had stopped by then (the first
/// one's error and how many): a watcher that stops never sets its watch again, and the run
/// then fails only by waiting for it.
async fn with_watcher_errors(
    e: io::Error,
    tasks: Vec<tokio::task::JoinHandle<io::Result<()>>>,
) -> io::Error {
    let (mut ended, mut first) = (0, None);
    for t in tasks {
        if !t.is_finished() {
            t.abort();
            continue;
        }
        ended += 1;
        let why = match t.await {
            Ok(Ok(())) => "ended".to_string(),
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        first.get_or_insert(why);
    }
    match first {
        None => e,
        Some(why) => io::Error::new(
            e.kind(),
            format!("{e} ({ended} watchers had stopped; the first: {why})"),
        ),
    }
}

/// One write once every watch is set: its ack to its last notification, in microseconds
/// (`None` if the write failed).
async fn one_write(writer: &mut Conn, round: &Round, value: &[u8]) -> io::Result<Option<u32>> {
    let every = round.watchers;
    let why = "watchers did not set their watches";
    wait_for(&round.armed, every, &round.all_armed, why).await?;
    round.armed.store(0, Ordering::Release);
    round.notified.store(0, Ordering::Release);
    *round.last.lock().unwrap_or_else(|p| p.into_inner()) = None;
    let xid = writer.set_data(WATCHED, value).await?;
    writer.flush().await?;
    let err = writer.reply(xid).await?;
    let acked = Instant::now();
    if err != 0 {
        return Ok(None);
    }
    let why = "a watcher missed a notification";
    wait_for(&round.notified, every, &round.all_notified, why).await?;
    let last = round
        .last
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .unwrap_or(acked);
    let us = last.saturating_duration_since(acked).as_micros();
    Ok(Some(u32::try_from(us).unwrap_or(u32::MAX)))
}

/// Waits until `count` reaches `target` (`woken` is notified when it does), for at most
/// `DEADLINE`; past it the run fails with `why`.
async fn wait_for(count: &AtomicUsize, target: usize, woken: &Notify, why: &str) -> io::Result<()> {
    let reached = async {
        while count.load(Ordering::Acquire) < target {
            woken.notified().await;
        }
    };
    tokio::time::timeout(DEADLINE, reached)
        .await
        .map_err(|_| io::Error::other(why.to_string()))
}

/// A watcher: set the watch, and after each notification set it again.
async fn watcher(mut conn: Conn, round: Arc<Round>) -> io::Result<()> {
    let mut arming = Some(conn.get_data_watched(WATCHED, true).await?);
    conn.flush().await?;
    loop {
        match conn.next().await? {
            Incoming::Notification => {
                round.heard(Instant::now());
                arming = Some(conn.get_data_watched(WATCHED, true).await?);
                conn.flush().await?;
            }
            Incoming::Reply { xid, err } if Some(xid) == arming && err == 0 => {
                arming = None;
                round.arm();
            }
            Incoming::Reply { xid, err } => {
                return Err(io::Error::other(format!("watch reply {xid}: error {err}")));
            }
        }
    }
}
