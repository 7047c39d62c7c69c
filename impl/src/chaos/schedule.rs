//! Scripted fault schedules on real servers, each aimed at one interleaving that random
//! campaigns would rarely hit: the model's `stale-ack` counterexample (`stale_ack`), a
//! follower that ACKs before its write is durable (`ack_before_persist`), one that ACKs
//! NEWLEADER before its synced transactions are (`newleader_ack`, ZOOKEEPER-4646), and one
//! that writes its new epoch before them (`epoch_before_log`, ZOOKEEPER-4643, and
//! `diff_sync_race`, ZOOKEEPER-4785, in which only the leader dies). All hold
//! chosen disk writes with the `slow_fsync` LD_PRELOAD shim (`schedule/slow_fsync.c`), which
//! works on zabd and on a ZooKeeper JVM alike, and all end the same way: the servers that
//! could hold the write are killed, the rest elect a leader, and `/w` is read.

pub mod ack_before_persist;
pub mod diff_sync_race;
pub mod epoch_before_log;
pub mod newleader_ack;
pub mod stale_ack;
pub mod sync_outlives;

use super::client::{Client, ClientError};
use super::cluster::{Cluster, ClusterError, Spec, Target};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The shim's source, compiled into the run's directory with the system's C compiler.
const SHIM: &str = include_str!("schedule/slow_fsync.c");

/// ZooKeeper's NoNode error code.
const NO_NODE: i32 = -101;

/// What a schedule did and found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Who did what (the schedule's roles, as `Debug` prints them).
    pub roles: String,
    /// The create of `/w` was acknowledged to the client.
    pub acknowledged: bool,
    /// A client read `/w` (after a `sync`) before the failover: it was committed.
    pub observed: bool,
    /// The schedule reached the state it aims at (its log says which).
    pub reached: bool,
    /// Whether `/w` exists once the survivors elected a leader (`None`: not read).
    pub after_failover: Option<bool>,
    /// Whether `/w` exists once every server is back.
    pub finally: Option<bool>,
    /// What happened, in order, with the time since the schedule began.
    pub steps: Vec<String>,
}

impl Outcome {
    /// An acknowledged (or read) create that the ensemble no longer has.
    pub fn lost(&self) -> bool {
        (self.acknowledged || self.observed) && self.finally == Some(false)
    }
}

/// What a schedule's run comes to, printed after its steps by `zab-chaos`.
pub trait Verdict {
    /// What happened, in order.
    fn steps(&self) -> &[String];
    /// `Ok`: the run broke nothing, with what it saw; `Err`: what it broke.
    fn verdict(&self) -> Result<String, String>;
}

impl Verdict for Outcome {
    fn steps(&self) -> &[String] {
        &self.steps
    }

    fn verdict(&self) -> Result<String, String> {
        match (self.lost(), self.acknowledged) {
            (true, true) => Err("an acknowledged create was lost".into()),
            (true, false) => Err("a create a client had read was lost".into()),
            (false, _) => Ok(format!(
                "nothing acknowledged was lost (acknowledged: {}, read: {}, reached: {}, /w \
                 after failover: {:?}, at the end: {:?})",
                self.acknowledged, self.observed, self.reached, self.after_failover, self.finally
            )),
        }
    }
}

/// Why a schedule could not run to a verdict.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
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

/// What the shim does to one server's files.
pub struct Hold<'a> {
    /// A substring of the paths it acts on.
    pub matching: &'a str,
    /// How long each of their fsyncs waits.
    pub wait: Duration,
    /// It acts only while this file exists (`{id}` becomes the server's id).
    pub trigger: Option<&'a Path>,
    /// Writes stay in the process until the file's next fsync: a kill loses them.
    pub volatile: bool,
}

/// Starts `servers` of `target` in `dir` (tickTime 1 s, initLimit and syncLimit 15 ticks,
/// then `extra` lines), each under the shim: its log's fsyncs are held `wait` (and its
/// writes volatile, if asked) while its `trigger` file exists. Returns the shim too.
pub async fn start(
    target: Target,
    servers: usize,
    extra: Vec<String>,
    (wait, volatile): (Duration, bool),
    dir: &Path,
) -> Result<(Cluster, PathBuf), ScheduleError> {
    std::fs::create_dir_all(dir)?;
    let shim = build_shim(dir)?;
    let each = dir.join("slow-log-{id}");
    let hold = Hold {
        matching: "/log.",
        wait,
        trigger: Some(&each),
        volatile,
    };
    let mut lines = vec!["initLimit=15".to_string(), "syncLimit=15".to_string()];
    lines.extend(extra);
    let spec = Spec {
        target,
        servers,
        tick_ms: 1000,
        dir: dir.to_path_buf(),
        extra: lines,
        env: shim_env(&shim, &hold),
        disk_bytes: None,
    };
    Ok((Cluster::start(spec).await?, shim))
}

