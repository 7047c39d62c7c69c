//! A zoo.cfg-compatible configuration: `key=value` lines, `#` comments, `server.N` lines for
//! the ensemble, and the server's own id in `dataDir/myid`. Unknown keys are kept aside and
//! reported (ZooKeeper passes them on as system properties), never fatal; a malformed value
//! of a known key is an error naming its line.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::server::links::QuorumSecret;

mod checks;
pub mod endpoints;
mod error;
mod parse;
mod peers;
pub mod tls;
pub use endpoints::{AdminEndpoint, MetricsEndpoint};
pub use error::ConfigError;
pub use peers::{host_port, PeerAddr};

/// The highest server id. A session id carries its server's id in its top byte
/// (`session::initial_session_id`), so ids 1 to 255 are all there are: with 256 or more,
/// servers N and N+256 would hand out the same session ids. ZooKeeper documents the same
/// range for `myid` without enforcing it; zabd refuses a configuration outside it.
pub const MAX_SERVER_ID: u64 = 255;

/// The largest `jute.maxbuffer` zabd takes: half of what a log record carries
/// (`database::MAX_TXN_BYTES`), the other half room for a transaction's path, ACL and the
/// caller's identities. A larger value is refused at start (exit 2), never accepted and then
/// not honoured.
pub const MAX_JUTE_BUFFER: usize = crate::database::MAX_TXN_BYTES / 2;

/// The fewest transactions between snapshots: ZooKeeper resets a smaller `snapCount` to it
/// (`ZooKeeperServer.getSnapCount`), since it snapshots after half of it plus a random draw
/// below half; 0 would mean no snapshot ever and a log held in memory for ever.
pub const MIN_SNAP_COUNT: u64 = 2;

/// ZooKeeper's default for `zookeeper.nio.sessionlessCnxnTimeout`, in milliseconds.
pub const SESSIONLESS_CNXN_TIMEOUT_MS: u64 = 10_000;

/// `id` if it is a usable server id (1 to `MAX_SERVER_ID`), else why not.
pub fn check_server_id(id: u64) -> Result<u64, String> {
    if (1..=MAX_SERVER_ID).contains(&id) {
        Ok(id)
    } else {
        Err(format!(
            "server id {id} is outside 1..={MAX_SERVER_ID} (a session id carries its \
             server's id in one byte)"
        ))
    }
}

