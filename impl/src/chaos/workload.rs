//! The workloads' clients and the history they record. Each worker runs one client at a
//! time; a client whose request ends unknown is dropped and the worker goes on as a new
//! process, on the next server, so each process of the history has at most one unknown
//! operation, its last.

use super::client::{Client, ClientError};
use super::history::{Event, Outcome, What};
use super::nemesis::Rng;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub mod lock;
pub mod queue;
pub mod register;
pub mod watch;

/// The history being written: events in time order (the time is taken under the lock).
pub struct Recorder<Op, Ret> {
    start: Instant,
    events: Mutex<Vec<Event<Op, Ret>>>,
    processes: AtomicU32,
}

impl<Op, Ret> Recorder<Op, Ret> {
    /// An empty history whose clock starts at `start`.
    pub fn new(start: Instant) -> Recorder<Op, Ret> {
        Recorder {
            start,
            events: Mutex::new(Vec::new()),
            processes: AtomicU32::new(0),
        }
    }

    /// A process number not used before.
    pub fn process(&self) -> u32 {
        self.processes.fetch_add(1, Ordering::Relaxed)
    }

    fn push(&self, process: u32, what: What<Op, Ret>) {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        let at_us = self.start.elapsed().as_micros() as u64;
        events.push(Event {
            at_us,
            process,
            what,
        });
    }

    /// `process` asks for `op`.
    pub fn invoke(&self, process: u32, op: Op) {
        self.push(process, What::Invoke(op));
    }

    /// Its operation ended.
    pub fn complete(&self, process: u32, outcome: Outcome, ret: Option<Ret>) {
        self.push(process, What::Complete(outcome, ret));
    }

    /// The history.
    pub fn events(self) -> Vec<Event<Op, Ret>> {
        self.events.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

/// How the workload's clients behave.
#[derive(Clone, Debug)]
pub struct Clients {
    /// The servers' client addresses (their proxies).
    pub servers: Vec<SocketAddr>,
    /// Concurrent workers.
    pub workers: usize,
    /// The session timeout asked for.
    pub session_ms: i32,
    /// How long a request waits for its answer before its outcome is unknown.
    pub timeout: Duration,
    /// The seed of every choice.
    pub seed: u64,
}

impl Clients {
    /// A session on some server, trying each in turn a few times.
    pub async fn any_session(&self) -> Result<Client, ClientError> {
        let mut last = ClientError::Lost("no server".into());
        for attempt in 0..20 {
            let addr = self.servers[attempt % self.servers.len()];
            match Client::connect(addr, self.session_ms, self.timeout).await {
                Ok(c) => return Ok(c),
                Err(e) => last = e,
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Err(last)
    }
}

/// Creates each of `paths` (persistent) with `data`, unless it is there already: a
/// workload's znodes, before the run.
pub async fn create_all(
    clients: &Clients,
    paths: impl IntoIterator<Item = String>,
    data: &[u8],
) -> Result<(), ClientError> {
    let mut c = clients.any_session().await?;
    for path in paths {
        match c.create(&path, data, 0).await {
            Ok(_) | Err(ClientError::Server(-110)) => {}
            Err(e) => return Err(e),
        }
    }
    c.close().await;
    Ok(())
}

/// A workload: what its workers ask and how each request is made.
pub trait Workload: Send + Sync + 'static {
    /// An operation.
    type Op: Clone + Send + 'static;
    /// What it returns.
    type Ret: Clone + Send + 'static;
    /// What a worker remembers between its operations (across its processes).
    type Memory: Default + Send;
    /// A worker starts a new process (a new session): what it remembers of the old one's
    /// session goes.
    fn new_process(&self, _memory: &mut Self::Memory) {}
    /// The next operation of a worker.
    fn next(&self, rng: &mut Rng, memory: &Self::Memory) -> Self::Op;
    /// Makes the request.
    fn execute(
        &self,
        client: &mut Client,
        op: &Self::Op,
        memory: &mut Self::Memory,
    ) -> impl Future<Output = Result<Self::Ret, ClientError>> + Send;
}

/// Runs `clients.workers` workers of `workload` until `until`.
pub async fn run<W: Workload>(
    workload: Arc<W>,
    clients: &Clients,
    until: Instant,
    recorder: Arc<Recorder<W::Op, W::Ret>>,
) {
    let mut tasks = Vec::new();
    for w in 0..clients.workers {
        let rng = Rng::new(clients.seed ^ (w as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
        let (workload, clients, recorder) = (workload.clone(), clients.clone(), recorder.clone());
        tasks.push(tokio::spawn(async move {
            worker(&*workload, &clients, w, rng, until, &recorder).await
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

/// One worker: a process per session, each running operations until one ends unknown.
async fn worker<W: Workload>(
    workload: &W,
    clients: &Clients,
    w: usize,
    mut rng: Rng,
    until: Instant,
    recorder: &Recorder<W::Op, W::Ret>,
) {
    let mut memory = W::Memory::default();
    let mut server = w % clients.servers.len();
    while Instant::now() < until {
        let addr = clients.servers[server];
        server = (server + 1) % clients.servers.len();
        let Ok(mut client) = Client::connect(addr, clients.session_ms, clients.timeout).await
        else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let process = recorder.process();
        workload.new_process(&mut memory);
        while Instant::now() < until {
            let op = workload.next(&mut rng, &memory);
            recorder.invoke(process, op.clone());
            let (outcome, ret) = match workload.execute(&mut client, &op, &mut memory).await {
                Ok(ret) => (Outcome::Ok, Some(ret)),
                Err(e) if e.is_definite() => (Outcome::Fail, None),
                Err(_) => (Outcome::Unknown, None),
            };
            recorder.complete(process, outcome, ret);
            if outcome == Outcome::Unknown {
                break;
            }
        }
    }
}
