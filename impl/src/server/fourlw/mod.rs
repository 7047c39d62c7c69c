//! The four-letter words (`ruok`, `srvr`, `stat`, `mntr`, `conf`, `cons`, `wchs`, `wchc`,
//! `wchp`, `isro`, `envi`, `dump`, `dirs`, `crst`, `srst`):
//! plain-text answers on the client port, in ZooKeeper's layout so its tools can read them.

mod dump;

pub(super) use dump::{ephemerals, expiry_buckets};

use super::client::ConnOut;
use super::core::Core;
use crate::replica::ServerState;
use std::fmt::Write;
use std::io::{Read, Write as _};
use std::net::TcpStream;
use std::time::Duration;

/// The version `srvr`, `stat`, `mntr` and `envi` report: ZooKeeper's 3.8.0, which zabd's
/// client protocol follows, with this implementation's name and version after it.
pub const VERSION: &str = "3.8.0-zab-rs-0.1.0";

pub(super) fn mode(core: &Core) -> &'static str {
    match core.state {
        _ if core.peers.is_empty() && core.state == ServerState::Leading => "standalone",
        ServerState::Leading => "leader",
        ServerState::Following => "follower",
        ServerState::Observing => "observer",
        ServerState::Looking => "looking",
    }
}

/// The four-letter words this server answers. A connection whose first four bytes spell one
/// of them gets its plain-text answer, then is closed, instead of a session handshake.
pub const FOUR_LETTER_WORDS: [&str; 15] = [
    "ruok", "srvr", "stat", "mntr", "conf", "cons", "wchs", "wchc", "wchp", "isro", "envi", "dump",
    "dirs", "crst", "srst",
];

/// `dirs`' answer (ZooKeeper's `DirsCommand`): the bytes of the files under dataDir and
/// dataLogDir, counted on a blocking thread.
pub(super) async fn dir_sizes(data: std::path::PathBuf, log: std::path::PathBuf) -> String {
    let (d, l) = super::admin::dir_sizes(data, log).await;
    format!("datadir_size: {d}\nlogdir_size: {l}\n")
}

/// The word a connection's first four bytes spell, if they spell one.
pub(super) fn word(head: &[u8]) -> Option<&'static str> {
    FOUR_LETTER_WORDS.into_iter().find(|w| w.as_bytes() == head)
}

/// What the connection that sent a four-letter word gets: the plain-text answer, or for
/// `dirs` the directories to measure (the connection's writer walks them on a blocking
/// thread: disk I/O has no place on the core).
pub fn answer(core: &mut Core, word: &str) -> ConnOut {
    if word == "dirs" && allowed(core, word).is_none() {
        let (data, log) = core.info.dirs.clone();
        return ConnOut::DirSizes { data, log };
    }
    ConnOut::Text(text(core, word))
}

/// ZooKeeper's refusal of a word `4lw.commands.whitelist` does not open, or of one that needs
/// a serving server while this one is not; `None` if the word may run.
fn allowed(core: &Core, word: &str) -> Option<String> {
    if !core.info.four_letter_words.contains(&word) {
        return Some(format!(
            "{word} is not executed because it is not in the whitelist.\n"
        ));
    }
    // As ZooKeeper's commands answer while no server runs (looking, syncing): the numbers of
    // a server that is not serving would describe no state clients see.
    (SERVING_ONLY.contains(&word) && !core.serving()).then(|| NOT_SERVING.into())
}

/// The plain-text answer to a four-letter word, from the core's state; empty for a word it
/// does not know.
fn text(core: &mut Core, word: &str) -> String {
    if let Some(refusal) = allowed(core, word) {
        return refusal;
    }
    match word {
        "ruok" => "imok".into(),
        "srvr" => srvr(core, false),
        "stat" => srvr(core, true),
        "mntr" => mntr(core),
        "conf" => core.info.conf.clone(),
        "cons" => cons(core),
        "wchs" => wchs(core),
        "wchc" => wchc(core),
        "wchp" => wchp(core),
        // No newline, as ZooKeeper's; "null" while no server runs. zabd has no read-only mode.
        "isro" => if core.serving() { "rw" } else { "null" }.into(),
        "envi" => envi(core),
        "dump" => dump::dump(core),
        "crst" => {
            reset_connection_stats(core);
            "Connection stats reset.\n".into()
        }
        "srst" => {
            reset_server_stats(core);
            "Server stats reset.\n".into()
        }
        _ => String::new(),
    }
}

