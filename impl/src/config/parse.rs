//! Parsing the text of a zoo.cfg into a `ServerConfig`: one arm per key, as ZooKeeper names
//! it, and the parsers of its values. A malformed value names its line.

use super::{tls, ConfigError, Reads, ServerConfig, MIN_SNAP_COUNT};
use std::collections::BTreeSet;
use std::path::PathBuf;

impl ServerConfig {
    /// Parses the text of a zoo.cfg (without reading `myid`).
    pub fn parse(text: &str) -> Result<ServerConfig, ConfigError> {
        let mut cfg = ServerConfig::defaults();
        let mut data_dir = None;
        let mut data_log_dir = None;
        // `clientPortAddress`'s line, which needs a `clientPort`.
        let mut address_line = None;
        // The first `server.N` line, which a `dynamicConfigFile` forbids here.
        let mut first_member_line = None;
        for entry in key_values(text) {
            let (line, key, value) = entry.map_err(|(line, msg)| bad(line, msg))?;
            match key {
                "tickTime" => cfg.tick_time_ms = number(line, key, value)?,
                "initLimit" => cfg.init_limit = number(line, key, value)?,
                "syncLimit" => cfg.sync_limit = number(line, key, value)?,
                "dataDir" => data_dir = Some(PathBuf::from(value)),
                "dataLogDir" => data_log_dir = Some(PathBuf::from(value)),
                // 0 is ZooKeeper's "not set".
                "clientPort" => {
                    cfg.client_port = Some(number(line, key, value)?).filter(|&p| p > 0)
                }
                "clientPortAddress" => {
                    cfg.client_port_address = value
                        .parse()
                        .map_err(|_| bad(line, format!("clientPortAddress `{value}`")))?;
                    address_line = Some(line);
                }
                "maxClientCnxns" => cfg.max_client_cnxns = number(line, key, value)?,
                "maxCnxns" => cfg.max_cnxns = number(line, key, value)?,
                "minSessionTimeout" => {
                    cfg.min_session_timeout_ms = session_timeout(line, key, value)?
                }
                "maxSessionTimeout" => {
                    cfg.max_session_timeout_ms = session_timeout(line, key, value)?
                }
                "autopurge.snapRetainCount" => {
                    cfg.autopurge_snap_retain_count = number(line, key, value)?
                }
                "autopurge.purgeInterval" => {
                    cfg.autopurge_purge_interval = number(line, key, value)?
                }
                "snapCount" | "zookeeper.snapCount" => {
                    // ZooKeeper's Java int: a larger value is refused rather than read.
                    let n: i32 = number(line, key, value)?;
                    cfg.snap_count = u64::try_from(n).unwrap_or(0).max(MIN_SNAP_COUNT);
                    if i64::from(n) < MIN_SNAP_COUNT as i64 {
                        let why = format!(
                            "{key}={n} is below {MIN_SNAP_COUNT}: reset to {MIN_SNAP_COUNT}"
                        );
                        cfg.adjusted.push((line, why));
                    }
                }
                "jute.maxbuffer" => cfg.jute_max_buffer = number(line, key, value)?,
                "forceSync" => cfg.force_sync = value != "no",
                "fsync.warningthresholdms" | "zookeeper.fsync.warningthresholdms" => {
                    cfg.fsync_warning_ms = number(line, key, value)?
                }
                "4lw.commands.whitelist" => cfg.four_letter_words = four_letter_words(value),
                "znode.container.checkIntervalMs" => {
                    cfg.container_check_interval_ms = number(line, key, value)?
                }
                "znode.container.maxPerMinute" => {
                    cfg.container_max_per_minute = number(line, key, value)?
                }
                "znode.container.maxNeverUsedIntervalMs" => {
                    cfg.container_max_never_used_ms = number(line, key, value)?
                }
                "DigestAuthenticationProvider.superDigest"
                | "zookeeper.DigestAuthenticationProvider.superDigest" => {
                    cfg.super_digest = Some(super_digest(value).map_err(|m| bad(line, m))?)
                }
                "globalOutstandingLimit" => {
                    cfg.global_outstanding_limit = number(line, key, value)?
                }
                "zab.client.maxOutstanding" => {
                    cfg.client_max_outstanding = number(line, key, value)?
                }
                "zab.client.directWrites" => {
                    cfg.client_direct_writes = boolean(value).map_err(|m| bad(line, m))?
                }
                "zab.client.maxQueuedBytes" => {
                    cfg.client_max_queued_bytes = number(line, key, value)?
                }
                "zookeeper.nio.sessionlessCnxnTimeout" => {
                    cfg.sessionless_cnxn_timeout_ms = number(line, key, value)?
                }
                "extendedTypesEnabled" | "zookeeper.extendedTypesEnabled" => {
                    cfg.extended_types_enabled = boolean(value).map_err(|m| bad(line, m))?
                }
                "zab.auth.maxIds" => cfg.auth_max_ids = number(line, key, value)?,
                "zab.auth.maxIdBytes" => cfg.auth_max_id_bytes = number(line, key, value)?,
                "zab.compactIdleMs" => cfg.compact_idle_ms = number(line, key, value)?,
                "zab.workerThreads" => {
                    cfg.worker_threads = number(line, key, value)?;
                    if cfg.worker_threads > MAX_WORKER_THREADS {
                        let why = format!("{key}={value} is over {MAX_WORKER_THREADS}");
                        return Err(bad(line, why));
                    }
                }
                "zab.traceDir" => cfg.trace_dir = Some(PathBuf::from(value)),
                "zab.reads" => cfg.reads = reads(value).map_err(|m| bad(line, m))?,
                "zab.quorum.secretFile" => cfg.quorum_secret_file = Some(PathBuf::from(value)),
                "zab.fault.fsyncFailsAfter" => {
                    cfg.fsync_fails_after = Some(fault_count(key, value).map_err(|m| bad(line, m))?)
                }
                "zab.fault.fsyncDelayMs" => {
                    cfg.fsync_delay_ms = Some(fault_count(key, value).map_err(|m| bad(line, m))?)
                }
                "zab.fault.snapshotDelayMs" => {
                    cfg.snapshot_delay_ms = Some(fault_count(key, value).map_err(|m| bad(line, m))?)
                }
                "zab.fault.snapChunkBytes" => {
                    cfg.snap_chunk_bytes = Some(fault_count(key, value).map_err(|m| bad(line, m))?)
                }
                "zab.fault.snapChunkDelayMs" => {
                    cfg.snap_chunk_delay_ms =
                        Some(fault_count(key, value).map_err(|m| bad(line, m))?)
                }
                "zab.fault.epochWriteDelayMs" => {
                    cfg.epoch_write_delay_ms =
                        Some(fault_count(key, value).map_err(|m| bad(line, m))?)
                }
                "zab.bug" => {
                    cfg.bug = Some(crate::replica::Bug::from_name(value).map_err(|m| bad(line, m))?)
                }
                "dynamicConfigFile" => cfg.dynamic_config_file = Some(PathBuf::from(value)),
                k if super::peers::is_member_key(k) => {
                    cfg.member_line(k, value).map_err(|m| bad(line, m))?;
                    first_member_line.get_or_insert((line, k.to_string()));
                }
                k if k.starts_with("metricsProvider.") => {
                    if !cfg.metrics.set(k, value).map_err(|m| bad(line, m))? {
                        cfg.unknown.push((line, key.to_string()));
                    }
                }
                k if tls::QuorumTls::owns(k) => {
                    if !cfg.quorum_tls.set(k, value).map_err(|m| bad(line, m))? {
                        cfg.unknown.push((line, key.to_string()));
                    }
                }
                k if k.starts_with("ssl.")
                    || [
                        "secureClientPort",
                        "secureClientPortAddress",
                        "serverCnxnFactory",
                    ]
                    .contains(&k) =>
                {
                    if !cfg.client_tls.set(k, value).map_err(|m| bad(line, m))? {
                        cfg.unknown.push((line, key.to_string()));
                    }
                }
                k if k.starts_with("admin.") => {
                    if !cfg.admin.set(k, value).map_err(|m| bad(line, m))? {
                        cfg.unknown.push((line, key.to_string()));
                    }
                }
                _ => cfg.unknown.push((line, key.to_string())),
            }
        }
        if let (Some(_), Some((line, key))) = (&cfg.dynamic_config_file, first_member_line) {
            // As in ZooKeeper: with the ensemble in two files, which one holds would depend
            // on the order they are read in.
            let why = format!("{key} must be in the dynamic file when dynamicConfigFile is set");
            return Err(bad(line, why));
        }
        if let (Some(line), None) = (address_line, cfg.client_port) {
            // As in ZooKeeper: an address alone opens no port, which is surely not what was
            // meant.
            return Err(bad(
                line,
                "clientPortAddress is set but clientPort is not".into(),
            ));
        }
        cfg.data_dir = data_dir.ok_or(ConfigError::Missing("dataDir"))?;
        cfg.data_log_dir = data_log_dir.unwrap_or_else(|| cfg.data_dir.clone());
        Ok(cfg)
    }
}

