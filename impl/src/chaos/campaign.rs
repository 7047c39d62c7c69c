//! One campaign: an ensemble, a workload running through a fault phase and a quiet healing
//! phase, its history written and checked.

use super::cluster::{Cluster, ClusterError, Spec};
use super::explain::{self, Shrunk};
use super::history::{self, Event, HistoryError, Operation, Outcome};
use super::lock;
use super::nemesis::{self, FaultRecord, Schedule};
use super::queue;
use super::register::Reads;
use super::watch;
use super::workload::lock::Lock;
use super::workload::queue::Queue;
use super::workload::register::Registers;
use super::workload::watch::Watched;
use super::workload::{self, Clients, Recorder, Workload};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum WorkloadKind {
    /// CAS registers: getData and setData with versions.
    Register,
    /// A queue of sequential creates.
    Queue,
    /// A lock: one ephemeral node.
    Lock,
    /// Watches, one-time and persistent, on keys that writers change.
    Watch,
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Campaign {
    /// The ensemble.
    pub spec: Spec,
    /// The faults.
    pub schedule: Schedule,
    /// The quiet phase after the faults, while the workload goes on.
    pub healing: Duration,
    /// The workload.
    pub workload: WorkloadKind,
    /// Concurrent clients.
    pub workers: usize,
    /// Registers (the register workload).
    pub keys: u32,
    /// The clients' session timeout.
    pub session_ms: i32,
    /// How long a request waits before its outcome is unknown.
    pub timeout: Duration,
    /// Which read guarantee is checked (the register workload).
    pub reads: Reads,
    /// The checker's search budget per key.
    pub budget: u64,
}

/// Why a campaign could not run to a verdict.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    /// The ensemble did not come up, or a fault could not be applied.
    #[error("cluster: {0}")]
    Cluster(#[from] ClusterError),
    /// The workload could not set up its znodes or read its final state.
    #[error("workload: {0}")]
    Workload(#[from] super::client::ClientError),
    /// The recorded history does not pair up (a bug of the recorder).
    #[error("history: {0}")]
    History(#[from] HistoryError),
}

impl From<std::io::Error> for CampaignError {
    fn from(e: std::io::Error) -> CampaignError {
        CampaignError::Cluster(e.into())
    }
}

/// What a campaign found.
#[derive(Debug)]
pub struct Report {
    /// Operations invoked.
    pub invoked: usize,
    /// Acknowledged.
    pub ok: usize,
    /// Certainly not done.
    pub failed: usize,
    /// Outcome unknown.
    pub unknown: usize,
    /// Acknowledged writes missing from the final state (the queue), if the workload can
    /// tell.
    pub lost: Option<usize>,
    /// The faults injected.
    pub faults: Vec<FaultRecord>,
    /// Servers that exited by themselves, with their status.
    pub exits: Vec<(usize, String)>,
    /// Exits of servers on a failing or full disk, as they should.
    pub disk_exits: usize,
    /// What the checks found that ZooKeeper's guarantees do not allow.
    pub anomalies: Vec<String>,
    /// What they found that ZooKeeper's guarantees allow (stale reads after a sync).
    pub allowed: Vec<String>,
    /// Each non-linearizable key shrunk and drawn.
    pub shrunk: Vec<Shrunk>,
    /// The history's file (JSON lines).
    pub history: PathBuf,
}

/// Runs the campaign; the history and the faults are written into the spec's directory.
pub async fn run(c: &Campaign) -> Result<Report, CampaignError> {
    let mut cluster = Cluster::start(c.spec.clone()).await?;
    let clients = Clients {
        servers: (1..=cluster.len())
            .map(|id| cluster.client_addr(id))
            .collect(),
        workers: c.workers,
        session_ms: c.session_ms,
        timeout: c.timeout,
        seed: c.schedule.seed,
    };
    let dir = c.spec.dir.clone();
    match c.workload {
        WorkloadKind::Register => {
            let registers = Arc::new(Registers::new(c.keys));
            registers.set_up(&clients).await?;
            let (events, run) = drive(registers, &mut cluster, &clients, c).await?;
            drop(cluster);
            let ops = history_of(&events, &dir)?;
            let v = explain::register_verdict(&ops, c.reads, &run.faults, &dir, c.budget)?;
            let mut report = run.report(&ops, None, strings(&v.anomalies), v.shrunk, &dir);
            report.allowed = strings(&v.allowed);
            Ok(report)
        }
        WorkloadKind::Queue => {
            let q = Arc::new(Queue::default());
            q.set_up(&clients).await?;
            let (events, run) = drive(q, &mut cluster, &clients, c).await?;
            let fin = Queue::final_state(&clients).await?;
            drop(cluster);
            let ops = history_of(&events, &dir)?;
            let found = queue::check(&ops, &fin);
            let lost = found
                .iter()
                .filter(|a| matches!(a, queue::QueueAnomaly::Lost { .. }))
                .count();
            let anomalies = strings(&found);
            Ok(run.report(&ops, Some(lost), anomalies, Vec::new(), &dir))
        }
        WorkloadKind::Lock => {
            let (events, run) = drive(Arc::new(Lock), &mut cluster, &clients, c).await?;
            drop(cluster);
            let ops = history_of(&events, &dir)?;
            let anomalies = strings(lock::check(&ops));
            Ok(run.report(&ops, None, anomalies, Vec::new(), &dir))
        }
        WorkloadKind::Watch => {
            // Writes stop this long before the end: a quiet end for every connection to
            // hear of the last changes.
            let run_for = c.schedule.faulty + c.healing;
            let writing = run_for.saturating_sub(Duration::from_secs(3));
            let watched = Arc::new(Watched::new(c.keys, Instant::now() + writing));
            watched.set_up(&clients).await?;
            let (events, run) = drive(watched.clone(), &mut cluster, &clients, c).await?;
            let end = watch::End {
                quiet_from_us: writing.as_micros() as u64,
                last: watched.last_versions(&clients).await?,
            };
            drop(cluster);
            let ops = history_of(&events, &dir)?;
            let anomalies = strings(watch::check_run(&ops, Some(&end)));
            Ok(run.report(&ops, None, anomalies, Vec::new(), &dir))
        }
    }
}

/// What happened to the ensemble while the workload ran.
struct Run {
    faults: Vec<FaultRecord>,
    exits: Vec<(usize, String)>,
    disk_exits: usize,
}

impl Run {
    fn report<Op, Ret>(
        self,
        ops: &[Operation<Op, Ret>],
        lost: Option<usize>,
        anomalies: Vec<String>,
        shrunk: Vec<Shrunk>,
        dir: &Path,
    ) -> Report {
        let count = |o: Outcome| {
            ops.iter()
                .filter(|op| op.completed.as_ref().map_or(Outcome::Unknown, |c| c.1) == o)
                .count()
        };
        Report {
            invoked: ops.len(),
            ok: count(Outcome::Ok),
            failed: count(Outcome::Fail),
            unknown: count(Outcome::Unknown),
            lost,
            faults: self.faults,
            exits: self.exits,
            disk_exits: self.disk_exits,
            anomalies,
            allowed: Vec::new(),
            shrunk,
            history: dir.join("history.jsonl"),
        }
    }
}

/// Runs the workload through the fault and healing phases; the history, and the faults
/// (also written to `faults.jsonl`).
async fn drive<W: Workload>(
    workload: Arc<W>,
    cluster: &mut Cluster,
    clients: &Clients,
    c: &Campaign,
) -> Result<(Vec<Event<W::Op, W::Ret>>, Run), CampaignError> {
    let start = Instant::now();
    let until = start + c.schedule.faulty + c.healing;
    let recorder = Arc::new(Recorder::new(start));
    let work = {
        let (clients, recorder) = (clients.clone(), recorder.clone());
        tokio::spawn(async move { workload::run(workload, &clients, until, recorder).await })
    };
    let faults = nemesis::run(cluster, &c.schedule, start).await;
    let _ = work.await;
    let exits = cluster.exited();
    let disk_exits = cluster.expected_exits();
    let faults = faults?;
    let lines: String = faults.iter().map(json_line).collect();
    std::fs::write(c.spec.dir.join("faults.jsonl"), lines)?;
    let events = Arc::try_unwrap(recorder)
        .map(Recorder::events)
        .unwrap_or_default();
    let run = Run {
        faults,
        exits,
        disk_exits,
    };
    Ok((events, run))
}

/// Writes the history beside the faults and pairs its operations.
fn history_of<Op: Clone + Serialize, Ret: Clone + Serialize>(
    events: &[Event<Op, Ret>],
    dir: &Path,
) -> Result<Vec<Operation<Op, Ret>>, CampaignError> {
    std::fs::write(dir.join("history.jsonl"), history::to_json_lines(events))?;
    Ok(history::operations(events)?)
}

fn strings<T: ToString>(found: impl IntoIterator<Item = T>) -> Vec<String> {
    found.into_iter().map(|a| a.to_string()).collect()
}

fn json_line(v: &impl Serialize) -> String {
    serde_json::to_string(v).unwrap_or_default() + "\n"
}