/// ZooKeeper's answer from a command that needs a running server, while there is none.
const NOT_SERVING: &str = "This ZooKeeper instance is not currently serving requests\n";

/// The words ZooKeeper answers `NOT_SERVING` while its server is not running; `ruok` and
/// `envi` answer always.
const SERVING_ONLY: [&str; 12] = [
    "srvr", "stat", "mntr", "conf", "cons", "wchs", "wchc", "wchp", "dump", "dirs", "crst", "srst",
];

/// `crst`: every connection's counters and latency start again (ZooKeeper's
/// `ServerCnxn.resetStats`); when its session was set up and its timeout stay.
pub(super) fn reset_connection_stats(core: &mut Core) {
    for c in core.clients.conns.values_mut() {
        c.received = 0;
        c.sent = 0;
        c.stats = crate::server::stats::ConnStats {
            established_ms: c.stats.established_ms,
            session_timeout_ms: c.stats.session_timeout_ms,
            ..Default::default()
        };
    }
}

/// `srst`: the server's request latency, packet counters and count of slow log syncs start
/// again (what `srvr` and `server_stats` show; ZooKeeper's `ServerStats.reset`).
pub(super) fn reset_server_stats(core: &mut Core) {
    core.latency = Default::default();
    core.clients.received = 0;
    core.clients.sent = 0;
    core.storage.reset_slow_syncs();
}

fn srvr(core: &Core, with_clients: bool) -> String {
    let mut s = format!("Zookeeper version: {VERSION}\n");
    if with_clients {
        s.push_str("Clients:\n");
        s.push_str(&cons(core));
        s.push('\n');
    }
    let c = &core.clients;
    let _ = write!(
        s,
        "Latency min/avg/max: {}/{}/{}\nReceived: {}\nSent: {}\nConnections: {}\nOutstanding: {}\n\
         Zxid: 0x{:x}\nMode: {}\nNode count: {}\n",
        core.latency.min_ms(),
        java_double(core.latency.avg_ms()),
        core.latency.max_ms(),
        c.received,
        c.sent,
        c.conns.len(),
        c.writes.len(),
        core.replica.last_processed().0,
        mode(core),
        znode_count(core),
    );
    s
}

/// The znode count ZooKeeper reports (`srvr`'s `Node count`, `znode_count`): its node map
/// holds the root twice, under "" and "/", and it counts map entries, so every count it
/// reports is one more than its nodes. zabd reports the same number.
pub fn znode_count(core: &Core) -> usize {
    core.replica.state_machine().tree().len() + 1
}

