//! The networked server (`zabd`): tokio tasks for the client port, the election and quorum
//! ports and each peer link, around one core thread that owns the sans-IO replica and its
//! disk (`core`). Startup fails with a clear error for a port in use or a data directory
//! that cannot be opened.

pub mod admin;
mod admission;
pub mod client;
mod client_port;
pub mod clients;
mod compaction;
pub mod containers;
pub mod core;
mod direct;
pub mod endpoints;
pub mod flow;
pub mod fourlw;
pub mod in_flight;
pub mod links;
pub mod metrics;
mod purge;
mod reads;
mod revalidate;
mod serve;
mod snapshots;
pub mod stats;
mod supervisor;
pub mod tls;
pub mod trace;
mod writes;

use crate::config::ServerConfig;
use crate::data_tree::TreeOptions;
use crate::database::ZkDatabase;
use crate::replica::{Config, Replica};
use crate::storage::{recover_durable, FileConfig, FileStorage, StorageError};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::net::TcpListener;

/// What the four-letter words and the core need to know about the configuration.
#[derive(Clone, Debug)]
pub struct Info {
    /// This server's id (`myid`).
    pub my_id: u64,
    /// The top byte of every session id this server creates: its id, which the configuration
    /// keeps within 1..=255 (`config::MAX_SERVER_ID`).
    pub session_prefix: u8,
    /// `tickTime` in milliseconds: the bucket width of the leader's session tracker.
    pub tick_time_ms: i32,
    /// `conf`'s answer.
    pub conf: String,
    /// Each server's host, from its `server.N` line (the admin command `leader`).
    pub hosts: BTreeMap<u64, String>,
    /// The container manager's settings (`znode.container.*`).
    pub containers: containers::ContainerSettings,
    /// The four-letter words `4lw.commands.whitelist` lets this server answer.
    pub four_letter_words: Vec<&'static str>,
    /// `dataDir` and `dataLogDir`, which `dirs` measures.
    pub dirs: (std::path::PathBuf, std::path::PathBuf),
    /// `autopurge.purgeInterval` (as a duration) and `autopurge.snapRetainCount`, when on.
    pub autopurge: Option<(std::time::Duration, usize)>,
    /// The peer handshake's side of this server: its id, its peers' ids, the secret.
    pub peer_auth: Arc<links::PeerAuth>,
    /// This start's identity, the first part of every message's (`trace::MsgId`): the time
    /// it started, in nanoseconds, which no earlier start of this server had.
    pub life: u64,
    /// `zab.reads`: whether data reads wait for a read index (`specs/reads.md`).
    pub reads: crate::config::Reads,
    /// The size and spacing of the chunks a SNAP streams in (`links::SNAP_CHUNK`, at once;
    /// other in tests).
    pub snap_pace: links::SnapPace,
    /// `zab.compactIdleMs`: how long without an applied transaction before the states are
    /// compacted (`compaction.rs`); `None`: never.
    pub compact_idle: Option<std::time::Duration>,
}

