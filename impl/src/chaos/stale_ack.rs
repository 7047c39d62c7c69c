//! The model's `stale-ack` counterexample (`specs/findings.md`) as a schedule on real
//! servers, for Apache ZooKeeper and zabd alike: a leader keeps counting the ACK a follower
//! sent on a connection that has since died, while that follower, back and re-syncing, has
//! truncated the proposal away.
//!
//! Three or five servers, tickTime 1 s, syncLimit and initLimit 15 ticks (beyond the 10 s hold). Every server runs
//! under the `slow_fsync` LD_PRELOAD shim (`stale_ack/slow_fsync.c`), idle until told
//! (`Roles` names who is who):
//! 1. a client connected to the leader L opens its session;
//! 2. the quorum links between L and the followers C lose every byte (each is counted as
//!    synced until syncLimit, but hears nothing), and the log fsyncs of one server are held:
//!    L's own with three servers, follower F's with five;
//! 3. the client creates `/w`: follower R logs it, fsyncs and ACKs; the slow server's ACK
//!    waits for its fsync;
//! 4. R is killed and restarted with its epoch-file fsyncs held: it rejoins L, which (the
//!    proposal not committed yet) tells it to TRUNC, and R's NEWLEADER handling stops in its
//!    `currentEpoch` write — in ZooKeeper 3.8 before it logs the proposal again
//!    (ZOOKEEPER-4643's order);
//! 5. the slow fsync returns: with R's old ACK the proposal has a quorum, and the client may
//!    hear that `/w` was created;
//! 6. L, R and the slow server are killed; the links heal; R restarts without the shim and,
//!    with C, elects a leader; then everyone is back. If the create was acknowledged and `/w`
//!    is gone, an acknowledged write was lost.

use super::client::{Client, ClientError};
use super::cluster::{Cluster, ClusterError, Spec, Target};
use super::proxy::Mode;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The shim's source, compiled into the run's directory with the system's C compiler.
const SHIM: &str = include_str!("stale_ack/slow_fsync.c");

/// How long the slow server's log fsyncs are held: long enough for R to restart, rejoin and
/// be held in its NEWLEADER handling first (a JVM starts in 1–2 s).
const SLOW_FSYNC: Duration = Duration::from_secs(10);

/// How long R's epoch-file fsyncs are held: beyond the end of the schedule.
const EPOCH_HOLD: Duration = Duration::from_secs(120);

/// ZooKeeper's NoNode error code.
const NO_NODE: i32 = -101;

/// What the schedule did and found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Who did what.
    pub roles: Roles,
    /// The create of `/w` was acknowledged to the client.
    pub acknowledged: bool,
    /// R was held in its epoch write (after its TRUNC) when the acknowledgement came.
    pub held_before_ack: bool,
    /// Whether `/w` exists once R and C elected a leader without L (`None`: not read).
    pub after_failover: Option<bool>,
    /// Whether `/w` exists once L is back too.
    pub finally: Option<bool>,
    /// What happened, in order, with the time since the create was sent.
    pub steps: Vec<String>,
}

impl Outcome {
    /// An acknowledged create that the ensemble no longer has.
    pub fn lost(&self) -> bool {
        self.acknowledged && self.finally == Some(false)
    }
}