/// Starts three servers as `start` does, with volatile writes, and waits for a leader: the
/// cluster, the leader and the other two servers.
pub async fn start_three(
    target: Target,
    extra: Vec<String>,
    wait: Duration,
    dir: &Path,
) -> Result<(Cluster, [usize; 3]), ScheduleError> {
    let (cluster, _) = start(target, 3, extra, (wait, true), dir).await?;
    let l = leader(&cluster, Duration::from_secs(60)).await?;
    let others: Vec<usize> = (1..=3).filter(|&id| id != l).collect();
    Ok((cluster, [l, others[0], others[1]]))
}

/// `start_three`, then the schedule's clock and a client of the leader (session timeout
/// 60 s, requests 10 s): the opening of the schedules that create `/w` at once.
pub async fn start_with_client(
    target: Target,
    wait: Duration,
    dir: &Path,
) -> Result<(Cluster, [usize; 3], Steps, Client), ScheduleError> {
    let (cluster, roles) = start_three(target, Vec::new(), wait, dir).await?;
    let steps = Steps::new();
    let addr = cluster.client_addr(roles[0]);
    let client = Client::connect(addr, 60_000, Duration::from_secs(10)).await?;
    Ok((cluster, roles, steps, client))
}

/// The file whose existence turns the shim on for server `id`'s log.
pub fn trigger(dir: &Path, id: usize) -> PathBuf {
    dir.join(format!("slow-log-{id}"))
}

/// Compiles the shim into `dir`.
pub fn build_shim(dir: &Path) -> Result<PathBuf, ScheduleError> {
    let src = dir.join("slow_fsync.c");
    let lib = dir.join("slow_fsync.so");
    std::fs::write(&src, SHIM)?;
    let built = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&lib)
        .arg(&src)
        .args(["-ldl", "-lpthread"])
        .output()
        .map_err(|e| ScheduleError::Shim(format!("cc: {e}")))?;
    if !built.status.success() {
        return Err(ScheduleError::Shim(
            String::from_utf8_lossy(&built.stderr).into(),
        ));
    }
    Ok(lib)
}

/// The environment a server starts with to run under the shim.
pub fn shim_env(shim: &Path, hold: &Hold) -> Vec<(String, String)> {
    let mut env = vec![
        ("LD_PRELOAD".into(), shim.display().to_string()),
        ("SLOW_FSYNC_MATCH".into(), hold.matching.into()),
        ("SLOW_FSYNC_MS".into(), hold.wait.as_millis().to_string()),
    ];
    if let Some(t) = hold.trigger {
        env.push(("SLOW_FSYNC_TRIGGER".into(), t.display().to_string()));
    }
    if hold.volatile {
        env.push(("SLOW_FSYNC_VOLATILE".into(), "1".into()));
    }
    env
}

/// Whether the shim held an fsync of a file whose path contains `matching`, by this log.
pub fn held(log: &Path, matching: &str) -> bool {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .any(|l| l.starts_with("slow_fsync: ") && l.contains(matching) && l.ends_with(" ms"))
}

/// How long a schedule waits for the shim to hold the fsync it aims at: a sync after an
/// election, well within ZooKeeper's initLimit of 15 s plus the election.
pub const HOLD_WAIT: Duration = Duration::from_secs(20);

