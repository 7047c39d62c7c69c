//! What a configuration must satisfy once parsed (limits in range, the ensemble well
//! formed), and the server id read from `dataDir/myid`.

use super::{check_server_id, ConfigError, ServerConfig, MAX_JUTE_BUFFER};
use std::net::{IpAddr, ToSocketAddrs};
use std::path::Path;

impl ServerConfig {
    /// `tickTime` as the Java int ZooKeeper's peers and clients see (`validate` keeps it
    /// within one).
    pub fn tick_time(&self) -> i32 {
        i32::try_from(self.tick_time_ms).unwrap_or(i32::MAX)
    }

    /// The session timeout bounds: `minSessionTimeout` and `maxSessionTimeout`, each unset
    /// (or -1) for 2 and 20 ticks; the defaults saturate where ZooKeeper's int arithmetic
    /// would wrap.
    pub fn session_timeouts(&self) -> crate::session::Timeouts {
        let mut t = crate::session::Timeouts::from_tick(self.tick_time());
        t.min_ms = self.min_session_timeout_ms.unwrap_or(t.min_ms);
        t.max_ms = self.max_session_timeout_ms.unwrap_or(t.max_ms);
        t
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.tick_time_ms == 0 || self.tick_time_ms > i32::MAX as u32 {
            // A Java int in ZooKeeper: a larger one is no configuration it would start with.
            return Err(ConfigError::Invalid(format!(
                "tickTime={} is outside 1..={}",
                self.tick_time_ms,
                i32::MAX
            )));
        }
        let t = self.session_timeouts();
        if t.min_ms > t.max_ms {
            // ZooKeeper refuses it too; the bounds would otherwise contradict each other.
            return Err(ConfigError::Invalid(format!(
                "minSessionTimeout ({} ms) must not be larger than maxSessionTimeout ({} ms; \
                 unset, each is a number of ticks of tickTime: 2 and 20)",
                t.min_ms, t.max_ms
            )));
        }
        self.client_tls.check().map_err(ConfigError::Invalid)?;
        if self.client_port.is_none() && self.client_tls.port.is_none() {
            // ZooKeeper starts such a server, which no client can reach.
            return Err(ConfigError::Invalid(
                "no client port: set clientPort, secureClientPort, or a client address on \
                 this server's server.N line"
                    .into(),
            ));
        }
        self.quorum_tls.check().map_err(ConfigError::Invalid)?;
        if self.init_limit == 0 || self.sync_limit == 0 {
            return Err(ConfigError::Invalid(
                "initLimit and syncLimit must be positive".into(),
            ));
        }
        if self.jute_max_buffer == 0 || self.jute_max_buffer > MAX_JUTE_BUFFER {
            return Err(ConfigError::Invalid(format!(
                "jute.maxbuffer={} is outside 1..={MAX_JUTE_BUFFER} (half of a log record: the \
                 rest is room for a transaction's path, ACL and identities)",
                self.jute_max_buffer
            )));
        }
        if self.global_outstanding_limit == 0
            || self.client_max_outstanding == 0
            || self.client_max_queued_bytes == 0
        {
            return Err(ConfigError::Invalid(
                "globalOutstandingLimit, zab.client.maxOutstanding and \
                 zab.client.maxQueuedBytes must be positive"
                    .into(),
            ));
        }
        if self.sessionless_cnxn_timeout_ms == 0 {
            return Err(ConfigError::Invalid(
                "zookeeper.nio.sessionlessCnxnTimeout must be positive (milliseconds a \
                 connection may go without a session)"
                    .into(),
            ));
        }
        if self.container_max_never_used_ms < 0 {
            return Err(ConfigError::Invalid(
                "znode.container.maxNeverUsedIntervalMs must not be negative".into(),
            ));
        }
        if !self.servers.is_empty() && !self.servers.contains_key(&self.my_id) {
            return Err(ConfigError::Invalid(format!(
                "myid {} has no server.{} line",
                self.my_id, self.my_id
            )));
        }
        if !self.servers.is_empty() && self.servers.values().all(|p| p.observer) {
            return Err(ConfigError::Invalid(
                "the ensemble has no voting server".into(),
            ));
        }
        Ok(())
    }
}

impl ServerConfig {
    /// Takes the client address on this server's `server.N` line, as ZooKeeper does
    /// (`QuorumPeerConfig.setupClientPort`): it must agree with `clientPort` (and with
    /// `clientPortAddress` unless that is the wildcard), then it is where the port listens.
    pub(super) fn settle_client_port(&mut self) -> Result<(), ConfigError> {
        let id = self.my_id;
        let Some((host, port)) = self.servers.get(&id).and_then(|p| p.client.clone()) else {
            return Ok(());
        };
        let ip = resolve(&host, port).map_err(|why| {
            ConfigError::Invalid(format!("server.{id}'s client address {host}: {why}"))
        })?;
        if let Some(static_port) = self.client_port {
            let here = self.client_port_address;
            if static_port != port || !(here.is_unspecified() || here == ip) {
                return Err(ConfigError::Invalid(format!(
                    "this server's client address is {here}:{static_port} by clientPort and \
                     clientPortAddress but {host}:{port} on its server.{id} line"
                )));
            }
        }
        self.client_port = Some(port);
        self.client_port_address = ip;
        Ok(())
    }
}

/// A client address's host as the address to bind: an IP address as it is, a name looked up.
fn resolve(host: &str, port: u16) -> Result<IpAddr, String> {
    if let Ok(ip) = host.parse() {
        return Ok(ip);
    }
    let mut found = (host, port).to_socket_addrs().map_err(|e| e.to_string())?;
    found
        .next()
        .map(|a| a.ip())
        .ok_or_else(|| "the name has no address".into())
}

pub(super) fn read_my_id(data_dir: &Path, standalone: bool) -> Result<u64, ConfigError> {
    let unusable = |msg: String| ConfigError::DataDir {
        path: data_dir.to_path_buf(),
        msg,
    };
    if data_dir.exists() && !data_dir.is_dir() {
        return Err(unusable("not a directory".into()));
    }
    let path = data_dir.join("myid");
    match std::fs::read_to_string(&path) {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("`{}` is not a server id", text.trim()))
            .and_then(check_server_id)
            .map_err(|msg| ConfigError::MyId { path, msg }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && standalone => Ok(1),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ConfigError::MyId {
            path,
            msg: e.to_string(),
        }),
        Err(e) => Err(unusable(format!("cannot read {}: {e}", path.display()))),
    }
}