/// The `key=value` lines of a configuration file, each with its 1-based number, trimmed;
/// blank lines and `#` comments skipped; a line without `=` is an error with its number.
pub(super) fn key_values(
    text: &str,
) -> impl Iterator<Item = Result<(usize, &str, &str), (usize, String)>> {
    let lines = text.lines().enumerate().map(|(i, raw)| (i + 1, raw.trim()));
    let meant = lines.filter(|(_, raw)| !raw.is_empty() && !raw.starts_with('#'));
    meant.map(|(line, raw)| match raw.split_once('=') {
        Some((key, value)) => Ok((line, key.trim(), value.trim())),
        None => Err((line, format!("`{raw}` is not key=value"))),
    })
}

/// A session timeout bound in milliseconds, a Java int as in ZooKeeper: -1, ZooKeeper's own
/// "the default", is `None`; another negative value (ZooKeeper would hand it to clients as
/// their timeout) is refused.
fn session_timeout(line: usize, key: &str, value: &str) -> Result<Option<i32>, ConfigError> {
    match number::<i32>(line, key, value)? {
        -1 => Ok(None),
        ms if ms >= 0 => Ok(Some(ms)),
        ms => Err(bad(
            line,
            format!("{key}={ms}: -1 for the default, else 0 or more"),
        )),
    }
}

