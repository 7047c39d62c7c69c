//! One campaign: an ensemble, a workload running through a fault phase and a quiet healing
//! phase, its history written and checked.

use super::cluster::{Cluster, ClusterError, Spec};
use super::history::{self, HistoryError, Outcome};
use super::nemesis::{self, FaultRecord, Schedule};
use super::register::{self, Anomaly, Reads};
use super::workload::{self, Clients, RegisterRecorder};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to run.
#[derive(Clone, Debug)]
pub struct Campaign {
    /// The ensemble.
    pub spec: Spec,
    /// The faults.
    pub schedule: Schedule,
    /// The quiet phase after the faults, while the workload goes on.
    pub healing: Duration,
    /// Concurrent clients.
    pub workers: usize,
    /// Registers.
    pub keys: u32,
    /// The clients' session timeout.
    pub session_ms: i32,
    /// How long a request waits before its outcome is unknown.
    pub timeout: Duration,
    /// Which read guarantee is checked.
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
    /// The workload could not set up its znodes.
    #[error("set-up: {0}")]
    SetUp(#[from] super::client::ClientError),
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
    /// The faults injected.
    pub faults: Vec<FaultRecord>,
    /// Servers that exited by themselves, with their status.
    pub exits: Vec<(usize, String)>,
    /// What the checks found.
    pub anomalies: Vec<Anomaly>,
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
    workload::set_up_register(&clients, c.keys).await?;
    let start = Instant::now();
    let until = start + c.schedule.faulty + c.healing;
    let recorder = Arc::new(RegisterRecorder::new(start));
    let work = {
        let (clients, recorder, keys) = (clients.clone(), recorder.clone(), c.keys);
        tokio::spawn(async move { workload::run_register(&clients, keys, until, recorder).await })
    };
    let faults = nemesis::run(&mut cluster, &c.schedule, start).await;
    let _ = work.await;
    let exits = cluster
        .exited()
        .into_iter()
        .map(|(id, status)| (id, status.to_string()))
        .collect();
    drop(cluster);
    let faults = faults?;
    let events = Arc::try_unwrap(recorder)
        .map(RegisterRecorder::events)
        .unwrap_or_default();
    let dir = &c.spec.dir;
    let path = dir.join("history.jsonl");
    std::fs::write(&path, history::to_json_lines(&events))?;
    let fault_lines: String = faults
        .iter()
        .map(|f| serde_json::to_string(f).unwrap_or_default() + "\n")
        .collect();
    std::fs::write(dir.join("faults.jsonl"), fault_lines)?;
    let ops = history::operations(&events)?;
    let count = |o: Outcome| {
        ops.iter()
            .filter(|op| op.completed.map_or(Outcome::Unknown, |c| c.1) == o)
            .count()
    };
    Ok(Report {
        invoked: ops.len(),
        ok: count(Outcome::Ok),
        failed: count(Outcome::Fail),
        unknown: count(Outcome::Unknown),
        faults,
        exits,
        anomalies: register::check(&ops, c.reads, c.budget),
        history: path,
    })
}