/// One server's configuration, as read from its zoo.cfg and `dataDir/myid`.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerConfig {
    /// `tickTime`, in milliseconds (default 2000): the unit of `initLimit`, `syncLimit` and
    /// the default session timeout bounds, and the session expiry bucket width.
    pub tick_time_ms: u32,
    /// `initLimit`, in ticks of `tickTime` (default 10): how long a leader and a learner may
    /// go unheard while the learner connects and syncs (discovery and synchronization).
    pub init_limit: u32,
    /// `syncLimit`, in ticks of `tickTime` (default 5): how long a leader and a learner in
    /// broadcast may go unheard before they give up on each other.
    pub sync_limit: u32,
    /// `dataDir` (required): where snapshots, the epoch files and `myid` live.
    pub data_dir: PathBuf,
    /// `dataLogDir`: where the transaction log lives; `dataDir` when absent.
    pub data_log_dir: PathBuf,
    /// `clientPort`, or the client address on this server's `server.N` line: the plain port
    /// clients and four-letter words connect to. `None` (ZooKeeper has no default): no
    /// plain port, clients connect to `secureClientPort` only.
    pub client_port: Option<u16>,
    /// `clientPortAddress` (default `0.0.0.0`, every interface), or the host on this server's
    /// line: where the client port binds.
    pub client_port_address: IpAddr,
    /// `maxClientCnxns` (default 60): connections one client IP address may hold to this
    /// server; 0 means no limit.
    pub max_client_cnxns: u32,
    /// `maxCnxns` (default 0, no cap): connections the client port may hold in all. Both
    /// caps refuse a connection as it is accepted, before it can start a session.
    pub max_cnxns: u32,
    /// `minSessionTimeout`, in milliseconds; `None` (unset, or ZooKeeper's -1) for the
    /// default of 2 ticks.
    pub min_session_timeout_ms: Option<i32>,
    /// `maxSessionTimeout`, in milliseconds; `None` (unset, or -1) for the default of 20
    /// ticks.
    pub max_session_timeout_ms: Option<i32>,
    /// `autopurge.snapRetainCount` (default 3): snapshots the purge keeps; never fewer than 3,
    /// as in ZooKeeper.
    pub autopurge_snap_retain_count: u32,
    /// Hours between purges; 0 disables them.
    pub autopurge_purge_interval: u32,
    /// `snapCount` (or ZooKeeper's system property, `zookeeper.snapCount`; default 100,000):
    /// transactions between snapshots, at least `MIN_SNAP_COUNT`.
    pub snap_count: u64,
    /// `jute.maxbuffer`: the largest client packet and znode.
    pub jute_max_buffer: usize,
    /// `globalOutstandingLimit` (ZooKeeper's name and default, 1000): client requests the
    /// server holds unanswered in all; past it, no connection is read until one is answered.
    pub global_outstanding_limit: usize,
    /// `zab.client.maxOutstanding` (a zabd extension, default 100): the same for one
    /// connection, so one client cannot take the whole global budget.
    pub client_max_outstanding: usize,
    /// `zab.client.maxQueuedBytes` (a zabd extension, default 1 MiB): reply bytes queued for
    /// a connection above which its requests wait until its client reads (`server::flow`).
    pub client_max_queued_bytes: usize,
    /// `zookeeper.nio.sessionlessCnxnTimeout` (ZooKeeper's system property, read as a zoo.cfg
    /// key; milliseconds, default 10,000, must be positive): how long a client connection may
    /// go without a session, its handshake read and answered, before it is closed.
    pub sessionless_cnxn_timeout_ms: u64,
    /// `extendedTypesEnabled` (or ZooKeeper's system property spelling,
    /// `zookeeper.extendedTypesEnabled`; default false): TTL nodes may be created, and the
    /// leader's container manager deletes expired ones. Every server must agree on it.
    pub extended_types_enabled: bool,
    /// `zab.auth.maxIds` (a zabd extension; ZooKeeper has no such bound): how many distinct
    /// identities one connection may authenticate (`addauth`). Default 16.
    pub auth_max_ids: usize,
    /// `zab.auth.maxIdBytes` (a zabd extension): the longest identity an `addauth` may
    /// produce, in bytes (a digest identity is the user name and 29 bytes of hash). Default
    /// 1024. With the count, it bounds what an `auth` ACL entry expands to.
    pub auth_max_id_bytes: usize,
    /// `4lw.commands.whitelist`: the four-letter words this server answers, from a
    /// comma-separated list (`*` for every one). As in ZooKeeper, `srvr` is always answered
    /// and, by default, nothing else: `cons` lists every session and client address, `mntr`
    /// and `wchs` describe the data, so they are the operator's to open.
    pub four_letter_words: BTreeSet<String>,
    /// `DigestAuthenticationProvider.superDigest` (ZooKeeper's system property
    /// `zookeeper.DigestAuthenticationProvider.superDigest`; either spelling): the digest,
    /// `super:base64(sha1("super:password"))`, whose `addauth digest super:password` makes a
    /// connection the superuser, whom no ACL refuses. `None`: nobody is.
    pub super_digest: Option<String>,
    /// `znode.container.checkIntervalMs` (default 60,000): how often the leader looks for
    /// empty containers to delete.
    pub container_check_interval_ms: u64,
    /// `znode.container.maxPerMinute` (default 10,000): the most containers deleted a minute.
    pub container_max_per_minute: u32,
    /// `znode.container.maxNeverUsedIntervalMs` (default 0, never): delete a container that
    /// never had a child once it is unmodified this long.
    pub container_max_never_used_ms: i64,
    /// `forceSync=no` skips fsync (unsafe; for tests of throughput only).
    pub force_sync: bool,
    /// `zab.reads` (a zabd extension): `sequential` (the default) reads from this server's
    /// state, as ZooKeeper does; `linearizable` answers each read only after the leader
    /// confirmed, by a quorum round, a read index this server has applied (`specs/reads.md`).
    pub reads: Reads,
    /// `fsync.warningthresholdms` (default 1,000): a log sync slower than this is logged
    /// and counted (`fsync_threshold_exceed_count`).
    pub fsync_warning_ms: u64,
    /// `dynamicConfigFile`: the file holding the `server.N` lines (ZooKeeper 3.5+'s layout),
    /// named as ZooKeeper opens it: as written, so a relative path is from the working
    /// directory, not from zoo.cfg's.
    pub dynamic_config_file: Option<PathBuf>,
    /// The `server.N` lines by id N, from zoo.cfg or the dynamic file; empty for a
    /// standalone server.
    pub servers: BTreeMap<u64, PeerAddr>,
    /// From `dataDir/myid`; 1 for a standalone server without one.
    pub my_id: u64,
    /// `zab.compactIdleMs` (a zabd extension, default 2,000; 0 turns it off): after this long
    /// with no transaction applied, and at least one applied per 64 znodes since the last
    /// time, the server rebuilds its in-memory tree on a thread with its map leaves full
    /// (`server::compaction`): a tree grown by creates holds up to twice the map memory of
    /// one restored from a snapshot.
    pub compact_idle_ms: u64,
    /// `zab.workerThreads` (a zabd extension; 0, the default, is one per core): the threads
    /// that run the connections' and links' tasks. Servers sharing a machine each take a
    /// share of it (`zabd ensemble` gives each cores / servers).
    pub worker_threads: usize,
    /// `zab.client.directWrites` (a zabd extension, default true): the core thread writes a
    /// plain connection's replies to its socket itself while nothing is queued for it
    /// (`server/direct.rs`); false hands every write to the connection's task, which spreads
    /// the sends of a large fan-out over the worker threads.
    pub client_direct_writes: bool,
    /// `zab.traceDir` (a zabd extension): record the replica's inputs and outputs in
    /// `trace.<myid>` there (`server::trace`).
    pub trace_dir: Option<PathBuf>,
    /// `zab.quorum.secretFile` (a zabd extension): the file holding the secret every server
    /// of the ensemble proves on each peer connection (`server::links::peer_auth`).
    pub quorum_secret_file: Option<PathBuf>,
    /// The secret read from `quorum_secret_file` by `load`.
    pub quorum_secret: Option<QuorumSecret>,
    /// `zab.bug` (builds with the `faults` feature only, for tests): a deliberately wrong
    /// behaviour of the replica, to show that the checks of a real run can fail.
    pub bug: Option<crate::replica::Bug>,
    /// `zab.fault.fsyncFailsAfter=N` (builds with the `faults` feature only, for tests): the
    /// transaction log's fsyncs fail with EIO once N have been made.
    pub fsync_fails_after: Option<u64>,
    /// `zab.fault.fsyncDelayMs=N` (builds with the `faults` feature only, for tests): a slow
    /// disk, every fsync of the transaction log waits N ms before it starts.
    pub fsync_delay_ms: Option<u64>,
    /// `zab.fault.snapshotDelayMs=N` (builds with the `faults` feature only, for tests): a
    /// slow disk, every snapshot write waits N ms before it starts.
    pub snapshot_delay_ms: Option<u64>,
    /// `zab.fault.snapChunkBytes=N` (builds with the `faults` feature only, for tests): a
    /// SNAP streams in chunks of N bytes rather than 1 MiB, so that a small tree takes many.
    pub snap_chunk_bytes: Option<u64>,
    /// `zab.fault.snapChunkDelayMs=N` (builds with the `faults` feature only, for tests): a
    /// slow link, a SNAP's sender waits N ms before each chunk.
    pub snap_chunk_delay_ms: Option<u64>,
    /// `zab.fault.epochWriteDelayMs=N` (builds with the `faults` feature only, for tests): a
    /// slow disk, every epoch file write waits N ms before it starts.
    pub epoch_write_delay_ms: Option<u64>,
    /// The Prometheus metrics endpoint (`metricsProvider.*`).
    pub metrics: MetricsEndpoint,
    /// The AdminServer (`admin.*`).
    pub admin: AdminEndpoint,
    /// TLS on the client port (`secureClientPort`, `ssl.*`).
    pub client_tls: tls::ClientTls,
    /// TLS between peers (`sslQuorum`, `ssl.quorum.*`).
    pub quorum_tls: tls::QuorumTls,
    /// Keys this server does not know, with their line numbers.
    pub unknown: Vec<(usize, String)>,
    /// Values taken other than written, as ZooKeeper takes them, with their line numbers and
    /// what was done (`zabd` logs each as a warning).
    pub adjusted: Vec<(usize, String)>,
}