fn reads(value: &str) -> Result<Reads, String> {
    match value {
        "sequential" => Ok(Reads::Sequential),
        "linearizable" => Ok(Reads::Linearizable),
        _ => Err(format!("`{value}` is not sequential or linearizable")),
    }
}

/// A Java-style boolean: `true` or `false`, in any case.
pub(super) fn boolean(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("`{value}` is not true or false")),
    }
}

/// A `4lw.commands.whitelist` value as a set; `srvr` is always in it (`zkServer.sh status`
/// and the ensemble tools ask it), as in ZooKeeper.
pub(super) fn four_letter_words(value: &str) -> BTreeSet<String> {
    let listed = value.split(',').map(str::trim).filter(|w| !w.is_empty());
    listed.chain(["srvr"]).map(String::from).collect()
}

/// A `superDigest` value checked to be what `generateDigest` makes: a user name, `:`, and the
/// base64 of a 20-byte SHA-1. Anything else would silently make nobody the superuser.
fn super_digest(value: &str) -> Result<String, String> {
    use base64::Engine;
    let hash = value
        .split_once(':')
        .map(|(user, hash)| (user.is_empty(), hash));
    let decoded = hash.and_then(|(no_user, h)| {
        let bytes = base64::engine::general_purpose::STANDARD.decode(h).ok()?;
        (!no_user && bytes.len() == 20).then_some(())
    });
    match decoded {
        Some(()) => Ok(value.to_string()),
        None => Err(format!(
            "superDigest `{value}` is not user:base64(sha1(\"user:password\")) \
             (ZooKeeper's DigestAuthenticationProvider.generateDigest)"
        )),
    }
}

/// A test switch's number (`zab.fault.fsyncFailsAfter`, `zab.fault.fsyncDelayMs`,
/// `zab.fault.snapshotDelayMs`, `zab.fault.epochWriteDelayMs`, `zab.fault.snapChunkBytes`,
/// `zab.fault.snapChunkDelayMs`),
/// in a build that has the faults.
fn fault_count(key: &str, value: &str) -> Result<u64, String> {
    if cfg!(feature = "faults") {
        value
            .parse()
            .map_err(|_| format!("{key}=`{value}` is not a count"))
    } else {
        Err(format!(
            "{key}={value}: deliberately failing disks are for tests only; this build has \
             none (build with the `faults` cargo feature)"
        ))
    }
}

pub(super) fn bad(line: usize, msg: String) -> ConfigError {
    ConfigError::Line { line, msg }
}

/// The most runtime worker threads a server may ask for: each holds a stack, and more threads
/// than this are contention, not capacity.
const MAX_WORKER_THREADS: usize = 1024;

fn number<T: std::str::FromStr>(line: usize, key: &str, value: &str) -> Result<T, ConfigError> {
    value
        .parse()
        .map_err(|_| bad(line, format!("{key}=`{value}` is not a valid number")))
}