/// Waits up to `limit` for the shim to hold an fsync of server `id`'s log.
pub async fn wait_held(cluster: &Cluster, id: usize, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if held(cluster.log(id), "/log.") {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// A schedule's steps, each with the time since the first.
pub struct Steps {
    start: Instant,
    lines: Vec<String>,
}

impl Steps {
    /// Steps counted from now.
    pub fn new() -> Steps {
        Steps {
            start: Instant::now(),
            lines: Vec::new(),
        }
    }

    /// Notes one step.
    pub fn note(&mut self, what: String) {
        let at = self.start.elapsed().as_secs_f64();
        self.lines.push(format!("{at:>6.2} s  {what}"));
    }

    /// The steps noted.
    pub fn into_lines(self) -> Vec<String> {
        self.lines
    }
}

impl Default for Steps {
    fn default() -> Steps {
        Steps::new()
    }
}

/// The server that says it leads, waiting up to `limit`.
pub async fn leader(cluster: &Cluster, limit: Duration) -> Result<usize, ScheduleError> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(l) = cluster.leader().await {
            return Ok(l);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(ScheduleError::NoLeader(limit))
}

/// Whether `/w` exists, read after a `sync` from the first of `servers` that answers within
/// `limit` (`None`: none did).
pub async fn exists(cluster: &Cluster, servers: &[usize], limit: Duration) -> Option<bool> {
    exists_path(cluster, servers, "/w", limit).await
}

/// Whether `path` exists, read after a `sync` from the first of `servers` that answers
/// within `limit` (`None`: none did).
pub async fn exists_path(
    cluster: &Cluster,
    servers: &[usize],
    path: &str,
    limit: Duration,
) -> Option<bool> {
    exists_as(cluster, servers, path, limit, None).await
}

/// `exists_path` by a new session each try, or by the session of `credentials` resumed
/// (which needs no quorum: a new session is a transaction).
pub async fn exists_as(
    cluster: &Cluster,
    servers: &[usize],
    path: &str,
    limit: Duration,
    credentials: Option<&(i64, Vec<u8>)>,
) -> Option<bool> {
    let start = Instant::now();
    while start.elapsed() < limit {
        for &id in servers {
            let (addr, t) = (cluster.client_addr(id), Duration::from_secs(5));
            let attached = match credentials {
                None => Client::connect(addr, 10_000, t).await,
                Some(c) => Client::resume(addr, 60_000, t, c.clone()).await,
            };
            let Ok(mut c) = attached else {
                continue;
            };
            if c.sync("/").await.is_err() {
                continue;
            }
            match c.get_data(path).await {
                Ok(_) => return Some(true),
                Err(ClientError::Server(NO_NODE)) => return Some(false),
                Err(_) => continue,
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    None
}

/// The last step of every schedule: `down` are killed, `trigger` removed, every link heals,
/// `restart` comes back (without the shim); `/w` is read from the servers still up, then
/// again once every server is back.
pub async fn fail_over(
    cluster: &mut Cluster,
    down: &[usize],
    restart: usize,
    trigger: &Path,
    steps: &mut Steps,
) -> Result<(Option<bool>, Option<bool>), ScheduleError> {
    for &id in down {
        cluster.kill(id);
    }
    let _ = std::fs::remove_file(trigger);
    // One group: every link passes.
    cluster.partition(&[(1..=cluster.len()).collect()]);
    cluster.set_env(restart, Vec::new());
    if matches!(cluster.target(), Target::ZooKeeper) {
        remove_empty_logs(cluster, restart, steps)?;
    }
    cluster.restart(restart)?;
    steps.note(format!(
        "{down:?} killed; links heal; s{restart} restarts without the shim"
    ));
    let survivors: Vec<usize> = (1..=cluster.len())
        .filter(|id| !down.contains(id) || *id == restart)
        .collect();
    let after_failover = exists(cluster, &survivors, Duration::from_secs(60)).await;
    steps.note(format!(
        "{survivors:?} without the others: /w exists: {after_failover:?}"
    ));
    cluster.heal()?;
    cluster.wait_serving(Duration::from_secs(60)).await?;
    let everyone: Vec<usize> = (1..=cluster.len()).collect();
    let finally = exists(cluster, &everyone, Duration::from_secs(60)).await;
    steps.note(format!("everyone back: /w exists: {finally:?}"));
    Ok((after_failover, finally))
}

/// Removes server `id`'s empty log files: a log created just before a crash, whose header
/// the cache lost. ZooKeeper 3.8.0 cannot start on one (ZOOKEEPER-2332, fixed upstream in
/// 2024 by deleting it at start-up, which this does for it).
fn remove_empty_logs(cluster: &Cluster, id: usize, steps: &mut Steps) -> std::io::Result<()> {
    let dir = cluster.data_dir(id).join("version-2");
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("log.") && std::fs::metadata(&path)?.len() == 0 {
            std::fs::remove_file(&path)?;
            steps.note(format!("s{id}'s empty {name} removed (ZOOKEEPER-2332)"));
        }
    }
    Ok(())
}
