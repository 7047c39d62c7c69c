//! Server processes: one standalone `zabd` on a free loopback port, started under a wrapper
//! command when a test needs one (`ulimit`, `unshare`), its log kept in a file (`Drop` kills
//! it); and one server of an ensemble, found by its client port, to kill or restart.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use zab::server::fourlw::ask;

/// A running `zabd --config`.
pub struct Zabd {
    child: Child,
    /// Its client port on 127.0.0.1.
    pub port: u16,
    /// Its zoo.cfg, dataDir (`data/`) and log (`zabd.log`) live here.
    pub dir: tempfile::TempDir,
}

/// A free port on 127.0.0.1 (free when asked; the server binds it right after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Zabd {
    /// Starts `zabd` with a standalone zoo.cfg plus `extra` lines, run as `wrapper` followed
    /// by zabd's own command line (`sh -c` scripts get it as `"$@"`), and waits until it
    /// answers `srvr` with a mode.
    pub fn start(extra: &str, wrapper: &[&str]) -> Zabd {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let cfg = dir.path().join("zoo.cfg");
        let text = format!(
            "tickTime=200\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n{extra}",
            data.display()
        );
        std::fs::write(&cfg, text).unwrap();
        let log = std::fs::File::create(dir.path().join("zabd.log")).unwrap();
        let mut cmd = match wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(env!("CARGO_BIN_EXE_zabd"));
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_zabd")),
        };
        let child = cmd
            .arg("--config")
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut z = Zabd { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !ask(port, "srvr").is_some_and(|t| t.contains("Mode:")) {
            if let Ok(Some(status)) = z.child.try_wait() {
                panic!("zabd exited at start ({status}):\n{}", z.log());
            }
            assert!(
                Instant::now() < deadline,
                "zabd did not start:\n{}",
                z.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        z
    }

    /// A path inside the test's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("zabd.log")).unwrap_or_default()
    }

    /// The process's resident set size, in bytes (`VmRSS` in /proc).
    pub fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the process is running");
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmRSS");
        kb * 1024
    }

    /// The exit status, once the process ends within `within`; `None` if it is still running.
    pub fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Zabd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The command line of the server process listening on `client_port` in `dir`.
pub fn server_process(dir: &Path, client_port: u16) -> (u32, Vec<String>) {
    let cfg = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.extension().is_some_and(|x| x == "cfg")
                && std::fs::read_to_string(p)
                    .unwrap()
                    .contains(&format!("clientPort={client_port}\n"))
        })
        .expect("the server's zoo.cfg");
    let pgrep = Command::new("pgrep")
        .args(["-f", "--", &format!("--config {}$", cfg.display())])
        .output()
        .unwrap();
    let pid: u32 = String::from_utf8_lossy(&pgrep.stdout)
        .split_whitespace()
        .next()
        .expect("the server's process")
        .parse()
        .unwrap();
    let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap();
    let args = cmdline
        .split('\0')
        .filter(|a| !a.is_empty())
        .map(String::from)
        .collect();
    (pid, args)
}

/// Starts a server again from the command line `server_process` read, its output into
/// `log`; the caller kills it (an ensemble's `Drop` also stops it).
pub fn respawn(cmdline: &[String], log: &Path) -> std::process::Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(&cmdline[0])
        .args(&cmdline[1..])
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// SIGKILL to `pid` (a server an ensemble started, found by `server_process`).
pub fn kill(pid: u32) {
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success(), "kill -KILL {pid}");
}

/// Runs `zabd` on a standalone zoo.cfg with `extra` lines until it exits (it is expected to
/// refuse to start).
pub fn refused_start(extra: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("zoo.cfg");
    let text = format!(
        "dataDir={}\nclientPort={}\nclientPortAddress=127.0.0.1\n{extra}",
        dir.path().join("data").display(),
        free_port(),
    );
    std::fs::write(&cfg, text).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_zabd"))
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap()
}