/// Why a server could not start, or had to stop. `zabd` exits with code 3 for `Bind` and
/// `Storage` (both at start), 4 for the rest.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A port could not be bound (in use, say).
    #[error("cannot listen on {addr} ({what}): {source}")]
    Bind {
        /// The `host:port` it tried.
        addr: String,
        /// Which port: the client, quorum or election port.
        what: &'static str,
        /// The bind error.
        source: std::io::Error,
    },
    /// The data directory could not be opened or recovered at start.
    #[error("data directory: {0}")]
    Storage(#[from] StorageError),
    /// The server was serving and had to stop: the core thread ended by itself (a disk write
    /// or fsync failed, or it panicked). Logged once by the supervisor; exit code 4.
    #[error("halted: {0}")]
    Halted(String),
    /// The replica cannot start from the recovered state (a snapshot that does not restore).
    #[error("cannot start from the data directory: {0}")]
    Start(String),
    /// The core thread could not be started.
    #[error("the core thread could not be started")]
    Core,
    /// The trace file (`zab.traceDir`) could not be opened.
    #[error("{0}")]
    Trace(#[from] trace::TraceError),
}

/// The state machine a server starts from when its disk holds no snapshot.
pub fn genesis(options: TreeOptions) -> ZkDatabase {
    ZkDatabase::new(options)
}

/// How this server's links restore a SNAP: as its core's database, configured alike.
fn restorer(options: TreeOptions) -> links::Restorer {
    let like = genesis(options);
    Arc::new(move |input| {
        let db = crate::replica::StateMachine::read_snapshot(&like, input)?;
        Ok(crate::replica::SnapshotData::of(&db))
    })
}

async fn bind(addr: String, what: &'static str) -> Result<TcpListener, ServerError> {
    TcpListener::bind(&addr)
        .await
        .map_err(|source| ServerError::Bind { addr, what, source })
}

fn replica_config(cfg: &ServerConfig) -> Config {
    let ticks = |n: u32| u64::from(n) * u64::from(cfg.tick_time_ms) / 100;
    let mut rc = Config::new(cfg.my_id, &cfg.voters(), &cfg.observers());
    rc.init_limit = ticks(cfg.init_limit).max(2);
    rc.sync_limit = ticks(cfg.sync_limit).max(2);
    rc.seed = cfg.my_id ^ (core::wall_ms() as u64);
    rc.snap_count = Some(cfg.snap_count);
    rc.bug = cfg.bug;
    if let Some(f) = cfg.bug {
        tracing::warn!(
            ?f,
            "a deliberately wrong behaviour is switched on (zab.bug)"
        );
    }
    rc
}

fn conf_text(cfg: &ServerConfig) -> String {
    let mut s = format!(
        "clientPort={}\nclientPortAddress={}\ndataDir={}\ndataLogDir={}\ntickTime={}\n\
         maxClientCnxns={}\nmaxCnxns={}\ninitLimit={}\nsyncLimit={}\nserverId={}\n",
        // ZooKeeper's -1 for a port it does not listen on.
        cfg.client_port.map_or(-1, i32::from),
        cfg.client_port_address,
        cfg.data_dir.display(),
        cfg.data_log_dir.display(),
        cfg.tick_time_ms,
        cfg.max_client_cnxns,
        cfg.max_cnxns,
        cfg.init_limit,
        cfg.sync_limit,
        cfg.my_id
    );
    for (id, p) in &cfg.servers {
        let role = if p.observer {
            "observer"
        } else {
            "participant"
        };
        s.push_str(&format!(
            "server.{id}={}:{}:{role}\n",
            p.quorum_addr(),
            p.election_port
        ));
    }
    s
}

/// Runs a server until `shutdown` completes, then stops it cleanly (the log synced, client
/// connections closed).
pub async fn run(
    cfg: ServerConfig,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), ServerError> {
    // No plain port unless one is configured (a TLS-only server opens none).
    let client_listener = match cfg.client_port {
        Some(port) => {
            Some(bind(format!("{}:{port}", cfg.client_port_address), "client port").await?)
        }
        None => None,
    };
    let secure = match cfg.secure_client_addr() {
        Some(addr) => {
            let acceptor =
                tls::acceptor(&cfg.client_tls).map_err(|e| ServerError::Start(e.to_string()))?;
            Some((
                bind(addr.to_string(), "secure client port").await?,
                acceptor,
            ))
        }
        None => None,
    };
    let metrics_listener = match cfg.metrics_addr() {
        Some(addr) => Some(bind(addr.to_string(), "metrics port").await?),
        None => None,
    };
    let admin_listener = match cfg.admin_addr() {
        Some(addr) => Some(bind(addr.to_string(), "admin port").await?),
        None => None,
    };
    let mut peers = HashMap::new();
    let mut peer_listeners = Vec::new();
    for (&id, p) in &cfg.servers {
        let ports = core::PeerPorts {
            quorum: p.quorum_addr(),
            election: p.election_addr(),
        };
        if id == cfg.my_id {
            let quorum = bind(ports.quorum.clone(), "quorum port").await?;
            peer_listeners.push((quorum, "quorum port"));
            let election = bind(ports.election.clone(), "election port").await?;
            peer_listeners.push((election, "election port"));
        } else {
            peers.insert(id, ports);
        }
    }
    let mut storage = FileStorage::open(FileConfig {
        snap_dir: cfg.data_dir.clone(),
        log_dir: cfg.data_log_dir.clone(),
        fsync_warning: std::time::Duration::from_millis(cfg.fsync_warning_ms),
        #[cfg(feature = "faults")]
        fsync_fails_after: cfg.fsync_fails_after,
        #[cfg(feature = "faults")]
        fsync_delay: cfg.fsync_delay_ms.map(std::time::Duration::from_millis),
        #[cfg(feature = "faults")]
        snapshot_delay: cfg.snapshot_delay_ms.map(std::time::Duration::from_millis),
        #[cfg(feature = "faults")]
        epoch_write_delay: cfg
            .epoch_write_delay_ms
            .map(std::time::Duration::from_millis),
        ..FileConfig::new(&cfg.data_dir)
    })?;
    let (durable, report) = recover_durable(&mut storage)?;
    tracing::info!(?report, "recovered");
    let config = replica_config(&cfg);
    let recorded = cfg.trace_dir.as_ref().map(|_| durable.clone());
    let life = trace::now_ns();
    let (replica, first) = Replica::new(config.clone(), durable, genesis(cfg.tree_options()))
        .map_err(|e| ServerError::Start(e.to_string()))?;
    let recorder = match (&cfg.trace_dir, recorded) {
        (Some(dir), Some(durable)) => {
            let mut r = trace::Recorder::open(trace::file_for(dir, cfg.my_id))?;
            r.record(&trace::Record::Start {
                at_ns: trace::now_ns(),
                life,
                tree: cfg.tree_options(),
                config,
                durable,
                effects: trace::effects(&first),
            });
            Some(r)
        }
        _ => None,
    };
    // `ServerConfig::load` has checked the id; a configuration built in code is checked here.
    let session_prefix = crate::config::check_server_id(cfg.my_id)
        .and_then(|id| u8::try_from(id).map_err(|e| e.to_string()))
        .map_err(ServerError::Start)?;
    let peer_tls = match cfg.quorum_tls.enabled {
        true => Some(
            tls::PeerTls::new(&cfg.quorum_tls).map_err(|e| ServerError::Start(e.to_string()))?,
        ),
        false => None,
    };
    let peer_auth = Arc::new(
        links::PeerAuth::new(
            cfg.my_id,
            cfg.servers.keys().copied(),
            cfg.quorum_secret.clone(),
        )
        .with_tls(peer_tls),
    );
    if !cfg.servers.is_empty() && !peer_auth.authenticates() {
        // A certificate (sslQuorum) proves membership of the CA's world, not a server id.
        tracing::warn!(
            tls = cfg.quorum_tls.enabled,
            "peers are not authenticated: any host that reaches the quorum and election \
             ports (with a certificate, under sslQuorum) may claim a configured server id \
             (set zab.quorum.secretFile)"
        );
    }
    let info = Info {
        peer_auth: Arc::clone(&peer_auth),
        life,
        reads: cfg.reads,
        snap_pace: links::SnapPace {
            chunk: cfg.snap_chunk_bytes.map_or(links::SNAP_CHUNK, |n| {
                n.clamp(1, links::snap_stream::MAX_CHUNK as u64) as usize
            }),
            delay: std::time::Duration::from_millis(cfg.snap_chunk_delay_ms.unwrap_or(0)),
        },
        compact_idle: (cfg.compact_idle_ms > 0)
            .then(|| std::time::Duration::from_millis(cfg.compact_idle_ms)),
        my_id: cfg.my_id,
        session_prefix,
        tick_time_ms: cfg.tick_time(),
        conf: conf_text(&cfg),
        hosts: cfg
            .servers
            .iter()
            .map(|(id, p)| (*id, p.host.clone()))
            .collect(),
        containers: containers::ContainerSettings {
            check_interval: std::time::Duration::from_millis(cfg.container_check_interval_ms),
            max_per_minute: cfg.container_max_per_minute,
            max_never_used_ms: cfg.container_max_never_used_ms,
        },
        four_letter_words: fourlw::FOUR_LETTER_WORDS
            .into_iter()
            .filter(|w| cfg.four_letter_word_enabled(w))
            .collect(),
        dirs: (cfg.data_dir.clone(), cfg.data_log_dir.clone()),
        autopurge: (cfg.autopurge_purge_interval > 0).then(|| {
            let hours = u64::from(cfg.autopurge_purge_interval);
            // ZooKeeper keeps at least 3 snapshots whatever the setting says.
            let keep = cfg.autopurge_snap_retain_count.max(3) as usize;
            (std::time::Duration::from_secs(hours * 3600), keep)
        }),
    };
    let timeouts = cfg.session_timeouts();
    let auth_limits = clients::AuthLimits {
        max_ids: cfg.auth_max_ids,
        max_id_bytes: cfg.auth_max_id_bytes,
    };
    let mut clients = clients::Clients::new(session_prefix, timeouts, auth_limits);
    clients.super_digest = cfg.super_digest.clone();
    clients.direct_writes = cfg.client_direct_writes;
    let (tx, rx) = std::sync::mpsc::channel();
    let rt = tokio::runtime::Handle::current();
    let core = core::Core::new(
        replica,
        first,
        storage,
        peers,
        tx.clone(),
        rt,
        clients,
        info,
        recorder,
    )?;
    let core_thread = supervisor::spawn_core(core, rx)?;
    let mut tasks = Vec::new();
    for (l, what) in peer_listeners {
        let (events, auth) = (tx.clone(), Arc::clone(&peer_auth));
        let restorer = restorer(cfg.tree_options());
        let mut generation = 0u64;
        tasks.push(tokio::spawn(admission::accept_loop(
            l,
            what,
            move |stream, _| {
                generation += 1;
                let (events, auth) = (events.clone(), Arc::clone(&auth));
                links::inbound(stream, generation, events, auth, Arc::clone(&restorer))
            },
        )));
    }
    if let Some(l) = metrics_listener {
        let router = endpoints::metrics(tx.clone());
        tasks.push(tokio::spawn(endpoints::serve(l, "metrics port", router)));
    }
    if let Some(l) = admin_listener {
        let fixed = Arc::new(admin::Static::new(&cfg, &timeouts));
        let allowed = admin::COMMANDS
            .iter()
            .filter(|c| cfg.four_letter_word_enabled(c.word))
            .map(|c| c.name)
            .collect();
        let router = endpoints::admin(tx.clone(), &cfg.admin.command_url, fixed, allowed);
        tasks.push(tokio::spawn(endpoints::serve(l, "admin port", router)));
    }
    let caps = admission::ClientCaps::new(cfg.max_client_cnxns, cfg.max_cnxns);
    let flow = flow::Flow::new(cfg.flow_limits());
    let sessionless = std::time::Duration::from_millis(cfg.sessionless_cnxn_timeout_ms);
    let ports =
        client_port::ClientPorts::new(tx.clone(), cfg.jute_max_buffer, sessionless, caps, flow);
    if let Some((listener, acceptor)) = secure {
        let serving = ports
            .clone()
            .serve(listener, "secure client port", Some(acceptor));
        tasks.push(tokio::spawn(serving));
    }
    if let Some(listener) = client_listener {
        tasks.push(tokio::spawn(ports.serve(listener, "client port", None)));
    }
    let secure_port = cfg.client_tls.port;
    tracing::info!(
        id = cfg.my_id,
        port = cfg.client_port,
        secure_port,
        "serving"
    );
    supervisor::supervise(core_thread, shutdown, tx, tasks).await
}
