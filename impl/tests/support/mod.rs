//! Local ensembles for the integration tests: `zabd ensemble` or Apache ZooKeeper 3.8
//! (`scripts/zookeeper-ensemble.sh`), both separate processes on free loopback ports that
//! print their connect string and stop their servers on SIGTERM, which `Drop` sends.
#![allow(dead_code)] // each test binary uses its own part

pub mod admin;
pub mod http;
pub mod in_process;
pub mod process;
pub mod raw;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Ensemble {
    child: Child,
    pub hosts: String,
    pub dir: tempfile::TempDir,
}

impl Drop for Ensemble {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline && !matches!(self.child.try_wait(), Ok(Some(_))) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A server a test restarted by hand is not the ensemble's child: stop anything still
        // running from this ensemble's directory.
        let _ = Command::new("pkill")
            .args(["-f", "--"])
            .arg(self.dir.path())
            .status();
    }
}

impl Ensemble {
    /// The servers' client ports, in server id order.
    pub fn client_ports(&self) -> Vec<u16> {
        self.hosts
            .split(',')
            .map(|h| h.rsplit(':').next().unwrap().parse().unwrap())
            .collect()
    }

    /// The client port of the server whose `srvr` says it leads, if one does now.
    pub fn leader(&self) -> Option<u16> {
        self.client_ports()
            .into_iter()
            .find(|&p| mode(p).as_deref() == Some("leader"))
    }

    /// `zabd ensemble` with `servers` voters and `observers` observers.
    pub fn zabd(servers: u32, observers: u32) -> Ensemble {
        Ensemble::zabd_with(servers, observers, &[])
    }

    /// `zabd ensemble` with extra zoo.cfg lines (`--cfg KEY=VALUE`).
    pub fn zabd_with(servers: u32, observers: u32, cfg: &[&str]) -> Ensemble {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_zabd"));
        cmd.args(["ensemble", "--servers", &servers.to_string()])
            .args(["--observers", &observers.to_string(), "--dir"])
            .arg(dir.path());
        for line in cfg {
            cmd.args(["--cfg", line]);
        }
        Ensemble::start(cmd, dir, servers + observers)
    }

    /// `zabd ensemble --metrics`: every server serves Prometheus metrics on a port of its own.
    pub fn zabd_metrics(servers: u32) -> Ensemble {
        // mntr too: its numbers are checked against the metrics endpoint's.
        let words = ["4lw.commands.whitelist=srvr,mntr"];
        Ensemble::zabd_flag(servers, "--metrics", &words)
    }

    /// `zabd ensemble --admin`: every server runs the AdminServer on a port of its own.
    pub fn zabd_admin(servers: u32, cfg: &[&str]) -> Ensemble {
        Ensemble::zabd_flag(servers, "--admin", cfg)
    }

    fn zabd_flag(servers: u32, flag: &str, cfg: &[&str]) -> Ensemble {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_zabd"));
        cmd.args(["ensemble", flag, "--servers", &servers.to_string(), "--dir"])
            .arg(dir.path());
        for line in cfg {
            cmd.args(["--cfg", line]);
        }
        Ensemble::start(cmd, dir, servers)
    }

    /// Each server's metrics port, in server id order, from its zoo.cfg (`zN.cfg`).
    pub fn metrics_ports(&self) -> Vec<u16> {
        self.cfg_ports("metricsProvider.httpPort=")
    }

    /// Each server's AdminServer port, in server id order, from its zoo.cfg (`zN.cfg`).
    pub fn admin_ports(&self) -> Vec<u16> {
        self.cfg_ports("admin.serverPort=")
    }

    fn cfg_ports(&self, key: &str) -> Vec<u16> {
        (1..=self.client_ports().len())
            .map(|id| {
                let cfg = std::fs::read_to_string(self.dir.path().join(format!("z{id}.cfg")))
                    .expect("the server's zoo.cfg");
                cfg.lines()
                    .find_map(|l| l.strip_prefix(key))
                    .unwrap_or_else(|| panic!("{key} in z{id}.cfg"))
                    .parse()
                    .unwrap()
            })
            .collect()
    }

    /// Apache ZooKeeper 3.8 from Debian's `zookeeper` package, `servers` JVMs.
    pub fn zookeeper(servers: u32) -> Ensemble {
        Ensemble::zookeeper_with(servers, &[])
    }

    /// Apache ZooKeeper 3.8 with each server's AdminServer on a port of its own.
    pub fn zookeeper_admin(servers: u32) -> Ensemble {
        Ensemble::zookeeper_with(servers, &["--admin"])
    }

    fn zookeeper_with(servers: u32, flags: &[&str]) -> Ensemble {
        assert!(
            Path::new("/usr/share/java/zookeeper.jar").exists(),
            "Debian's zookeeper package is needed: run scripts/test.sh, or apt-get install zookeeper zookeeper-bin"
        );
        let dir = tempfile::tempdir().unwrap();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scripts/zookeeper-ensemble.sh"
        );
        let mut cmd = Command::new("bash");
        cmd.args([script, "--servers", &servers.to_string(), "--dir"])
            .arg(dir.path())
            .args(flags);
        Ensemble::start(cmd, dir, servers)
    }

    fn start(mut cmd: Command, dir: tempfile::TempDir, members: u32) -> Ensemble {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the ensemble");
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let hosts = line.trim().to_string();
        let e = Ensemble { child, hosts, dir };
        assert!(
            !e.hosts.is_empty(),
            "the ensemble did not start (logs in {})",
            e.dir.path().display()
        );
        assert_eq!(
            e.hosts.split(',').count(),
            members as usize,
            "connect string {:?} (logs in {})",
            e.hosts,
            e.dir.path().display()
        );
        e
    }
}

/// The server's mode as `srvr` reports it (`leader`, `follower`, `observer`,
/// `standalone`); `None` if it does not answer.
pub fn mode(port: u16) -> Option<String> {
    srvr_line(port, "Mode: ")
}

/// `Node count` as `srvr` reports it; `None` if the server does not answer.
pub fn node_count(port: u16) -> Option<u64> {
    srvr_line(port, "Node count: ")?.parse().ok()
}

/// The value a server's log line gives after `key` (` ms=`, ` znodes=`): up to the next
/// space.
pub fn log_field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split(key)
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no {key} in {line}"))
}

/// What follows `label` on its line of `srvr`'s answer.
fn srvr_line(port: u16, label: &str) -> Option<String> {
    let text = zab::server::fourlw::ask(port, "srvr")?;
    Some(text.split(label).nth(1)?.lines().next()?.to_string())
}

/// A Rust `zookeeper-client` session on `host` (10 s timeout, 3.8's protocol).
pub async fn zk_connect(host: &str) -> zookeeper_client::Client {
    zookeeper_client::Client::connector()
        .with_session_timeout(Duration::from_secs(10))
        .with_server_version(3, 8, 0)
        .connect(host)
        .await
        .unwrap_or_else(|e| panic!("connect {host}: {e}"))
}

/// kazoo must be importable by `python3` (`scripts/test.sh` installs it in a virtualenv and
/// puts that first on PATH); a test never installs anything itself.
pub fn ensure_kazoo() {
    let has = Command::new("python3")
        .args(["-c", "import kazoo"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has,
        "kazoo is needed: run scripts/test.sh, or python3 -m pip install kazoo==2.11.0"
    );
}