/// A double as Java prints it, which ZooKeeper's tools read: `0.0`, `2.5`, never `0`.
pub fn java_double(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e7 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

fn cons(core: &Core) -> String {
    let mut s = String::new();
    for (id, c) in &core.clients.conns {
        let _ = writeln!(
            s,
            " /{}[1](queued={},recved={},sent={},sid=0x{:x},conn={id})",
            c.addr,
            c.queue.len(),
            c.received,
            c.sent,
            c.session.unwrap_or_default(),
        );
    }
    s
}

/// ZooKeeper's summary of the data watches (`getData`, `exists`; child watches are not in
/// it), which `wchs` prints and the admin command `watch_summary` returns
/// (`WatchManager.getWatchesSummary`).
pub(super) struct WatchSummary {
    /// Connections holding at least one data watch.
    pub connections: usize,
    /// Distinct paths with a data watch.
    pub paths: usize,
    /// Data watches in all: (connection, path) pairs.
    pub total: usize,
}

pub(super) fn watch_summary(core: &Core) -> WatchSummary {
    let mut paths = std::collections::BTreeSet::new();
    let (mut connections, mut total) = (0, 0);
    for (_, data) in core.watching_connections() {
        connections += 1;
        total += data.len();
        paths.extend(data);
    }
    WatchSummary {
        connections,
        paths: paths.len(),
        total,
    }
}

fn wchs(core: &Core) -> String {
    let s = watch_summary(core);
    format!(
        "{} connections watching {} paths\nTotal watches:{}\n",
        s.connections, s.paths, s.total
    )
}

fn mntr(core: &Core) -> String {
    let tree = core.replica.state_machine().tree();
    let (data, child) = core.clients.watches.len();
    let mut s = String::new();
    let mut kv = |k: &str, v: String| {
        let _ = writeln!(s, "{k}\t{v}");
    };
    kv("zk_version", VERSION.into());
    kv("zk_avg_latency", java_double(core.latency.avg_ms()));
    kv("zk_max_latency", core.latency.max_ms().to_string());
    kv("zk_min_latency", core.latency.min_ms().to_string());
    kv("zk_server_state", mode(core).into());
    kv("zk_znode_count", znode_count(core).to_string());
    kv("zk_watch_count", (data + child).to_string());
    kv("zk_ephemerals_count", tree.ephemeral_count().to_string());
    kv(
        "zk_approximate_data_size",
        tree.approximate_data_size().to_string(),
    );
    kv(
        "zk_num_alive_connections",
        core.clients.conns.len().to_string(),
    );
    kv(
        "zk_outstanding_requests",
        core.clients.writes.len().to_string(),
    );
    kv("zk_packets_received", core.clients.received.to_string());
    kv("zk_packets_sent", core.clients.sent.to_string());
    kv(
        "zk_last_zxid",
        format!("0x{:x}", core.replica.last_processed().0),
    );
    kv("zk_fsync_count", core.storage.fsync_count().to_string());
    kv("zk_uptime", core.started.elapsed().as_millis().to_string());
    if let Some((open, max)) = descriptors() {
        kv("zk_open_file_descriptor_count", open.to_string());
        kv("zk_max_file_descriptor_count", max.to_string());
    }
    if !core.peers.is_empty() {
        kv("zk_quorum_size", core.voters().to_string());
    }
    if let crate::replica::state::Role::Leading(ls) = core.replica.role() {
        let (followers, observers) = core.synced_learners();
        kv("zk_learners", ls.learners.len().to_string());
        kv("zk_synced_followers", followers.to_string());
        kv("zk_synced_non_voting_followers", "0".into());
        kv("zk_synced_observers", observers.to_string());
        // A follower's `sync` is answered by the leader at once (the follower waits, not the
        // leader: compatibility.md), so no sync is ever pending here.
        kv("zk_pending_syncs", "0".into());
    }
    s
}

/// Open file descriptors and their (soft) limit, as ZooKeeper's mntr reports them on Unix;
/// `None` where /proc cannot tell.
fn descriptors() -> Option<(usize, u64)> {
    let open = std::fs::read_dir("/proc/self/fd").ok()?.count();
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line.split_whitespace().nth(3)?;
    let max = if soft == "unlimited" {
        u64::MAX
    } else {
        soft.parse().ok()?
    };
    Some((open, max))
}

/// `wchc`: each session with data watches (hex, as Java's `Long.toHexString`), then its
/// watched paths, each after a tab (ZooKeeper's `dumpWatches` by connection).
fn wchc(core: &Core) -> String {
    let mut s = String::new();
    for (session, paths) in core.data_watches() {
        let _ = writeln!(s, "0x{session:x}");
        for p in paths {
            let _ = writeln!(s, "\t{p}");
        }
    }
    s
}

/// `wchp`: each watched path, then the sessions watching it (`dumpWatches` by path).
fn wchp(core: &Core) -> String {
    let mut s = String::new();
    for (path, sessions) in core.watchers_by_path() {
        let _ = writeln!(s, "{path}");
        for session in sessions {
            let _ = writeln!(s, "\t0x{session:x}");
        }
    }
    s
}

fn envi(core: &Core) -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    format!(
        "Environment:\nzookeeper.version={VERSION}\nhost.name={host}\nos.name={}\nos.arch={}\n\
         user.dir={}\nserver.id={}\n",
        std::env::consts::OS,
        std::env::consts::ARCH,
        std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        core.info.my_id,
    )
}

/// Asks the server on loopback `port` a four-letter word, as `nc` would: `None` if it does
/// not answer.
pub fn ask(port: u16, word: &str) -> Option<String> {
    let addr = ([127, 0, 0, 1], port).into();
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(word.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}