/// Why the schedule could not run to a verdict.
#[derive(Debug, thiserror::Error)]
pub enum StaleAckError {
    /// The ensemble did not come up.
    #[error("cluster: {0}")]
    Cluster(#[from] ClusterError),
    /// A file or process could not be made.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The shim did not compile.
    #[error("the slow_fsync shim: {0}")]
    Shim(String),
    /// A client could not connect or read.
    #[error("client: {0}")]
    Client(#[from] ClientError),
    /// No server said it leads.
    #[error("no leader after {0:?}")]
    NoLeader(Duration),
}

/// Who does what in the schedule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roles {
    /// The leader (L).
    pub leader: usize,
    /// The follower that ACKs, is killed and rejoins (R).
    pub rejoining: usize,
    /// The server whose log fsyncs are held, so its ACK comes last: the leader itself with
    /// three servers, a follower (F) with five.
    pub slow: usize,
    /// The followers cut off from the leader (C): counted as synced, never ACKing.
    pub cut: Vec<usize>,
}

impl Roles {
    /// The roles in an ensemble of `n` (3 or 5) led by `leader`.
    pub fn of(n: usize, leader: usize) -> Roles {
        let others: Vec<usize> = (1..=n).filter(|&id| id != leader).collect();
        let slow = if n == 3 { leader } else { others[1] };
        Roles {
            leader,
            rejoining: others[0],
            slow,
            cut: others[1..].iter().copied().filter(|&c| c != slow).collect(),
        }
    }
}

/// Runs the schedule on `servers` (3 or 5) of `target` in `dir`.
pub async fn run(target: Target, servers: usize, dir: &Path) -> Result<Outcome, StaleAckError> {
    std::fs::create_dir_all(dir)?;
    let shim = build_shim(dir)?;
    let spec = Spec {
        target,
        servers,
        tick_ms: 1000,
        dir: dir.to_path_buf(),
        extra: vec!["initLimit=15".into(), "syncLimit=15".into()],
        env: shim_env(&shim, "log.", SLOW_FSYNC, Some(&dir.join("slow-log-{id}"))),
    };
    let mut cluster = Cluster::start(spec).await?;
    let roles = Roles::of(servers, leader(&cluster, Duration::from_secs(60)).await?);
    let mut steps = Steps::new();
    let acked = hold_and_commit(&mut cluster, &roles, &shim, dir, &mut steps).await?;
    let held_before_ack = held(cluster.log(roles.rejoining));
    steps.note(format!(
        "create /w answered: {acked:?}; R held in its epoch write: {held_before_ack}"
    ));
    let (after_failover, finally) = fail_over(&mut cluster, &roles, dir, &mut steps).await?;
    Ok(Outcome {
        roles,
        acknowledged: acked.is_ok(),
        held_before_ack,
        after_failover,
        finally,
        steps: steps.lines,
    })
}

/// Steps 1 to 5: the create, R's ACK, R's restart into its held NEWLEADER handling, and
/// the create's answer (after the slow server's fsync).
async fn hold_and_commit(
    cluster: &mut Cluster,
    roles: &Roles,
    shim: &Path,
    dir: &Path,
    steps: &mut Steps,
) -> Result<Result<String, ClientError>, StaleAckError> {
    let l = roles.leader;
    let timeout = Duration::from_secs(40);
    let mut client = Client::connect(cluster.client_addr(l), 60_000, timeout).await?;
    for &c in &roles.cut {
        cluster.set_quorum_link(l, c, Mode::Lose);
    }
    std::fs::write(dir.join(format!("slow-log-{}", roles.slow)), b"")?;
    steps.note(format!(
        "{roles:?}: the leader's quorum links to C lose all; s{}'s log fsyncs held {SLOW_FSYNC:?}",
        roles.slow
    ));
    let create = tokio::spawn(async move { client.create("/w", b"stale-ack", 0).await });
    tokio::time::sleep(Duration::from_millis(800)).await;
    let r = roles.rejoining;
    cluster.kill(r);
    cluster.set_env(r, shim_env(shim, "currentEpoch", EPOCH_HOLD, None));
    cluster.restart(r)?;
    steps.note(format!(
        "R killed after its ACK, restarted with its epoch fsyncs held {EPOCH_HOLD:?}"
    ));
    Ok(create.await.map_err(std::io::Error::other)?)
}

/// Step 6: L, R and the slow server are killed, the links heal, R comes back without the
/// shim; `/w` is read from the survivors, then again once everyone is back.
async fn fail_over(
    cluster: &mut Cluster,
    roles: &Roles,
    dir: &Path,
    steps: &mut Steps,
) -> Result<(Option<bool>, Option<bool>), StaleAckError> {
    let (l, r) = (roles.leader, roles.rejoining);
    for id in [l, r, roles.slow] {
        cluster.kill(id);
    }
    std::fs::remove_file(dir.join(format!("slow-log-{}", roles.slow)))?;
    for &c in &roles.cut {
        cluster.set_quorum_link(l, c, Mode::Pass);
    }
    cluster.set_env(r, Vec::new());
    cluster.restart(r)?;
    steps.note("L, R and the slow server killed; links heal; R restarts without the shim".into());
    let survivors: Vec<usize> = std::iter::once(r)
        .chain(roles.cut.iter().copied())
        .collect();
    let after_failover = exists(cluster, &survivors).await;
    steps.note(format!(
        "R and C without the others: /w exists: {after_failover:?}"
    ));
    cluster.heal()?;
    cluster.wait_serving(Duration::from_secs(60)).await?;
    let finally = exists(cluster, &(1..=cluster.len()).collect::<Vec<_>>()).await;
    steps.note(format!("everyone back: /w exists: {finally:?}"));
    Ok((after_failover, finally))
}

/// The schedule's steps, each with the time since the first.
struct Steps {
    start: Instant,
    lines: Vec<String>,
}

impl Steps {
    fn new() -> Steps {
        Steps {
            start: Instant::now(),
            lines: Vec::new(),
        }
    }

