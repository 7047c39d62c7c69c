//! ZOOKEEPER-4712 as a schedule on real servers: a follower's shutdown leaves its sync thread
//! running, so a transaction queued behind a slow fsync reaches its log after the follower
//! has rebuilt its state from that log and gone into election; the transaction, never
//! committed, stays on that one server.
//!
//! ZooKeeper 3.8 (`Learner.shutdown` → `ZooKeeperServer.shutdown(false)`): the request
//! processors are shut down but not the follower's SyncRequestProcessor, and the in-memory
//! database is fast-forwarded from the log at once. zabd has no thread of its own for the
//! log: a replica's log is its state.
//!
//! Three servers, tickTime 1 s, every one under the `slow_fsync` shim, idle until told:
//! 1. two clients open their sessions at the leader L; follower G is killed;
//! 2. follower F's log fsyncs are held 8 s and its writes kept in the process until then
//!    (volatile); the first client creates `/a`: F's fsync of it is held, so neither `/a`
//!    nor what follows can commit;
//! 3. the second client creates `/b`, queued behind the held fsync at F;
//! 4. L is killed and G restarts: F gives up on L and rebuilds its state from its log (which
//!    does not hold `/a` yet) while its sync thread is still held; F and G elect a leader,
//!    F's held fsync returns and the thread writes `/a`; the new leader is asked, after a
//!    `sync`, whether `/a` exists;
//! 5. every server comes back, and each is asked, without a `sync`, whether `/a` and `/b`
//!    exist: servers that answer differently hold different histories, and `/a` present at
//!    the end after the new epoch said it was absent is a transaction put into the past.

use super::{leader, start, trigger, wait_held, ScheduleError, Steps, Verdict, NO_NODE};
use crate::chaos::client::{Client, ClientError};
use crate::chaos::cluster::{Cluster, Target};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long F's log fsyncs are held.
const SLOW_FSYNC: Duration = Duration::from_secs(8);

/// What the schedule found.
#[derive(Debug, Default)]
pub struct Histories {
    /// Who did what.
    pub roles: String,
    /// F's fsync of `/a` was held when `/b` was sent.
    pub reached: bool,
    /// Whether `/a` existed at the new leader once F's hold was over, read after a `sync`
    /// (`None`: no answer): what the next epoch committed.
    pub after_failover: Option<bool>,
    /// Per server (1-based, in order), whether `/a` and `/b` exist there at the end (`None`:
    /// it did not answer).
    pub views: Vec<Option<(bool, bool)>>,
    /// What happened, in order.
    pub steps: Vec<String>,
}

impl Histories {
    /// Servers that answered and disagree.
    pub fn diverged(&self) -> bool {
        let mut answers = self.views.iter().flatten();
        let first = answers.next();
        answers.any(|v| Some(v) != first)
    }

    /// `/a`, absent from what the next epoch committed, is back at the end: a transaction
    /// from before that epoch was put into the committed past after clients read it.
    pub fn resurrected(&self) -> bool {
        self.after_failover == Some(false) && self.views.iter().flatten().any(|v| v.0)
    }
}

impl Verdict for Histories {
    fn steps(&self) -> &[String] {
        &self.steps
    }

    fn verdict(&self) -> Result<String, String> {
        if self.diverged() {
            Err(format!(
                "the servers hold different histories: {:?}",
                self.views
            ))
        } else if self.resurrected() {
            Err("/a, absent from the next epoch, came back into the committed past".into())
        } else {
            Ok(format!(
                "every server holds the same history (reached: {}, (/a, /b): {:?})",
                self.reached, self.views
            ))
        }
    }
}

