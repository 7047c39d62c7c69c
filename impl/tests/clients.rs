//! Real ZooKeeper clients against a 3-server `zabd ensemble` of separate processes: the
//! kazoo suite (`tests/clients/kazoo_suite.py`) exercises the client API, kills the leader
//! and checks that its clients move with their sessions and no acknowledged write is lost.
//! kazoo is installed with pip when missing (pinned), as `.ci/run` would.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Ensemble {
    child: Child,
    hosts: String,
    dir: tempfile::TempDir,
}

impl Drop for Ensemble {
    fn drop(&mut self) {
        // SIGTERM: the ensemble stops its servers before it exits.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ensemble(servers: u32) -> Ensemble {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_zabd"))
        .args(["ensemble", "--servers", &servers.to_string(), "--dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start zabd ensemble");
    let mut line = String::new();
    let stdout = child.stdout.take().unwrap();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let hosts = line.trim().to_string();
    assert_eq!(
        hosts.split(',').count(),
        servers as usize,
        "connect string {hosts:?}"
    );
    Ensemble { child, hosts, dir }
}

fn ensure_kazoo() {
    let has = |_: ()| {
        Command::new("python3")
            .args(["-c", "import kazoo"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has(()) {
        let ok = Command::new("python3")
            .args(["-m", "pip", "install", "-q", "kazoo==2.11.0"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok && has(()),
            "kazoo is needed: python3 -m pip install kazoo==2.11.0"
        );
    }
}

#[test]
fn kazoo_suite_passes_against_a_three_server_ensemble() {
    ensure_kazoo();
    let e = ensemble(3);
    let suite = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/kazoo_suite.py");
    let started = Instant::now();
    let out = Command::new("timeout")
        .args(["180", "python3", suite, &e.hosts])
        .arg(e.dir.path())
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "kazoo suite failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("checks passed"));
    println!("kazoo suite: {:.1} s", started.elapsed().as_secs_f64());
}