    fn note(&mut self, what: String) {
        let at = self.start.elapsed().as_secs_f64();
        self.lines.push(format!("{at:>6.2} s  {what}"));
    }
}

/// Compiles the shim into `dir`.
fn build_shim(dir: &Path) -> Result<PathBuf, StaleAckError> {
    let src = dir.join("slow_fsync.c");
    let lib = dir.join("slow_fsync.so");
    std::fs::write(&src, SHIM)?;
    let built = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&lib)
        .arg(&src)
        .arg("-ldl")
        .output()
        .map_err(|e| StaleAckError::Shim(format!("cc: {e}")))?;
    if !built.status.success() {
        return Err(StaleAckError::Shim(
            String::from_utf8_lossy(&built.stderr).into(),
        ));
    }
    Ok(lib)
}

/// The environment that holds fsyncs of files whose path contains `matching`.
fn shim_env(
    shim: &Path,
    matching: &str,
    hold: Duration,
    trigger: Option<&Path>,
) -> Vec<(String, String)> {
    let mut env = vec![
        ("LD_PRELOAD".into(), shim.display().to_string()),
        ("SLOW_FSYNC_MATCH".into(), matching.into()),
        ("SLOW_FSYNC_MS".into(), hold.as_millis().to_string()),
    ];
    if let Some(t) = trigger {
        env.push(("SLOW_FSYNC_TRIGGER".into(), t.display().to_string()));
    }
    env
}

/// Whether the shim held an epoch-file fsync in this log.
fn held(log: &Path) -> bool {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .any(|l| l.contains("slow_fsync: ") && l.contains("currentEpoch") && l.ends_with(" ms"))
}

/// The server that says it leads, waiting up to `limit`.
async fn leader(cluster: &Cluster, limit: Duration) -> Result<usize, StaleAckError> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(l) = cluster.leader().await {
            return Ok(l);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(StaleAckError::NoLeader(limit))
}

/// Whether `/w` exists, read after a `sync` from the first of `servers` that answers within
/// a minute (`None`: none did).
async fn exists(cluster: &Cluster, servers: &[usize]) -> Option<bool> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        for &id in servers {
            let t = Duration::from_secs(5);
            let Ok(mut c) = Client::connect(cluster.client_addr(id), 10_000, t).await else {
                continue;
            };
            if c.sync("/").await.is_err() {
                continue;
            }
            match c.get_data("/w").await {
                Ok(_) => return Some(true),
                Err(ClientError::Server(NO_NODE)) => return Some(false),
                Err(_) => continue,
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    None
}
