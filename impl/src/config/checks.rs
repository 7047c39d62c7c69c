//! What a configuration must satisfy once parsed (limits in range, the ensemble well
//! formed), and the server id read from `dataDir/myid`.

use super::{check_server_id, ConfigError, ServerConfig, MAX_JUTE_BUFFER};
use std::path::Path;

impl ServerConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.tick_time_ms == 0 {
            return Err(ConfigError::Invalid("tickTime must be positive".into()));
        }
        self.client_tls.check().map_err(ConfigError::Invalid)?;
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