impl ServerConfig {
    /// Reads and parses the zoo.cfg at `path`, reads `myid` from its `dataDir`, and checks
    /// that the keys fit together.
    pub fn load(path: &Path) -> Result<ServerConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut cfg = ServerConfig::parse(&text)?;
        if let Some(path) = cfg.dynamic_config_file.clone() {
            // Before `myid`: whether a server stands alone depends on the ensemble here.
            let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            cfg.parse_dynamic(&text)
                .map_err(|(line, msg)| ConfigError::DynamicLine { path, line, msg })?;
        }
        cfg.my_id = checks::read_my_id(&cfg.data_dir, cfg.servers.is_empty())?;
        cfg.settle_client_port()?;
        if let Some(file) = &cfg.quorum_secret_file {
            let secret = QuorumSecret::read(file)
                .map_err(|e| ConfigError::Invalid(format!("zab.quorum.secretFile: {e}")))?;
            cfg.quorum_secret = Some(secret);
        }
        cfg.validate()?;
        if cfg.client_tls.port.is_some() {
            // The files are read now, so a missing or unusable one is a configuration error.
            crate::server::tls::acceptor(&cfg.client_tls)
                .map_err(|e| ConfigError::Invalid(format!("TLS: {e}")))?;
        }
        if cfg.quorum_tls.enabled {
            crate::server::tls::PeerTls::new(&cfg.quorum_tls)
                .map_err(|e| ConfigError::Invalid(format!("sslQuorum: {e}")))?;
        }
        Ok(cfg)
    }

    fn defaults() -> ServerConfig {
        ServerConfig {
            tick_time_ms: 2000,
            init_limit: 10,
            sync_limit: 5,
            data_dir: PathBuf::new(),
            data_log_dir: PathBuf::new(),
            client_port: None,
            client_port_address: IpAddr::from([0, 0, 0, 0]),
            max_client_cnxns: 60,
            max_cnxns: 0,
            min_session_timeout_ms: None,
            max_session_timeout_ms: None,
            autopurge_snap_retain_count: 3,
            autopurge_purge_interval: 0,
            snap_count: 100_000,
            jute_max_buffer: crate::wire::DEFAULT_MAX_BUFFER,
            force_sync: true,
            fsync_warning_ms: 1000,
            reads: Reads::Sequential,
            four_letter_words: parse::four_letter_words(""),
            super_digest: None,
            container_check_interval_ms: 60_000,
            container_max_per_minute: 10_000,
            container_max_never_used_ms: 0,
            global_outstanding_limit: crate::server::flow::FlowLimits::GLOBAL_OUTSTANDING,
            client_max_outstanding: crate::server::flow::FlowLimits::CONN_OUTSTANDING,
            client_max_queued_bytes: crate::server::flow::FlowLimits::QUEUED_BYTES,
            sessionless_cnxn_timeout_ms: SESSIONLESS_CNXN_TIMEOUT_MS,
            extended_types_enabled: false,
            auth_max_ids: 16,
            auth_max_id_bytes: 1024,
            dynamic_config_file: None,
            servers: BTreeMap::new(),
            my_id: 1,
            trace_dir: None,
            compact_idle_ms: 2_000,
            worker_threads: 0,
            client_direct_writes: true,
            quorum_secret_file: None,
            quorum_secret: None,
            bug: None,
            fsync_fails_after: None,
            fsync_delay_ms: None,
            snapshot_delay_ms: None,
            snap_chunk_bytes: None,
            snap_chunk_delay_ms: None,
            epoch_write_delay_ms: None,
            metrics: MetricsEndpoint::default(),
            admin: AdminEndpoint::default(),
            client_tls: tls::ClientTls::default(),
            quorum_tls: tls::QuorumTls::default(),
            unknown: Vec::new(),
            adjusted: Vec::new(),
        }
    }

    /// Where the metrics endpoint listens, if it is on: `metricsProvider.httpHost` or else
    /// the client port's address, and `metricsProvider.httpPort`.
    pub fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        let m = &self.metrics;
        m.enabled
            .then(|| (m.host.unwrap_or(self.client_port_address), m.port).into())
    }

    /// Where the secure client port listens, if TLS is on: `secureClientPortAddress` or
    /// else the client port's address, and `secureClientPort`.
    pub fn secure_client_addr(&self) -> Option<std::net::SocketAddr> {
        let t = &self.client_tls;
        let host = t.address.unwrap_or(self.client_port_address);
        t.port.map(|p| (host, p).into())
    }

    /// Where the AdminServer listens, if it is on: `admin.serverAddress` or else the client
    /// port's address, and `admin.serverPort`.
    pub fn admin_addr(&self) -> Option<std::net::SocketAddr> {
        let a = &self.admin;
        a.enabled
            .then(|| (a.host.unwrap_or(self.client_port_address), a.port).into())
    }

    /// The state machine's options these keys set.
    pub fn tree_options(&self) -> crate::data_tree::TreeOptions {
        crate::data_tree::TreeOptions {
            ttl_enabled: self.extended_types_enabled,
        }
    }

    /// The flow-control budgets these keys set.
    pub fn flow_limits(&self) -> crate::server::flow::FlowLimits {
        crate::server::flow::FlowLimits {
            global_outstanding: self.global_outstanding_limit,
            conn_outstanding: self.client_max_outstanding,
            queued_bytes: self.client_max_queued_bytes,
            max_reply: self.jute_max_buffer,
        }
    }

    /// Whether the four-letter word `word` is on `4lw.commands.whitelist` (`*` opens all).
    pub fn four_letter_word_enabled(&self, word: &str) -> bool {
        self.four_letter_words.contains(word) || self.four_letter_words.contains("*")
    }

    /// The ids of the voting servers (participants), in id order; just `my_id` standalone.
    pub fn voters(&self) -> Vec<u64> {
        self.ids(false)
    }

    /// The ids of the `:observer` servers, in id order.
    pub fn observers(&self) -> Vec<u64> {
        self.ids(true)
    }

    fn ids(&self, observer: bool) -> Vec<u64> {
        if self.servers.is_empty() {
            return if observer { vec![] } else { vec![self.my_id] };
        }
        let pick = |(id, p): (&u64, &PeerAddr)| (p.observer == observer).then_some(*id);
        self.servers.iter().filter_map(pick).collect()
    }
}

/// How a server answers reads (`zab.reads`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Reads {
    /// From this server's applied state at once (ZooKeeper's reads: sequentially consistent).
    #[default]
    Sequential,
    /// After a read index confirmed by a quorum round and applied here (linearizable).
    Linearizable,
}

#[cfg(test)]
mod peer_tests;
#[cfg(test)]
mod tests;
