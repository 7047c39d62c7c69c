//! The workloads' clients and the history they record. Each worker runs one client at a
//! time; a client whose request ends unknown is dropped and the worker goes on as a new
//! process, on the next server, so each process of the history has at most one unknown
//! operation, its last.

use super::client::{Client, ClientError};
use super::history::{Event, Outcome, What};
use super::nemesis::Rng;
use super::register::{RegisterOp, RegisterRet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// The register workload's history.
pub type RegisterRecorder = Recorder<RegisterOp, RegisterRet>;

fn key_path(key: u32) -> String {
    format!("/chaos-register-{key}")
}

/// Creates each key's znode with value 0 (version 0), through any server that answers.
pub async fn set_up_register(clients: &Clients, keys: u32) -> Result<(), ClientError> {
    let mut last = ClientError::Lost("no server".into());
    for attempt in 0..20 {
        let addr = clients.servers[attempt % clients.servers.len()];
        match create_keys(addr, clients, keys).await {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(last)
}

async fn create_keys(addr: SocketAddr, clients: &Clients, keys: u32) -> Result<(), ClientError> {
    let mut c = Client::connect(addr, clients.session_ms, clients.timeout).await?;
    for key in 0..keys {
        match c.create(&key_path(key), b"0", 0).await {
            Ok(_) | Err(ClientError::Server(-110)) => {}
            Err(e) => return Err(e),
        }
    }
    c.close().await;
    Ok(())
}

/// Runs `clients.workers` workers on `keys` registers until `until`.
pub async fn run_register(
    clients: &Clients,
    keys: u32,
    until: Instant,
    recorder: Arc<RegisterRecorder>,
) {
    let values = Arc::new(AtomicU32::new(1));
    let mut tasks = Vec::new();
    for w in 0..clients.workers {
        let mut rng = Rng::new(clients.seed ^ (w as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
        let (clients, recorder, values) = (clients.clone(), recorder.clone(), values.clone());
        tasks.push(tokio::spawn(async move {
            let mut server = w % clients.servers.len();
            while Instant::now() < until {
                let addr = clients.servers[server];
                server = (server + 1) % clients.servers.len();
                let Ok(client) = Client::connect(addr, clients.session_ms, clients.timeout).await
                else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                let process = recorder.process();
                let mut worker = RegisterWorker {
                    client,
                    process,
                    rng: &mut rng,
                    keys,
                    versions: vec![0; keys as usize],
                };
                worker.run(&recorder, &values, until).await;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

/// One process of the register workload.
struct RegisterWorker<'a> {
    client: Client,
    process: u32,
    rng: &'a mut Rng,
    keys: u32,
    /// The last version this process saw of each key, for its compare-and-sets.
    versions: Vec<i32>,
}

impl RegisterWorker<'_> {
    /// Runs operations until one ends unknown or the time is up.
    async fn run(&mut self, recorder: &RegisterRecorder, values: &AtomicU32, until: Instant) {
        while Instant::now() < until {
            let key = self.rng.below(u64::from(self.keys)) as u32;
            let op = match self.rng.below(10) {
                0..=4 => RegisterOp::Read { key },
                5..=6 => RegisterOp::Write {
                    key,
                    value: values.fetch_add(1, Ordering::Relaxed),
                },
                _ => RegisterOp::Cas {
                    key,
                    version: self.versions[key as usize],
                    value: values.fetch_add(1, Ordering::Relaxed),
                },
            };
            recorder.invoke(self.process, op);
            let (outcome, ret) = self.execute(op).await;
            recorder.complete(self.process, outcome, ret);
            if outcome == Outcome::Unknown {
                return;
            }
        }
    }

    async fn execute(&mut self, op: RegisterOp) -> (Outcome, Option<RegisterRet>) {
        let path = key_path(op.key());
        let answer = match op {
            RegisterOp::Read { .. } => self.client.get_data(&path).await.map(|(data, stat)| {
                let value = std::str::from_utf8(&data).ok().and_then(|s| s.parse().ok());
                RegisterRet::Read {
                    value: value.unwrap_or(u32::MAX),
                    version: stat.version,
                }
            }),
            RegisterOp::Write { value, .. } => self
                .client
                .set_data(&path, value.to_string().as_bytes(), -1)
                .await
                .map(|s| RegisterRet::Written { version: s.version }),
            RegisterOp::Cas { version, value, .. } => self
                .client
                .set_data(&path, value.to_string().as_bytes(), version)
                .await
                .map(|s| RegisterRet::Written { version: s.version }),
        };
        match answer {
            Ok(ret) => {
                let version = match ret {
                    RegisterRet::Read { version, .. } | RegisterRet::Written { version } => version,
                };
                self.versions[op.key() as usize] = version;
                (Outcome::Ok, Some(ret))
            }
            Err(e) if e.is_definite() => (Outcome::Fail, None),
            Err(_) => (Outcome::Unknown, None),
        }
    }
}