/// Runs the schedule on three servers of `target` in `dir`.
pub async fn run(target: Target, dir: PathBuf) -> Result<Histories, ScheduleError> {
    let dir = dir.as_path();
    let (mut cluster, _) = start(target, 3, Vec::new(), (SLOW_FSYNC, true), dir).await?;
    let l = leader(&cluster, Duration::from_secs(60)).await?;
    let others: Vec<usize> = (1..=3).filter(|&id| id != l).collect();
    let (f, g) = (others[0], others[1]);
    let mut steps = Steps::new();
    let timeout = Duration::from_secs(10);
    let mut first = Client::connect(cluster.client_addr(l), 60_000, timeout).await?;
    let mut second = Client::connect(cluster.client_addr(l), 60_000, timeout).await?;
    cluster.kill(g);
    // The sessions' transactions reach F's disk first: the hold is for `/a`'s fsync.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let trigger = trigger(dir, f);
    std::fs::write(&trigger, b"")?;
    let a = tokio::time::timeout(Duration::from_secs(1), first.create("/a", b"a", 0)).await;
    let reached = wait_held(&cluster, f, Duration::from_secs(5)).await;
    let b = tokio::time::timeout(Duration::from_millis(500), second.create("/b", b"b", 0)).await;
    steps.note(format!(
        "L=s{l} F=s{f} G=s{g}: G killed, F's log slow ({SLOW_FSYNC:?}); create /a: {a:?}; \
         F's fsync held: {reached}; create /b: {b:?}"
    ));
    drop((first, second));
    cluster.kill(l);
    cluster.restart(g)?;
    steps.note("L killed; G restarts".into());
    let elected = leader(&cluster, Duration::from_secs(60)).await?;
    // Past the held fsync: what F's sync thread still held has reached its log.
    tokio::time::sleep(SLOW_FSYNC).await;
    let _ = std::fs::remove_file(&trigger);
    let after_failover = super::exists_path(&cluster, &[elected], "/a", timeout).await;
    steps.note(format!(
        "s{elected} leads; F's hold is over; /a at s{elected} after a sync: {after_failover:?}"
    ));
    // Every server restarts from its disk, then everyone is back.
    for id in [f, g] {
        cluster.kill(id);
    }
    cluster.heal()?;
    cluster.wait_serving(Duration::from_secs(60)).await?;
    leader(&cluster, Duration::from_secs(60)).await?;
    let mut views = Vec::new();
    for id in 1..=cluster.len() {
        views.push(view(&cluster, id).await);
    }
    steps.note(format!(
        "everyone restarted; (/a, /b) per server: {views:?}"
    ));
    Ok(Histories {
        roles: format!("L=s{l} F=s{f} G=s{g}"),
        reached,
        after_failover,
        views,
        steps: steps.into_lines(),
    })
}

/// Whether `/a` and `/b` exist at server `id`, read there without a `sync` (each server's
/// own state), within 30 s.
async fn view(cluster: &Cluster, id: usize) -> Option<(bool, bool)> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        let t = Duration::from_secs(5);
        if let Ok(mut c) = Client::connect(cluster.client_addr(id), 10_000, t).await {
            if let (Some(a), Some(b)) = (exists(&mut c, "/a").await, exists(&mut c, "/b").await) {
                return Some((a, b));
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    None
}

async fn exists(c: &mut Client, path: &str) -> Option<bool> {
    match c.get_data(path).await {
        Ok(_) => Some(true),
        Err(ClientError::Server(NO_NODE)) => Some(false),
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histories(after_failover: Option<bool>, views: &[(bool, bool)]) -> Histories {
        Histories {
            after_failover,
            views: views.iter().map(|v| Some(*v)).collect(),
            ..Histories::default()
        }
    }

    #[test]
    fn servers_that_disagree_or_a_transaction_put_into_the_past_fail_the_verdict() {
        let split = histories(
            Some(false),
            &[(true, false), (false, false), (false, false)],
        );
        assert!(split.verdict().unwrap_err().contains("different histories"));
        // Everyone agrees at the end, but on an /a the next epoch had committed without.
        let back = histories(Some(false), &[(true, false), (true, false), (true, false)]);
        assert!(back.verdict().unwrap_err().contains("came back"));
        let fine = histories(Some(true), &[(true, true), (true, true), (true, true)]);
        assert!(fine.verdict().is_ok());
        let never = histories(
            Some(false),
            &[(false, false), (false, false), (false, false)],
        );
        assert!(never.verdict().is_ok());
    }
}
