//! What the admin commands report that the configuration alone decides: `configuration`,
//! `environment`, and the directories `dirs` and `server_stats` measure. Built once at
//! start; the endpoint answers these without asking the core.

use super::Fields;
use crate::config::ServerConfig;
use crate::server::fourlw::VERSION;
use crate::session::Timeouts;
use std::path::{Path, PathBuf};

/// The configuration-fixed part of the admin commands.
#[derive(Clone, Debug)]
pub struct Static {
    /// `configuration`'s keys (ZooKeeper's `ZooKeeperServerConf`).
    pub configuration: Fields,
    /// `environment`'s keys.
    pub environment: Fields,
    /// `dataDir`, where snapshots and epoch files are.
    pub data_dir: PathBuf,
    /// `dataLogDir`, where the transaction log is.
    pub log_dir: PathBuf,
}

impl Static {
    /// From the server's configuration and its negotiated session timeout bounds.
    pub fn new(cfg: &ServerConfig, timeouts: &Timeouts) -> Static {
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let (data_dir, log_dir) = (absolute(&cfg.data_dir), absolute(&cfg.data_log_dir));
        let configuration = fields!(
            // ZooKeeper's -1 for a port it does not listen on.
            "client_port" => cfg.client_port.map_or(-1, i32::from),
            "data_dir" => data_dir.display().to_string(),
            "data_log_dir" => log_dir.display().to_string(),
            "tick_time" => cfg.tick_time_ms,
            "max_client_cnxns" => cfg.max_client_cnxns,
            "min_session_timeout" => timeouts.min_ms,
            "max_session_timeout" => timeouts.max_ms,
            "server_id" => cfg.my_id,
            // zabd has no `clientPortListenBacklog`; -1 is ZooKeeper's "the default".
            "client_port_listen_backlog" => -1,
        );
        Static {
            configuration,
            environment: environment(),
            data_dir,
            log_dir,
        }
    }
}

/// `environment`: ZooKeeper's keys in its order. Those that describe a JVM (`java.*`, and
/// `os.memory.*`, the JVM's heap) say `<NA>`, ZooKeeper's own word for a value it has not.
fn environment() -> Fields {
    const NA: &str = "<NA>";
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| "<NA>".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| var("HOSTNAME"));
    let os_version = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|_| "<NA>".into());
    let dir = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|_| "<NA>".into());
    fields!(
        "zookeeper.version" => VERSION,
        "host.name" => host,
        "java.version" => NA,
        "java.vendor" => NA,
        "java.home" => NA,
        "java.class.path" => NA,
        "java.library.path" => NA,
        "java.io.tmpdir" => std::env::temp_dir().display().to_string(),
        "java.compiler" => NA,
        "os.name" => os_name(),
        "os.arch" => std::env::consts::ARCH,
        "os.version" => os_version,
        "user.name" => var("USER"),
        "user.home" => var("HOME"),
        "user.dir" => dir,
        "os.memory.free" => NA,
        "os.memory.max" => NA,
        "os.memory.total" => NA,
    )
}

/// The operating system's name as Java's `os.name` spells it.
fn os_name() -> &'static str {
    match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "Mac OS X",
        "freebsd" => "FreeBSD",
        other => other,
    }
}

/// The sizes of dataDir and dataLogDir (`dir_size`), walked on a blocking thread: the
/// AdminServer's `dirs` and the four-letter word both ask here, never the core.
pub async fn dir_sizes(data: PathBuf, log: PathBuf) -> (u64, u64) {
    tokio::task::spawn_blocking(move || (dir_size(&data), dir_size(&log)))
        .await
        .unwrap_or_default()
}

/// The bytes of the regular files in `dir` and the directories below it, as ZooKeeper's
/// `dirs` counts them; 0 for a directory that cannot be read.
pub fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            // Symbolic links are not followed: a link to a parent would never end.
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(t) if t.is_file() => total += e.metadata().map_or(0, |m| m.len()),
                _ => {}
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_size_counts_the_files_below() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a"), [0u8; 100]).unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(d.path().join("sub/b"), [0u8; 28]).unwrap();
        assert_eq!(dir_size(d.path()), 128);
        assert_eq!(dir_size(&d.path().join("absent")), 0);
    }
}
